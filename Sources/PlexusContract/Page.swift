import Foundation

/// A page of results with an opaque cursor.
public struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    /// The items on this page.
    public var items: [Item]
    /// The cursor for the next page, or `nil` at the end.
    public var nextCursor: String?

    /// Creates a page.
    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey { case items, nextCursor }

    /// Encodes `nextCursor` as an explicit `null` at the end.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}

extension Page {
    /// A page from rows fetched with `LIMIT limit + 1`: the extra row only says that more exist, and
    /// the cursor points after the last row shown.
    public init<Row>(fetched rows: [Row], limit: Int, id: (Row) -> UUID, item: (Row) -> Item) {
        let shown = rows.prefix(limit)
        self.items = shown.map(item)
        self.nextCursor = rows.count > limit ? shown.last.map { Page.cursor(after: id($0)) } : nil
    }
}

extension Page {
    /// The opaque cursor for continuing after `id`.
    public static func cursor(after id: UUID) -> String {
        Data(id.uuidString.utf8).base64URLEncodedString()
    }
}

extension Page: Decodable where Item: Decodable {
    /// Decodes a page (clients and tests).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.items = try container.decode([Item].self, forKey: .items)
        self.nextCursor = try container.decodeIfPresent(String.self, forKey: .nextCursor)
    }
}
