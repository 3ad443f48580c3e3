import Crypto
import Foundation
import Hummingbird
import NIOCore

/// A response body prepared once for conditional GETs: the bytes and their strong `ETag`.
public struct CachedBody: Sendable {
    /// The encoded JSON.
    public let bytes: ByteBuffer
    /// A strong entity tag derived from the bytes (quoted).
    public let etag: String

    /// Prepares `bytes`, computing the tag from their SHA-256.
    public init(bytes: ByteBuffer) {
        self.bytes = bytes
        let digest = SHA256.hash(data: bytes.readableBytesView)
        self.etag = "\"" + Data(digest.prefix(12)).base64URLEncodedString() + "\""
    }

    /// Bytes prepared earlier with their tag (kept together, e.g. in a database row).
    public init(bytes: ByteBuffer, etag: String) {
        self.bytes = bytes
        self.etag = etag
    }

    /// Encodes `value` canonically (sorted keys, so equal data always gives the same tag) and prepares it.
    public init(json value: some Encodable) throws {
        self.init(bytes: ByteBuffer(bytes: try JSON.bytes(value, sortedKeys: true)))
    }

    /// `304 Not Modified` when the request's `If-None-Match` names this body's tag, otherwise
    /// `200` with the body; both carry `ETag` and `Cache-Control`.
    public func response(for request: Request, cacheControl: String) -> Response {
        var fields = HTTPFields()
        fields[.eTag] = etag
        fields[.cacheControl] = cacheControl
        if let match = request.headers[.ifNoneMatch], Self.matches(match, etag) {
            return Response(status: .notModified, headers: fields)
        }
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: fields, body: .init(byteBuffer: bytes))
    }

    /// Whether an `If-None-Match` value names `etag` (weak comparison, `*` matches anything).
    static func matches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            let trimmed = candidate.trimmingCharacters(in: .whitespaces)
            return trimmed == "*" || trimmed == etag || trimmed == "W/" + etag
        }
    }
}
