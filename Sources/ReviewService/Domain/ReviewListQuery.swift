import Foundation
import PlexusKit
import ReviewAPI

/// A validated `GET /api/v1/products/{id}/reviews` query. Parsing is pure; the repository maps
/// each field to a fixed SQL fragment.
struct ReviewListQuery: Sendable, Equatable {
    var sort: ReviewSort = .newest
    /// Empty: every rating.
    var stars: [Int] = []
    var withPhotos = false
    var limit = 20
    var cursor: Cursor?

    /// Where the next page starts: the last row's sort key (helpful count or rating) and id.
    struct Cursor: Sendable, Equatable, Codable {
        var key: Int
        var id: UUID

        init(key: Int, id: UUID) {
            self.key = key
            self.id = id
        }

        init?(encoded: String) {
            guard encoded.count <= 200, let data = Data(base64URLEncoded: encoded), let cursor = try? JSONDecoder().decode(Cursor.self, from: data) else { return nil }
            self = cursor
        }

        var encoded: String { (try? JSONEncoder().encode(self))?.base64URLEncodedString() ?? "" }
    }

    static let keys: Set<String> = ["sort", "stars", "withPhotos", "limit", "cursor"]

    /// Parses `query`; unknown parameters and malformed values are 400 problems naming each one.
    init(query: [String: String]) throws {
        var errors: [FieldError] = []
        func fail(_ field: String, _ code: String, _ message: String) { errors.append(FieldError(field: field, code: code, message: message)) }
        for key in query.keys where !Self.keys.contains(key) { fail(key, "unknown_parameter", "Unknown query parameter.") }
        if let raw = query["sort"], !raw.isEmpty {
            if let sort = ReviewSort(rawValue: raw) { self.sort = sort } else {
                fail("sort", "invalid", "Use one of \(ReviewSort.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
        }
        if let raw = query["stars"], !raw.isEmpty {
            let values = raw.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            if raw.count <= 20, values.allSatisfy({ $0.map { (1...5).contains($0) } ?? false }) {
                stars = Array(Set(values.compactMap { $0 })).sorted()
            } else {
                fail("stars", "invalid", "Give ratings from 1 to 5, comma separated.")
            }
        }
        if let raw = query["withPhotos"], !raw.isEmpty {
            switch raw.lowercased() {
            case "true", "1": withPhotos = true
            case "false", "0": withPhotos = false
            default: fail("withPhotos", "invalid", "Use true or false.")
            }
        }
        if let raw = query["limit"] {
            if let value = Int(raw), (1...100).contains(value) { limit = value } else { fail("limit", "out_of_range", "Use 1 to 100.") }
        }
        if let raw = query["cursor"], !raw.isEmpty {
            if let cursor = Cursor(encoded: raw) { self.cursor = cursor } else { fail("cursor", "invalid_cursor", "The cursor is not valid.") }
        }
        if !errors.isEmpty { throw ProblemError.invalidQuery(errors) }
    }

    /// The sort key of a review in this order (the id breaks ties).
    func key(helpful: Int, rating: Int) -> Int {
        switch sort {
        case .newest: 0
        case .helpful: helpful
        case .rating: rating
        }
    }
}
