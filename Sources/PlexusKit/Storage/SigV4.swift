import Crypto
import Foundation

/// AWS Signature Version 4 (header form), written from AWS's description ("Create a signed AWS API
/// request") and checked against its published test vectors: a canonical request (method, URI,
/// sorted query, sorted lower-case headers, signed header names, payload hash), the string to sign,
/// a key derived by HMAC-SHA256 over date, region and service, and the `Authorization` header.
public struct SigV4Signer: Sendable {
    public var accessKey: String
    public var secretKey: String
    public var region: String
    public var service: String

    /// The payload hash S3 accepts in place of a real one.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// SHA-256 of nothing.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public init(accessKey: String, secretKey: String, region: String, service: String) {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.region = region
        self.service = service
    }

    /// The headers to add to a request: `X-Amz-Date`, `X-Amz-Content-SHA256` (with
    /// `includeContentHash`, as S3 requires) and `Authorization`. `path` is already percent-encoded
    /// (S3 encodes it exactly once); `query` holds raw names and values; `headers` are the other
    /// headers to sign, `Host` among them.
    public func sign(method: String, path: String, query: [(String, String)], headers: [(String, String)], payloadHash: String,
                     date: Date, includeContentHash: Bool = true) -> [(String, String)] {
        let (stamp, day) = Self.timestamps(date)
        var signed = headers.map { ($0.0.lowercased(), Self.trimmed($0.1)) }
        signed.append(("x-amz-date", stamp))
        if includeContentHash { signed.append(("x-amz-content-sha256", payloadHash)) }
        signed.sort { $0.0 < $1.0 }
        let names = signed.map(\.0).joined(separator: ";")
        let canonical = [
            method,
            path.isEmpty ? "/" : path,
            Self.canonicalQuery(query),
            signed.map { "\($0.0):\($0.1)\n" }.joined(),
            names,
            payloadHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let toSign = "AWS4-HMAC-SHA256\n\(stamp)\n\(scope)\n\(Self.sha256Hex(Data(canonical.utf8)))"
        let signature = RandomToken.hex(HMAC<SHA256>.authenticationCode(for: Data(toSign.utf8), using: signingKey(day: day)))
        var added = [("X-Amz-Date", stamp)]
        if includeContentHash { added.append(("X-Amz-Content-SHA256", payloadHash)) }
        added.append(("Authorization", "AWS4-HMAC-SHA256 Credential=\(accessKey)/\(scope), SignedHeaders=\(names), Signature=\(signature)"))
        return added
    }

    func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data(("AWS4" + secretKey).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    /// `20150830T123600Z` and `20150830` in UTC.
    static func timestamps(_ date: Date) -> (String, String) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let day = String(format: "%04d%02d%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday))
        return (day + String(format: "T%02d%02d%02dZ", Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec)), day)
    }

    /// Header values with leading and trailing spaces removed and inner runs of spaces made one.
    static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    static func canonicalQuery(_ query: [(String, String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { (uriEncode($0.0), uriEncode($0.1)) }
        let sorted = encoded.sorted { (a: (name: String, value: String), b: (name: String, value: String)) -> Bool in
            a.name == b.name ? a.value < b.value : a.name < b.name
        }
        return sorted.map { $0.name + "=" + $0.value }.joined(separator: "&")
    }

    /// RFC 3986 encoding as SigV4 wants it: unreserved characters kept, every other byte `%XX`
    /// (upper-case); `/` kept only when `keepSlash`.
    public static func uriEncode(_ text: String, keepSlash: Bool = false) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        let digits = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            if isUnreserved(byte) || (keepSlash && byte == 0x2F) {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result.append("%")
                result.unicodeScalars.append(Unicode.Scalar(digits[Int(byte >> 4)]))
                result.unicodeScalars.append(Unicode.Scalar(digits[Int(byte & 0x0F)]))
            }
        }
        return result
    }

    /// `A-Z a-z 0-9 - _ . ~`.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        let letter = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        let digit = byte >= 0x30 && byte <= 0x39
        return letter || digit || byte == 0x2D || byte == 0x5F || byte == 0x2E || byte == 0x7E
    }

    /// Lower-case hex SHA-256.
    public static func sha256Hex(_ data: some DataProtocol) -> String {
        RandomToken.hex(SHA256.hash(data: data))
    }
}
