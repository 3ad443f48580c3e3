import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix

/// bcrypt hashing off the event loops (bcrypt blocks for ~250 ms at cost 12; on an event loop one
/// login would stall every request of the process).
///
/// Passwords are pre-hashed with SHA-256 (base64, 44 bytes) before bcrypt so the whole password
/// counts: bcrypt alone silently ignores bytes past 72.
struct PasswordHasher: Sendable {
    let cost: Int
    let pool: NIOThreadPool

    init(cost: Int, pool: NIOThreadPool = .singleton) {
        self.cost = cost
        self.pool = pool
    }

    static func prehash(_ password: String) -> String {
        Data(SHA256.hash(data: Data(password.utf8))).base64EncodedString()
    }

    func hash(_ password: String) async throws -> String {
        let cost = UInt8(self.cost)
        let input = Self.prehash(password)
        return try await pool.runIfActive { Bcrypt.hash(input, cost: cost) }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        let input = Self.prehash(password)
        return try await pool.runIfActive { Bcrypt.verify(input, hash: hash) }
    }
}
