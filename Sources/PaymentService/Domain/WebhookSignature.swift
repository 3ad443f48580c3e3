import Crypto
import Foundation
import HTTPTypes
import PlexusKit

/// The `Plexus-Signature` scheme (the same shape as Stripe's `Stripe-Signature`):
/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. Several `v1` values may be sent
/// (secret rotation); one matching is enough. A timestamp further than the tolerance from now is
/// refused, so a captured request cannot be replayed later.
public enum WebhookSignature {
    /// Why a signature is refused.
    public enum Refusal: Error, Equatable, Sendable {
        case missing, malformed, stale, mismatch
    }

    /// The header value for `body` signed at `time`.
    public static func header(for body: Data, secret: String, time: Date = Date()) -> String {
        let timestamp = Int(time.timeIntervalSince1970)
        return "t=\(timestamp),v1=\(hex(signature(body, secret: secret, timestamp: timestamp)))"
    }

    /// Checks `header` for `body`.
    public static func verify(_ header: String?, body: Data, secret: String, now: Date = Date(), tolerance: TimeInterval = 300) -> Result<Void, Refusal> {
        guard let header, !header.isEmpty else { return .failure(.missing) }
        var timestamp: Int?
        var candidates: [String] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int(pair[1]) } else if pair[0] == "v1" { candidates.append(pair[1].lowercased()) }
        }
        guard let timestamp, !candidates.isEmpty else { return .failure(.malformed) }
        guard abs(now.timeIntervalSince1970 - TimeInterval(timestamp)) <= tolerance else { return .failure(.stale) }
        let expected = Array(hex(signature(body, secret: secret, timestamp: timestamp)).utf8)
        for candidate in candidates where constantTimeEqual(Array(candidate.utf8), expected) { return .success(()) }
        return .failure(.mismatch)
    }

    /// Verifies the signature in `headers[header]`; a refusal is a 400 `invalid_signature` saying why.
    static func require(_ headers: HTTPFields, header: String, body: Data, secret: String, now: Date) throws {
        guard case .failure(let refusal) = verify(HTTPField.Name(header).flatMap { headers[$0] }, body: body, secret: secret, now: now) else { return }
        let detail = switch refusal {
        case .missing: "The \(header) header is missing."
        case .malformed: "The \(header) header is malformed."
        case .stale: "The signature's timestamp is outside the five-minute tolerance."
        case .mismatch: "The signature does not match the body."
        }
        throw ProblemError.badRequest("invalid_signature", detail)
    }

    static func signature(_ body: Data, secret: String, timestamp: Int) -> HashedAuthenticationCode<SHA256> {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        return HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
    }

    static func hex(_ code: HashedAuthenticationCode<SHA256>) -> String {
        RandomToken.hex(code)
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
