import Foundation
import PlexusKit
import ReviewAPI
@testable import ReviewService
import Testing

/// The pure rules: names shown, texts accepted, list queries parsed, summaries computed.
@Suite struct ReviewRulesTests {
    @Test(arguments: [
        ("Ada Lovelace", "Ada L."), ("  ada   byron lovelace ", "ada L."), ("Cher", "Cher"), ("", "A customer"), ("   ", "A customer"),
        ("Zoë ångström", "Zoë Å."), ("Ada\u{0} Evil", "Ada E."),
    ])
    func displayNames(name: String, shown: String) {
        #expect(ReviewRules.displayName(name) == shown)
    }

    @Test func textsAreTrimmedLimitedAndFreeOfControlCharacters() {
        #expect(ReviewRules.text("Fine", field: "title", 1...150, multiline: false, required: true).isEmpty)
        #expect(ReviewRules.text("   ", field: "title", 1...150, multiline: false, required: true).map(\.code) == ["required"])
        #expect(ReviewRules.text(nil, field: "title", 1...150, multiline: false, required: true).map(\.code) == ["required"])
        #expect(ReviewRules.text(nil, field: "title", 1...150, multiline: false, required: false).isEmpty)
        #expect(ReviewRules.text(String(repeating: "é", count: 151), field: "title", 1...150, multiline: false, required: true).map(\.code) == ["too_long"])
        // combining marks count as code points, as PostgreSQL counts them
        #expect(ReviewRules.text(String(repeating: "e\u{301}", count: 80), field: "title", 1...150, multiline: false, required: true).map(\.code) == ["too_long"])
        #expect(ReviewRules.text("a\u{0}b", field: "body", 1...10, multiline: true, required: true).map(\.code) == ["invalid_characters"])
        #expect(ReviewRules.text("line\nnext", field: "title", 1...150, multiline: false, required: true).map(\.code) == ["invalid_characters"])
        #expect(ReviewRules.text("line\r\nnext\tend", field: "body", 1...150, multiline: true, required: true).isEmpty)
    }

    @Test func requestsNameEachBadField() {
        let bad = CreateReviewRequest(rating: 6, title: "", body: String(repeating: "x", count: 5_001), mediaIds: Array(repeating: UUID(), count: 2))
        #expect(Set(bad.validate().map(\.field)) == ["rating", "title", "body", "mediaIds"])
        #expect(CreateReviewRequest(rating: 0, title: "t", body: "b").validate().map(\.code) == ["out_of_range"])
        #expect(CreateReviewRequest(rating: 5, title: "t", body: "b", mediaIds: (0..<6).map { _ in UUID() }).validate().map(\.code) == ["too_many"])
        #expect(UpdateReviewRequest().validate().isEmpty)
        #expect(ModerationRequest(status: .hidden).validate().map(\.code) == ["required"])
        #expect(ModerationRequest(status: .published).validate().isEmpty)
    }

    @Test func summariesCountAverageAndHistogram() {
        let summary = ReviewSummary(stars: [1, 0, 0, 1, 2])
        #expect(summary.count == 4 && summary.average == 3.75)
        #expect(summary.histogram == ["1": 1, "2": 0, "3": 0, "4": 1, "5": 2])
        #expect(ReviewSummary(stars: [0, 0, 1, 1, 1]).average == 4)
        #expect(ReviewSummary(stars: [0, 0, 0, 2, 1]).average == 4.33)
        #expect(ReviewSummary(stars: []) == ReviewSummary(average: 0, count: 0, histogram: ["1": 0, "2": 0, "3": 0, "4": 0, "5": 0]))
    }

    @Test func listQueries() throws {
        let query = try ReviewListQuery(query: ["sort": "helpful", "stars": "5, 4,5", "withPhotos": "true", "limit": "5"])
        #expect(query.sort == .helpful && query.stars == [4, 5] && query.withPhotos && query.limit == 5)
        let cursor = ReviewListQuery.Cursor(key: 3, id: UUID())
        #expect(try ReviewListQuery(query: ["cursor": cursor.encoded]).cursor == cursor)
        for bad in [["sort": "oldest"], ["stars": "0"], ["stars": "4,,5"], ["stars": "six"], ["withPhotos": "maybe"], ["limit": "101"],
                    ["cursor": "%%%"], ["rating": "5"]] {
            let error = try #require(throws: ProblemError.self) { try ReviewListQuery(query: bad) }
            #expect(error.status == .badRequest)
        }
    }

    @Test(arguments: [(0, 1), (5, 1), (6, 2), (11, 2), (12, 3), (23, 3), (24, 4), (53, 4), (54, 5), (99, 5)])
    func demoRatingsLeanPositive(percentile: UInt64, rating: Int) {
        #expect(DemoReviews.rating(percentile) == rating)
    }
}
