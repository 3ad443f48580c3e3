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

extension TestClientProtocol {
    /// Sends `body` as JSON with `method`, with a bearer token when given.
    public func send(_ method: HTTPRequest.Method, _ uri: String, _ body: some Encodable, token: String? = nil,
                     headers: [HTTPField.Name: String] = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: method, headers: TestHeaders.json(token: token, extra: headers), body: .json(body)) { $0 }
    }

    /// Sends a raw JSON string (for bodies no Swift type can express: explicit nulls, wrong types).
    public func sendRaw(_ method: HTTPRequest.Method, _ uri: String, _ body: String, token: String? = nil) async throws -> TestResponse {
        try await execute(uri: uri, method: method, headers: TestHeaders.json(token: token), body: .raw(body)) { $0 }
    }

    /// `POST` with a JSON body.
    public func post(_ uri: String, _ body: some Encodable, token: String? = nil, headers: [HTTPField.Name: String] = [:]) async throws -> TestResponse {
        try await send(.post, uri, body, token: token, headers: headers)
    }

    /// `PATCH` with a JSON body.
    public func patch(_ uri: String, _ body: some Encodable, token: String?) async throws -> TestResponse {
        try await send(.patch, uri, body, token: token)
    }

    /// `GET`.
    public func get(_ uri: String, token: String? = nil, headers: [HTTPField.Name: String] = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: TestHeaders.json(token: token, extra: headers)) { $0 }
    }

    /// `DELETE`.
    public func delete(_ uri: String, token: String?) async throws -> TestResponse {
        try await execute(uri: uri, method: .delete, headers: TestHeaders.json(token: token)) { $0 }
    }
}
