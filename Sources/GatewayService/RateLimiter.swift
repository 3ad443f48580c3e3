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

    let limit: RateLimit
    let buckets = NIOLockedValueBox<[String: Bucket]>([:])

    /// Creates a limiter.
    public init(limit: RateLimit) { self.limit = limit }

    /// Takes one token for `key`.
    public func take(_ key: String, now: ContinuousClock.Instant = .now) -> Decision {
        buckets.withLockedValue { buckets in
            if buckets.count > 100_000 { buckets = buckets.filter { now - $0.value.updated < .seconds(600) } }
            var bucket = buckets[key] ?? Bucket(tokens: limit.burst, updated: now)
            let elapsed = (now - bucket.updated)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(limit.burst, bucket.tokens + seconds * limit.perSecond)
            bucket.updated = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            buckets[key] = bucket
            let missing = max(0, 1 - bucket.tokens)
            return Decision(allowed: allowed, remaining: Int(bucket.tokens), resetSeconds: Int((missing / max(limit.perSecond, 0.001)).rounded(.up)))
        }
    }
}
