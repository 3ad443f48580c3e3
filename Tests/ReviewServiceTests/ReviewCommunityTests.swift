import Foundation
import HTTPTypes
import HummingbirdTesting
import PlexusKit
import PlexusKitTesting
import ReviewAPI
import Testing

/// Reading lists, helpful votes, reports, seller replies and moderation.
@Suite("Review community", .serialized)
struct ReviewCommunityTests {
    /// A product with reviews rated `ratings` (oldest first) by new customers; their ids and tokens.
    static func reviewed(_ harness: ReviewHarness, _ http: any TestClientProtocol, shop: UUID, product: UUID = .v7(),
                         ratings: [Int]) async throws -> (product: UUID, reviews: [(id: UUID, token: String)]) {
        var reviews: [(id: UUID, token: String)] = []
        for (index, rating) in ratings.enumerated() {
            let customer = try await harness.customer("Reviewer \(index)")
            try await harness.order(http, customer: customer.id, products: [(product, "Product")], shop: shop)
            let created = try await http.review(product, CreateReviewRequest(rating: rating, title: "Title \(index)", body: "Body"), token: customer.token)
            #expect(created.status == .created)
            reviews.append((try created.decode(ReviewDTO.self).id, customer.token))
        }
        return (product, reviews)
    }

    @Test("lists sort by newest, helpful or rating, filter by stars, and page with a cursor")
    func lists() async throws {
        try await ReviewHarness.with { harness, http in
            let shop = try await harness.shop(http)
            let (product, reviews) = try await Self.reviewed(harness, http, shop: shop.id, ratings: [3, 5, 1, 4, 5])
            let ids = reviews.map(\.id)
            let voter = try await harness.customer("Vera Voter")
            #expect(try await http.post("/api/v1/reviews/\(ids[2])/helpful", "", token: voter.token).status == .ok)
            func list(_ query: String) async throws -> ProductReviewsPage {
                try await http.get("/api/v1/products/\(product)/reviews\(query)").decode(ProductReviewsPage.self)
            }
            #expect(try await list("").items.map(\.id) == ids.reversed())
            #expect(try await list("?sort=helpful").items.first?.id == ids[2])
            #expect(try await list("?sort=rating").items.map(\.rating) == [5, 5, 4, 3, 1])
            #expect(try await list("?stars=4,5").items.map(\.id) == [ids[4], ids[3], ids[1]])
            let first = try await list("?sort=rating&limit=2")
            #expect(first.items.map(\.rating) == [5, 5] && first.nextCursor != nil && first.summary.count == 5)
            let second = try await list("?sort=rating&limit=2&cursor=\(first.nextCursor!)")
            let third = try await list("?sort=rating&limit=2&cursor=\(second.nextCursor!)")
            #expect(second.items.map(\.rating) == [4, 3] && third.items.map(\.rating) == [1] && third.nextCursor == nil)
            #expect(Set((first.items + second.items + third.items).map(\.id)) == Set(ids))
            for bad in ["?sort=oldest", "?stars=9", "?limit=0", "?cursor=bm9wZQ", "?unknown=1"] {
                #expect(try await http.get("/api/v1/products/\(product)/reviews\(bad)").status == .badRequest, "\(bad)")
            }
            #expect(try await http.get("/api/v1/products/not-a-uuid/reviews").status == .notFound)
            let empty = try await http.get("/api/v1/products/\(UUID())/reviews").decode(ProductReviewsPage.self)
            #expect(empty.items.isEmpty && empty.summary.count == 0 && empty.summary.average == 0)
        }
    }

    @Test("helpful votes: once per user, never one's own; 20 users at once count 20, one user voting at once counts 1")
    func votes() async throws {
        try await ReviewHarness.with { harness, http in
            let shop = try await harness.shop(http)
            let (_, reviews) = try await Self.reviewed(harness, http, shop: shop.id, ratings: [4])
            let review = reviews[0]
            let own = try await http.post("/api/v1/reviews/\(review.id)/helpful", "", token: review.token)
            #expect(try own.status == .forbidden && (try own.problem().code) == "own_review")
            var voters: [String] = []
            for index in 0..<20 { voters.append(try await harness.customer("Voter \(index)").token) }
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for token in voters { group.addTask { try await http.post("/api/v1/reviews/\(review.id)/helpful", "", token: token).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .ok })
            #expect(try await http.get("/api/v1/reviews/\(review.id)").decode(ReviewDTO.self).helpfulCount == 20)
            let eager = try await harness.customer("Eager Clicker")
            let repeated = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<10 { group.addTask { try await http.post("/api/v1/reviews/\(review.id)/helpful", "", token: eager.token).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(repeated.filter { $0 == .ok }.count == 1 && repeated.filter { $0 == .conflict }.count == 9)
            #expect(try await http.get("/api/v1/reviews/\(review.id)").decode(ReviewDTO.self).helpfulCount == 21)
            let taken = try await http.delete("/api/v1/reviews/\(review.id)/helpful", token: eager.token).decode(ReviewDTO.self)
            let again = try await http.delete("/api/v1/reviews/\(review.id)/helpful", token: eager.token).decode(ReviewDTO.self)
            #expect(taken.helpfulCount == 20 && again.helpfulCount == 20)
            #expect(try await http.post("/api/v1/reviews/\(UUID())/helpful", "", token: eager.token).status == .notFound)
        }
    }

    @Test("the product's seller replies once and edits; other sellers and customers cannot; the author is told once")
    func replies() async throws {
        try await ReviewHarness.with { harness, http in
            let shop = try await harness.shop(http)
            let otherShop = try await harness.shop(http)
            let (_, reviews) = try await Self.reviewed(harness, http, shop: shop.id, ratings: [2])
            let review = reviews[0]
            let path = "/api/v1/reviews/\(review.id)/reply"
            let other = try await http.post(path, ReplyRequest(body: "Not mine"), token: otherShop.token)
            #expect(try other.status == .forbidden && (try other.problem().code) == "not_your_product")
            #expect(try await http.post(path, ReplyRequest(body: "I am no seller"), token: review.token).status == .forbidden)
            #expect(try await http.post(path, ReplyRequest(body: "   "), token: shop.token).status == .unprocessableContent)
            #expect(try await http.patch(path, ReplyRequest(body: "Nothing to edit"), token: shop.token).status == .notFound)
            let replied = try await http.post(path, ReplyRequest(body: "Sorry — we will send a new one."), token: shop.token)
            #expect(try replied.status == .created && (try replied.decode(ReviewDTO.self)).reply?.body == "Sorry — we will send a new one.")
            let twice = try await http.post(path, ReplyRequest(body: "Again"), token: shop.token)
            #expect(try twice.status == .conflict && (try twice.problem().code) == "reply_exists")
            let edited = try await http.patch(path, ReplyRequest(body: "Sorry — a new one is on its way."), token: shop.token).decode(ReviewDTO.self)
            #expect(edited.reply?.body == "Sorry — a new one is on its way." && edited.reply?.editedAt != nil)
            let notices = try await harness.published(ReviewEvent.replied)
            #expect(notices.map(\.text) == ["Sorry — we will send a new one."] && notices.first?.productName == "Product")
        }
    }

    @Test("reports queue a review; an admin hides it with a reason (gone from lists and summary, seen by author and admins) or restores it")
    func moderation() async throws {
        try await ReviewHarness.with { harness, http in
            let shop = try await harness.shop(http)
            let (product, reviews) = try await Self.reviewed(harness, http, shop: shop.id, ratings: [5, 1])
            let target = reviews[1]
            let reporter = try await harness.customer("Rita Reporter")
            let admin = try await harness.admin()
            let report = "/api/v1/reviews/\(target.id)/report"
            #expect(try await http.post(report, ReportReviewRequest(reason: "Spam link"), token: target.token).status == .forbidden)
            #expect(try await http.post(report, ReportReviewRequest(reason: ""), token: reporter.token).status == .unprocessableContent)
            #expect(try await http.post(report, ReportReviewRequest(reason: "Spam link"), token: reporter.token).status == .noContent)
            let twice = try await http.post(report, ReportReviewRequest(reason: "Spam link"), token: reporter.token)
            #expect(try twice.status == .conflict && (try twice.problem().code) == "already_reported")
            let queue = try await http.get("/api/v1/admin/reviews?reported=true", token: admin).decode(Page<ReviewDTO>.self)
            #expect(queue.items.map(\.id) == [target.id] && queue.items.first?.reportCount == 1)
            #expect(try await http.get("/api/v1/admin/reviews?reported=true", token: reporter.token).status == .forbidden)
            #expect(try await http.get("/api/v1/admin/reviews?status=gone", token: admin).status == .badRequest)

            let moderation = "/api/v1/reviews/\(target.id)/moderation"
            #expect(try await http.post(moderation, ModerationRequest(status: .hidden), token: admin).status == .unprocessableContent)
            #expect(try await http.post(moderation, ModerationRequest(status: .hidden, reason: "x"), token: reporter.token).status == .forbidden)
            let hidden = try await http.post(moderation, ModerationRequest(status: .hidden, reason: "Advertising"), token: admin)
            #expect(try hidden.status == .ok && (try hidden.decode(ReviewDTO.self)).status == .hidden)
            let page = try await http.get("/api/v1/products/\(product)/reviews").decode(ProductReviewsPage.self)
            #expect(page.items.map(\.id) == [reviews[0].id] && page.summary == ReviewSummary(stars: [0, 0, 0, 0, 1]))
            #expect(try await http.get("/api/v1/reviews/\(target.id)").status == .notFound)
            #expect(try await http.get("/api/v1/reviews/\(target.id)", token: reporter.token).status == .notFound)
            let seen = try await http.get("/api/v1/reviews/\(target.id)", token: target.token).decode(ReviewDTO.self)
            #expect(seen.moderation?.reason == "Advertising" && seen.reportCount == nil)
            #expect(try await http.get("/api/v1/reviews/\(target.id)", token: admin).decode(ReviewDTO.self).reportCount == 0)
            #expect(try await http.post("/api/v1/reviews/\(target.id)/helpful", "", token: reporter.token).status == .notFound)
            #expect(try await http.get("/api/v1/admin/reviews?reported=true", token: admin).decode(Page<ReviewDTO>.self).items.isEmpty)
            #expect(try await harness.published(ReviewEvent.hidden).map(\.text) == ["Advertising"])

            let restored = try await http.post(moderation, ModerationRequest(status: .published), token: admin).decode(ReviewDTO.self)
            #expect(restored.status == .published && restored.moderation == nil)
            #expect(try await http.get("/api/v1/products/\(product)/reviews").decode(ProductReviewsPage.self).summary == ReviewSummary(stars: [1, 0, 0, 0, 1]))
            #expect(try await harness.published(ReviewEvent.summaryChanged).map(\.count) == [1, 2, 1, 2])
        }
    }

    @Test("cached pages are dropped on every replica when a product's reviews change")
    func cache() async throws {
        try await ReviewHarness.with(cacheEntries: 100) { harness, http in
            try await withServices(harness.companions) {
                let shop = try await harness.shop(http)
                let (product, reviews) = try await Self.reviewed(harness, http, shop: shop.id, ratings: [4])
                let first = try await http.get("/api/v1/products/\(product)/reviews")
                #expect(first.headers[.cacheControl] == "public, max-age=10" && first.headers[.eTag] != nil)
                let etag = try #require(first.headers[.eTag])
                #expect(try await http.get("/api/v1/products/\(product)/reviews", headers: [.ifNoneMatch: etag]).status == .notModified)
                #expect(try await http.delete("/api/v1/reviews/\(reviews[0].id)", token: reviews[0].token).status == .noContent)
                #expect(try await eventually {
                    try await http.get("/api/v1/products/\(product)/reviews").decode(ProductReviewsPage.self).items.isEmpty
                })
            }
        }
    }
}
