import Foundation

/// A UUID tagged with the entity it identifies, so a `TypedID<User>` cannot be passed where a
/// `TypedID<Address>` is expected. Encodes as a plain UUID string in JSON and as `uuid` in Postgres.
public struct TypedID<Entity>: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The underlying UUID.
    public let rawValue: UUID

    /// Wraps an existing UUID.
    public init(_ rawValue: UUID) { self.rawValue = rawValue }

    /// A fresh, time-ordered (UUIDv7) id.
    public static func generate() -> Self { Self(.v7()) }

    /// Parses a UUID string; `nil` when malformed.
    public init?(_ string: String) {
        guard let uuid = UUID(uuidString: string) else { return nil }
        self.rawValue = uuid
    }

    /// The lower-case UUID string.
    public var description: String { rawValue.lowercased }

    /// Decodes from a UUID string.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(UUID.self)
    }

    /// Encodes as a lower-case UUID string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue.lowercased)
    }
}
