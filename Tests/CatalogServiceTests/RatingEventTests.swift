import CatalogAPI
import Foundation
import PlexusKit
import PlexusKitTesting
import ReviewAPI
import Testing

@Suite("Catalog: the review service's summaries")
struct RatingEventTests {
    static func summary(_ product: UUID, stars: [Int], version: Int) -> EventEnvelope<ReviewSummaryChanged> {
        let sum = stars.enumerated().reduce(0) { $0 + ($1.offset + 1) * $1.element }
        return EventEnvelope(ReviewEvent.summaryChanged, data: ReviewSummaryChanged(productId: product, summary: ReviewSummary(stars: stars), sum: sum,
                                                                                    version: version))
    }

    @Test("review.summary_changed sets the rating (detail with histogram, listing); sort by rating and minRating follow; a late older version is ignored")
    func ratingsFollowSummaries() async throws {
        try await CatalogHarness.with { harness, http in
            // setup
            let category = try await harness.category(http, "Rated")
            let (seller, _) = try await harness.openShop(http)
            let good = try await http.create(product("Good Kettle", category: category, sku: "GK-1"), token: seller)
            let fair = try await http.create(product("Fair Kettle", category: category, sku: "FK-1"), token: seller)
            let unrated = try await http.create(product("New Kettle", category: category, sku: "NK-1"), token: seller)
            let token = try TestServiceKeys.token(from: .review, to: .catalog)
            func deliver(_ event: EventEnvelope<ReviewSummaryChanged>) async throws {
                #expect(try await http.execute(uri: "/internal/events", method: .post, headers: TestHeaders.json(token: token), body: .json(event)) { $0 }
                    .status == .ok)
            }
            _ = try await http.get("/api/v1/products/\(good.id)") // cached before the event
            // act
            try await deliver(Self.summary(good.id, stars: [0, 0, 0, 1, 3], version: 2))
            try await deliver(Self.summary(fair.id, stars: [1, 0, 1, 0, 0], version: 1))
            try await deliver(Self.summary(good.id, stars: [5, 0, 0, 0, 0], version: 1)) // older, delivered late
            // expect
            #expect(try await eventually {
                let rating = try await http.get("/api/v1/products/\(good.id)").decode(ProductDTO.self).rating
                return rating == RatingSummaryDTO(average: 4.75, count: 4, histogram: ["1": 0, "2": 0, "3": 0, "4": 1, "5": 3])
            })
            #expect(try await eventually {
                try await http.get("/api/v1/products?category=\(category)&sort=rating").decode(ProductListDTO.self).items.map(\.id)
                    == [good.id, fair.id, unrated.id]
            })
            let filtered = try await http.get("/api/v1/products?category=\(category)&minRating=4.5").decode(ProductListDTO.self)
            #expect(filtered.items.map(\.id) == [good.id] && filtered.items.first?.rating == RatingSummaryDTO(average: 4.75, count: 4))
            #expect(try await http.get("/api/v1/products?category=\(category)&minRating=2").decode(ProductListDTO.self).items.count == 2)
            for bad in ["0", "5.1", "abc", "nan", "inf"] {
                #expect(try await http.get("/api/v1/products?minRating=\(bad)").status == .badRequest, "\(bad)")
            }
        }
    }
}
