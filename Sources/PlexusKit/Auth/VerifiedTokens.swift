import Foundation
import NIOConcurrencyHelpers

/// Tokens whose signature was checked already, with what they said: a client sends the same bearer
/// token with every request for its lifetime, and a service reuses its service token for minutes,
/// so most requests need no Ed25519 verification (the most expensive step of the request path in a
/// profile of the checkout). Only the signature check is remembered: expiry, audience, grants and
/// revocation are still checked on every request by the callers.
///
/// Bounded without a scan: two generations of at most `capacity` entries each; when the current
/// one is full it becomes the previous one (the oldest generation is dropped), and a hit in the
/// previous generation moves the entry forward.
final class VerifiedTokens<Value: Sendable>: Sendable {
    private struct Generations {
        var current: [String: Value] = [:]
        var previous: [String: Value] = [:]
    }

    private let generations = NIOLockedValueBox(Generations())
    let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// What `token` said when its signature was checked, if it was.
    func value(for token: String) -> Value? {
        generations.withLockedValue { state in
            if let value = state.current[token] { return value }
            guard let value = state.previous.removeValue(forKey: token) else { return nil }
            Self.insert(token, value, into: &state, capacity: capacity)
            return value
        }
    }

    /// Remembers a token whose signature is valid.
    func remember(_ token: String, _ value: Value) {
        generations.withLockedValue { Self.insert(token, value, into: &$0, capacity: capacity) }
    }

    private static func insert(_ token: String, _ value: Value, into state: inout Generations, capacity: Int) {
        if state.current.count >= capacity {
            state.previous = state.current
            state.current = [:]
        }
        state.current[token] = value
    }
}
