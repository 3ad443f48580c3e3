import Foundation
import HTTPTypes
import HummingbirdTesting
import OrderAPI
import PlexusKit
import PlexusKitTesting
import ReviewAPI
import Testing

/// Writing, editing and deleting reviews, who may, and the summary after each change.
@Suite("Review writes", .serialized)
struct ReviewWriteTests {
    @Test("only a customer whose order was delivered reviews, once; bad bodies change nothing")
    func eligibility() async throws {
        try await ReviewHarness.with { harness, http in
            // setup
            let shop = try await harness.shop(http)
            let product = (id: UUID.v7(), name: "Walnut Desk")
            let stranger = try await harness.customer("Stranger Danger")
            let waiting = try await harness.customer("Wanda Waits")
            let buyer = try await harness.customer("Ada Lovelace")
            try await harness.order(http, customer: waiting.id, products: [product], shop: shop.id, delivered: false)
            try await harness.order(http, customer: buyer.id, products: [product], shop: shop.id)
            let good = CreateReviewRequest(rating: 5, title: " Lovely desk ", body: "Solid walnut.\nWorth it.")
            // expect
            #expect(try await http.review(product.id, good, token: stranger.token).problem().code == "not_purchased")
            #expect(try await http.review(product.id, good, token: waiting.token).problem().code == "not_delivered")
            #expect(try await http.review(product.id, good, token: nil).status == .unauthorized)
            let unknownField = try await http.sendRaw(.post, "/api/v1/products/\(product.id)/reviews",
                                                      #"{"rating":5,"title":"t","body":"b","helpfulCount":99}"#, token: buyer.token)
            #expect(unknownField.status == .badRequest)
            for bad in [#"{"rating":0,"title":"t","body":"b"}"#, #"{"rating":"5","title":"t","body":"b"}"#, #"{"rating":5,"title":"","body":"b"}"#,
                        #"{"rating":5,"title":"t\u0000","body":"b"}"#, #"{"rating":5.5,"title":"t","body":"b"}"#] {
                let refused = try await http.sendRaw(.post, "/api/v1/products/\(product.id)/reviews", bad, token: buyer.token)
                #expect([.badRequest, .unprocessableContent].contains(refused.status), "\(bad) → \(refused.status)")
            }
            #expect(try await harness.published(ReviewEvent.summaryChanged).isEmpty)

            let created = try await http.review(product.id, good, token: buyer.token)
            #expect(created.status == .created, "\(created.text)")
            let review = try created.decode(ReviewDTO.self)
            #expect(review.authorName == "Ada L." && review.title == "Lovely desk" && review.body == "Solid walnut.\nWorth it." && review.status == .published)
            #expect(review.reportCount == nil && review.helpfulCount == 0)
            let again = try await http.review(product.id, CreateReviewRequest(rating: 1, title: "Again", body: "b"), token: buyer.token)
            #expect(try again.status == .conflict && (try again.problem().code) == "already_reviewed")
            let summaries = try await harness.published(ReviewEvent.summaryChanged)
            #expect(summaries.map(\.count) == [1] && summaries[0].average == 5 && summaries[0].histogram["5"] == 1 && summaries[0].version == 1)
        }
    }

    @Test("the summary is exact after create, edit and delete, and each change is published with a higher version")
    func summaries() async throws {
        try await ReviewHarness.with { harness, http in
            // setup
            let shop = try await harness.shop(http)
            let product = (id: UUID.v7(), name: "Lamp")
            var tokens: [String] = []
            for name in ["A One", "B Two", "C Three"] {
                let customer = try await harness.customer(name)
                try await harness.order(http, customer: customer.id, products: [product], shop: shop.id)
                tokens.append(customer.token)
            }
            // act
            var ids: [UUID] = []
            for (token, rating) in zip(tokens, [5, 4, 1]) {
                ids.append(try await http.review(product.id, CreateReviewRequest(rating: rating, title: "Stars", body: "\(rating)"), token: token)
                    .decode(ReviewDTO.self).id)
            }
            let summary = { try await http.get("/api/v1/products/\(product.id)/reviews").decode(ProductReviewsPage.self).summary }
            // expect
            #expect(try await summary() == ReviewSummary(average: 3.33, count: 3, histogram: ["1": 1, "2": 0, "3": 0, "4": 1, "5": 1]))
            let edited = try await http.patch("/api/v1/reviews/\(ids[2])", UpdateReviewRequest(rating: 3, title: "Better now"), token: tokens[2])
            #expect(try edited.status == .ok && (try edited.decode(ReviewDTO.self)).title == "Better now")
            #expect(try await summary() == ReviewSummary(average: 4, count: 3, histogram: ["1": 0, "2": 0, "3": 1, "4": 1, "5": 1]))
            // only the author edits or deletes: another user's review is not found for them
            #expect(try await http.patch("/api/v1/reviews/\(ids[0])", UpdateReviewRequest(rating: 1), token: tokens[1]).status == .notFound)
            #expect(try await http.delete("/api/v1/reviews/\(ids[0])", token: tokens[1]).status == .notFound)
            #expect(try await http.delete("/api/v1/reviews/\(ids[0])", token: tokens[0]).status == .noContent)
            #expect(try await summary() == ReviewSummary(average: 3.5, count: 2, histogram: ["1": 0, "2": 0, "3": 1, "4": 1, "5": 0]))
            #expect(try await http.get("/api/v1/reviews/\(ids[0])").status == .notFound)
            // an edit that leaves the ratings as they were publishes nothing
            _ = try await http.patch("/api/v1/reviews/\(ids[1])", UpdateReviewRequest(title: "Same stars"), token: tokens[1])
            let published = try await harness.published(ReviewEvent.summaryChanged)
            #expect(published.map(\.count) == [1, 2, 3, 3, 2] && published.map(\.version) == [1, 2, 3, 4, 5])
            #expect(published.last?.sum == 7)
        }
    }

    @Test("concurrent reviews of one product leave an exact summary")
    func concurrentReviews() async throws {
        try await ReviewHarness.with { harness, http in
            let shop = try await harness.shop(http)
            let product = (id: UUID.v7(), name: "Chair")
            var customers: [(id: UUID, token: String)] = []
            for index in 0..<12 {
                let customer = try await harness.customer("Buyer \(index)")
                try await harness.order(http, customer: customer.id, products: [product], shop: shop.id)
                customers.append(customer)
            }
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for (index, customer) in customers.enumerated() {
                    group.addTask {
                        try await http.review(product.id, CreateReviewRequest(rating: index % 5 + 1, title: "t", body: "b"), token: customer.token).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .created })
            let summary = try await http.get("/api/v1/products/\(product.id)/reviews").decode(ProductReviewsPage.self).summary
            #expect(summary.count == 12 && summary.histogram == ["1": 3, "2": 3, "3": 2, "4": 2, "5": 2])
        }
    }

    @Test("photos: the author's own uploads only, at most five; they show with their URLs")
    func photos() async throws {
        try await ReviewHarness.with { harness, http in
            let shop = try await harness.shop(http)
            let product = (id: UUID.v7(), name: "Vase")
            let buyer = try await harness.customer("Pia Photo")
            let other = try await harness.customer("Otto Other")
            try await harness.order(http, customer: buyer.id, products: [product], shop: shop.id)
            let mine = try await harness.upload(token: buyer.token)
            let theirs = try await harness.upload(token: other.token)
            // expect
            let foreign = try await http.review(product.id, CreateReviewRequest(rating: 4, title: "t", body: "b", mediaIds: [mine, theirs]), token: buyer.token)
            #expect(try foreign.status == .forbidden && (try foreign.problem().code) == "not_your_media")
            let unknown = try await http.review(product.id, CreateReviewRequest(rating: 4, title: "t", body: "b", mediaIds: [UUID()]), token: buyer.token)
            #expect(try unknown.status == .unprocessableContent && (try unknown.problem().errors?.first?.code) == "unknown_media")
            #expect(try await harness.published(ReviewEvent.summaryChanged).isEmpty)
            let created = try await http.review(product.id, CreateReviewRequest(rating: 4, title: "t", body: "b", mediaIds: [mine]), token: buyer.token)
            let review = try created.decode(ReviewDTO.self)
            #expect(review.mediaIds == [mine] && review.photos.first?.url == "http://localhost:8080/api/v1/media/\(mine.uuidString.lowercased())/file")
            let withPhotos = try await http.get("/api/v1/products/\(product.id)/reviews?withPhotos=true").decode(ProductReviewsPage.self)
            #expect(withPhotos.items.map(\.id) == [review.id])
            // removing the photos by an edit
            let edited = try await http.patch("/api/v1/reviews/\(review.id)", UpdateReviewRequest(mediaIds: []), token: buyer.token).decode(ReviewDTO.self)
            #expect(edited.photos.isEmpty)
            #expect(try await http.get("/api/v1/products/\(product.id)/reviews?withPhotos=true").decode(ProductReviewsPage.self).items.isEmpty)
        }
    }

    @Test("a delivery invites the customer to review what they have not reviewed; a cancelled unpaid line is forgotten")
    func invitations() async throws {
        try await ReviewHarness.with { harness, http in
            let shop = try await harness.shop(http)
            let desk = (id: UUID.v7(), name: "Desk"), lamp = (id: UUID.v7(), name: "Lamp")
            let buyer = try await harness.customer("Ivy Invite")
            try await harness.order(http, customer: buyer.id, products: [desk], shop: shop.id)
            _ = try await http.review(desk.id, CreateReviewRequest(rating: 5, title: "t", body: "b"), token: buyer.token)
            try await harness.order(http, customer: buyer.id, products: [desk, lamp], shop: shop.id)
            let invitations = try await harness.published(ReviewEvent.invited)
            #expect(invitations.map { $0.products.map(\.productName) } == [["Desk"], ["Lamp"]])
            #expect(invitations.last?.products.first?.reviewUrl == "http://localhost:8080/api/v1/products/\(lamp.id.uuidString.lowercased())/reviews")
            // paid, then cancelled: no longer a purchase
            let chair = (id: UUID.v7(), name: "Chair")
            let order = try await harness.order(http, customer: buyer.id, products: [chair], shop: shop.id, delivered: false)
            let cancelled = OrderEventData(orderId: order, number: "PLX-1", customerId: buyer.id, status: .cancelled, lines: [], subtotal: .init(amount: 0, currency: "USD"),
                                           discount: .init(amount: 0, currency: "USD"), shipping: .init(amount: 0, currency: "USD"),
                                           total: .init(amount: 0, currency: "USD"), promotionCode: nil, reason: nil, at: Date())
            try await harness.deliver(http, EventEnvelope(OrderEvent.cancelled, data: cancelled), from: .order)
            #expect(try await http.review(chair.id, CreateReviewRequest(rating: 5, title: "t", body: "b"), token: buyer.token).problem().code == "not_purchased")
        }
    }
}
