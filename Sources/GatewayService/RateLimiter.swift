import Foundation
import NIOConcurrencyHelpers

/// A token-bucket rate: `perSecond` sustained, `burst` at once.
public struct RateLimit: Sendable, Equatable {
    /// Sustained rate.
    public var perSecond: Double
    /// Bucket size.
    public var burst: Double

    /// Creates a rate.
    public init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond
        self.burst = burst
    }
}

/// In-process token buckets per client key. Each gateway replica limits on its own; with N
/// replicas the effective limit is at most N times the configured one, which is the accepted
/// trade for not putting a shared store on the hot path.
public final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    /// The outcome of one check.
    public struct Decision: Sendable {
        /// Whether the request may pass.
        public var allowed: Bool
        /// Whole tokens left.
        public var remaining: Int
        /// Seconds until one token is available again (for `Retry-After`/`RateLimit-Reset`).
        public var resetSeconds: Int
    }

    struct State {
        var buckets: [String: Bucket] = [:]
        /// Keys in the order they were first seen, for eviction; `head` is the oldest still listed.
        var order: [String] = []
        var head = 0
    }

    let limit: RateLimit
    let capacity: Int
    let state = NIOLockedValueBox(State())

    /// Creates a limiter that remembers at most `capacity` clients (the oldest first seen is
    /// forgotten first, in constant time per request).
    public init(limit: RateLimit, capacity: Int = 100_000) {
        self.limit = limit
        self.capacity = max(1, capacity)
    }

    /// Takes one token for `key`.
    public func take(_ key: String, now: ContinuousClock.Instant = .now) -> Decision {
        state.withLockedValue { state in
            var bucket: Bucket
            if let existing = state.buckets[key] {
                bucket = existing
            } else {
                bucket = Bucket(tokens: limit.burst, updated: now)
                state.order.append(key)
                while state.buckets.count >= capacity, state.head < state.order.count {
                    state.buckets.removeValue(forKey: state.order[state.head])
                    state.head += 1
                }
                if state.head > capacity {
                    state.order.removeFirst(state.head)
                    state.head = 0
                }
            }
            let elapsed = (now - bucket.updated)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(limit.burst, bucket.tokens + seconds * limit.perSecond)
            bucket.updated = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            state.buckets[key] = bucket
            let missing = max(0, 1 - bucket.tokens)
            return Decision(allowed: allowed, remaining: Int(bucket.tokens), resetSeconds: Int((missing / max(limit.perSecond, 0.001)).rounded(.up)))
        }
    }
}
