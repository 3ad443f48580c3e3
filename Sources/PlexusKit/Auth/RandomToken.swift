import Crypto
import Foundation

/// Cryptographically random tokens and their hashes.
public enum RandomToken {
    /// `bytes` random bytes as lower-case hex.
    public static func hex(bytes: Int) -> String {
        randomBytes(bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// `bytes` random bytes as base64url (no padding): for tokens sent to users.
    public static func urlSafe(bytes: Int = 32) -> String {
        Data(randomBytes(bytes)).base64URLEncodedString()
    }

    /// Random bytes from the system CSPRNG.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// SHA-256 of `token` as hex: tokens are stored only in this form.
    public static func sha256Hex(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Constant-time comparison of two byte strings.
    public static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
