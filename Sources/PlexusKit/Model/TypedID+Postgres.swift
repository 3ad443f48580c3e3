import Foundation
import PlexusContract
import PostgresNIO

extension TypedID: PostgresEncodable, PostgresNonThrowingEncodable, PostgresDecodable {
    /// Postgres type `uuid`.
    public static var psqlType: PostgresDataType { .uuid }
    /// Binary format.
    public static var psqlFormat: PostgresFormat { .binary }

    /// Encodes the UUID.
    public func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        rawValue.encode(into: &byteBuffer, context: context)
    }

    /// Decodes the UUID.
    public init<JSONDecoder: PostgresJSONDecoder>(from byteBuffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>) throws {
        self.init(try UUID(from: &byteBuffer, type: type, format: format, context: context))
    }
}
