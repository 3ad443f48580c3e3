import Foundation
import PlexusKit

/// A validated `GET /api/v1/products` query. Parsing is pure; the repository maps each field to a
/// fixed SQL fragment.
struct ListingQuery: Sendable, Equatable {
    enum Sort: String, Sendable, CaseIterable {
        case relevance, newest, price, priceDescending = "-price", bestSelling, rating
    }

    var text: String?
    var category: IDOrSlug?
    var shop: UUID?
    var minPrice: Int?
    var maxPrice: Int?
    var inStock: Bool?
    /// In millionths of a star, as `rating_rank` stores averages.
    var minRating: Int?
    var attributes: [String: String] = [:]
    var sort: Sort = .relevance
    var limit = 20
    var cursor: ListingCursor?
    /// The cache key of what is filtered (every parameter but `sort`, `limit` and `cursor`): listings
    /// that differ only in order or page share their facet counts.
    var filterKey = ""

    static let fixedKeys: Set<String> = ["q", "category", "shop", "minPrice", "maxPrice", "inStock", "minRating", "sort", "limit", "cursor"]

    /// Parses `query`; unknown parameters and malformed values are 400 problems listing each one.
    init(query: [String: String]) throws {
        var errors: [FieldError] = []
        func fail(_ field: String, _ code: String, _ message: String) { errors.append(FieldError(field: field, code: code, message: message)) }
        for key in query.keys where !Self.fixedKeys.contains(key) {
            if key.hasPrefix("attr."), (6...55).contains(key.count), let value = query[key], (1...200).contains(value.count) {
                attributes[String(key.dropFirst(5))] = value
            } else {
                fail(key, "unknown_parameter", "Unknown query parameter or malformed attribute filter.")
            }
        }
        if let q = query["q"]?.trimmingCharacters(in: .whitespacesAndNewlines), !q.isEmpty {
            if q.count > 200 { fail("q", "too_long", "Search with at most 200 characters.") } else { text = q }
        }
        if let raw = query["category"], !raw.isEmpty {
            category = IDOrSlug(raw)
            if category == nil { fail("category", "invalid", "Give a category id or slug.") }
        }
        if let raw = query["shop"], !raw.isEmpty {
            if let id = UUID(uuidString: raw) { shop = id } else { fail("shop", "invalid", "Give a shop id.") }
        }
        func price(_ key: String) -> Int? {
            guard let raw = query[key], !raw.isEmpty else { return nil }
            guard let value = Int(raw), value >= 0, value <= CatalogRules.maxPrice else {
                fail(key, "invalid", "Give a whole number of minor units (cents), 0 or more.")
                return nil
            }
            return value
        }
        minPrice = price("minPrice")
        maxPrice = price("maxPrice")
        if let min = minPrice, let max = maxPrice, min > max { fail("maxPrice", "invalid_range", "maxPrice is below minPrice.") }
        if let raw = query["inStock"], !raw.isEmpty {
            switch raw.lowercased() {
            case "true", "1": inStock = true
            case "false", "0": inStock = false
            default: fail("inStock", "invalid", "Use true or false.")
            }
        }
        if let raw = query["minRating"], !raw.isEmpty {
            if raw.count <= 10, let value = Double(raw), value.isFinite, (1...5).contains(value) {
                minRating = Int((value * 1_000_000).rounded())
            } else {
                fail("minRating", "invalid", "Give an average rating from 1 to 5.")
            }
        }
        if let raw = query["sort"], !raw.isEmpty {
            if let sort = Sort(rawValue: raw) { self.sort = sort } else {
                fail("sort", "invalid", "Use one of \(Sort.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
        }
        if let raw = query["limit"] {
            if let value = Int(raw), (1...100).contains(value) { limit = value } else { fail("limit", "out_of_range", "Use 1 to 100.") }
        }
        if let raw = query["cursor"], !raw.isEmpty {
            if let cursor = ListingCursor(encoded: raw) { self.cursor = cursor } else { fail("cursor", "invalid_cursor", "The cursor is not valid.") }
        }
        if !errors.isEmpty { throw ProblemError.invalidQuery(errors) }
        filterKey = Self.cacheKey(query.filter { !["sort", "limit", "cursor"].contains($0.key) })
        // Without a search text, relevance has nothing to rank by: newest first.
        if sort == .relevance && text == nil { sort = .newest }
    }
}

/// Where the next page starts: the sort key and id of the last row shown (keyset paging), or an
/// offset for relevance, whose ranking is computed per query.
struct ListingCursor: Sendable, Equatable, Codable {
    var key: Int64?
    var id: UUID?
    var offset: Int?

    init(key: Int64? = nil, id: UUID? = nil, offset: Int? = nil) {
        self.key = key
        self.id = id
        self.offset = offset
    }

    init?(encoded: String) {
        guard encoded.count <= 200, let data = Data(base64URLEncoded: encoded),
              let cursor = try? JSONDecoder().decode(ListingCursor.self, from: data),
              cursor.id != nil || cursor.offset != nil, (cursor.offset ?? 0) >= 0, (cursor.offset ?? 0) <= 10_000
        else { return nil }
        self = cursor
    }

    var encoded: String { (try? JSONEncoder().encode(self))?.base64URLEncodedString() ?? "" }
}

/// The price bands of the listing facets, in minor units: [0, 10), [10, 25), … dollars.
enum PriceBands {
    static let bounds: [Int] = [0, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000]

    /// The band index of a price.
    static func index(of amount: Int) -> Int {
        (bounds.lastIndex { amount >= $0 }) ?? 0
    }
}

extension ListingQuery {
    /// The cache key of a listing request: parameters sorted by name, names and values
    /// percent-encoded, so `q=a%26sort%3Dprice` and `q=a&sort=price` never share an entry.
    static func cacheKey(_ parameters: [String: String]) -> String {
        let unreserved = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "" }
        return parameters.sorted { $0.key < $1.key }.map { encode($0.key) + "=" + encode($0.value) }.joined(separator: "&")
    }
}
