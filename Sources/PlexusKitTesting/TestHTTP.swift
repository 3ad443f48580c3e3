import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PlexusKit

extension ByteBuffer {
    /// A JSON body from any encodable value (dictionaries included).
    public static func json(_ value: some Encodable) -> ByteBuffer {
        ByteBuffer(bytes: try! JSON.encoder.encode(value))
    }

    /// A body from a raw JSON string.
    public static func raw(_ string: String) -> ByteBuffer {
        ByteBuffer(string: string)
    }
}

extension TestResponse {
    /// Decodes the body as JSON.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSON.decoder.decode(T.self, from: Data(buffer: body))
    }

    /// Decodes the body as a problem document.
    public func problem() throws -> Problem {
        try JSON.decoder.decode(Problem.self, from: Data(buffer: body))
    }

    /// The body as a string.
    public var text: String { String(buffer: body) }
}

/// Request headers helpers.
public enum TestHeaders {
    /// `Content-Type: application/json`, plus a bearer token when given.
    public static func json(token: String? = nil, extra: [HTTPField.Name: String] = [:]) -> HTTPFields {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        if let token { fields[.authorization] = "Bearer \(token)" }
        for (name, value) in extra { fields[name] = value }
        return fields
    }
}
