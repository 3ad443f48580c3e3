import Crypto
import Foundation

/// Cryptographically random tokens and their hashes.
public enum RandomToken {
    /// `bytes` random bytes as lower-case hex.
    public static func hex(bytes: Int) -> String {
        hex(randomBytes(bytes))
    }

    /// `bytes` as lower-case hex (a table, not `String(format:)`: this runs several times per request).
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Lower-case hex digits by value (also ``TraceIDs``' table).
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `bytes` random bytes as base64url (no padding): for tokens sent to users.
    public static func urlSafe(bytes: Int = 32) -> String {
        Data(randomBytes(bytes)).base64URLEncodedString()
    }

    /// Random bytes from the system CSPRNG, eight per call to it (one call per byte was a system
    /// call per byte, a visible cost of every request).
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            var word = generator.next()
            for _ in 0..<min(8, count - index) {
                bytes[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        return bytes
    }

    /// SHA-256 of `token` as hex: tokens are stored only in this form.
    public static func sha256Hex(_ token: String) -> String {
        hex(SHA256.hash(data: Data(token.utf8)))
    }

    /// Constant-time comparison of two byte strings.
    public static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
