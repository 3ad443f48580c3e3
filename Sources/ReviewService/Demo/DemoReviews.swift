import CatalogAPI
import Foundation
import Logging
import PlexusKit
import ReviewAPI

/// Demo reviews: a third of the demo products (at most 300) get 1–12 reviews each from 60 demo
/// customers, ratings leaning positive as real shops' do, some with helpful votes among those
/// customers and a reply from the seller. Each review stands on a delivered purchase, as a real
/// one would, and each product's summary is published for the catalogue.
struct DemoReviews {
    let products: [DemoProduct]
    let seed: UInt64
    let outbox: Outbox

    static let names = ["Maya Rossi", "Liam Chen", "Sofia Novak", "Noah Adeyemi", "Emma Larsen", "Lucas Moreau", "Aiko Tanaka", "Omar Haddad",
                        "Chloé Martin", "Mateo García", "Freya Olsen", "Ravi Patel", "Zoe Williams", "Jonas Becker", "Amara Okafor",
                        "Elena Petrova", "Kai Müller", "Nora Lindqvist", "Diego Silva", "Hana Kim"]
    /// Share of 1…5-star reviews, in percent.
    static let ratingWeights = [6, 6, 12, 30, 46]
    static let titles = [
        1: ["Disappointed", "Not as described", "Would not buy again"],
        2: ["Below expectations", "Just okay for a while", "Quality could be better"],
        3: ["Does the job", "Decent for the price", "Mixed feelings"],
        4: ["Very good", "Happy with it", "Solid choice"],
        5: ["Excellent!", "Love it", "Exactly what I wanted", "Best purchase this year"],
    ]
    static let bodies = [
        1: "The %@ arrived and it did not match the photos at all. I sent it back.",
        2: "The %@ works, but it feels cheaper than I hoped and it shows wear already.",
        3: "The %@ is fine. Nothing special, nothing wrong; delivery took a little long.",
        4: "Good %@ overall. Well made and it arrived quickly; one small detail could be better.",
        5: "This %@ is great. Well made, arrived fast, and it looks even better than in the pictures.",
    ]

    struct Seeded {
        var products: Int
        var reviews: Int
        var replies: Int
    }

    /// Seeds unless reviews exist; nil when they did.
    func seed(client: DatabaseClient, logger: Logger) async throws -> Seeded? {
        for try await count in try await client.query("SELECT count(*)::int FROM reviews", logger: logger).decode(Int.self) where count > 0 { return nil }
        var generator = SeededGenerator(seed: seed ^ 0x5EED_4E71_E35)
        let customers = (0..<60).map { index in
            (id: UUID.v7(now: Date(timeIntervalSince1970: 1_700_000_000 + Double(index))), name: ReviewRules.displayName(Self.names[index % Self.names.count]))
        }
        let chosen = products.enumerated().filter { $0.offset % 3 == 0 }.prefix(300).map(\.element)
        var result = Seeded(products: 0, reviews: 0, replies: 0)
        let now = Date()
        for product in chosen {
            let written = Self.reviews(of: product, customers: customers, now: now, using: &generator)
            try await client.withTransaction(logger: logger) { connection in
                try await ReviewRepository.lockSummary(product.id, on: connection, logger: logger)
                for review in written {
                    try await connection.query("""
                        WITH bought AS (INSERT INTO purchases (customer_id, product_id, order_id, shop_id, product_name, status, delivered_at)
                                        VALUES (\(review.author), \(product.id), \(UUID.v7(now: review.date)), \(product.shopId), \(product.name),
                                                'delivered', \(review.date))),
                             written AS (INSERT INTO reviews (id, product_id, shop_id, product_name, author_id, author_name, rating, title, body,
                                                              helpful_count, reply_body, reply_at, created_at, updated_at)
                                         VALUES (\(review.id), \(product.id), \(product.shopId), \(product.name), \(review.author), \(review.authorName),
                                                 \(review.rating), \(review.title), \(review.body), \(review.voters.count), \(review.reply),
                                                 \(review.reply == nil ? nil : review.date.addingTimeInterval(86_400)), \(review.date), \(review.date))
                                         RETURNING id)
                        INSERT INTO helpful_votes (review_id, user_id) SELECT w.id, v FROM written w, unnest(\(review.voters)::uuid[]) AS v
                        """, logger: logger)
                }
                try await ReviewRepository(client: client, outbox: outbox).recount(product.id, on: connection, logger: logger)
            }
            result.products += 1
            result.reviews += written.count
            result.replies += written.filter { $0.reply != nil }.count
        }
        return result
    }

    struct Written: Sendable {
        var id: UUID
        var author: UUID
        var authorName: String
        var date: Date
        var rating: Int
        var title: String
        var body: String
        var reply: String?
        var voters: [UUID]
    }

    /// 1–12 reviews of `product` by distinct customers over the last 180 days, oldest first.
    static func reviews(of product: DemoProduct, customers: [(id: UUID, name: String)], now: Date, using generator: inout SeededGenerator) -> [Written] {
        let authors = customers.shuffled(using: &generator).prefix(1 + Int(generator.next() % 12))
        let dates = authors.map { _ in now.addingTimeInterval(-Double(generator.next() % (180 * 86_400))) }.sorted()
        return zip(authors, dates).map { author, date in
            let rating = rating(generator.next() % 100)
            let titles = Self.titles[rating]!
            let reply = rating <= 3 || generator.next() % 5 == 0 ? "Thank you for your review — we read every one and pass it on to our workshop." : nil
            return Written(id: UUID.v7(now: date), author: author.id, authorName: author.name, date: date, rating: rating,
                           title: titles[Int(generator.next() % UInt64(titles.count))], body: bodies[rating]!.replacingOccurrences(of: "%@", with: product.name.lowercased()),
                           reply: reply, voters: customers.filter { $0.id != author.id }.shuffled(using: &generator).prefix(Int(generator.next() % 8)).map(\.id))
        }
    }

    /// A rating from a percentile by ``ratingWeights``.
    static func rating(_ percentile: UInt64) -> Int {
        var bound: UInt64 = 0
        for (index, weight) in ratingWeights.enumerated() {
            bound += UInt64(weight)
            if percentile < bound { return index + 1 }
        }
        return 5
    }
}
