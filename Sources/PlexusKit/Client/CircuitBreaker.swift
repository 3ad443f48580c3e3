import NIOConcurrencyHelpers

/// A circuit breaker state machine, free of I/O and clocks so it is tested with plain values.
///
/// Closed: calls pass; `failureThreshold` consecutive failures open it. Open: calls are refused
/// until `openDuration` has passed, then one probe is let through (half-open). The probe's success
/// closes the breaker, its failure opens it again.
public struct CircuitBreaker: Sendable, Equatable {
    /// The breaker's state.
    public enum State: Sendable, Equatable {
        /// Calls pass; counts consecutive failures.
        case closed(failures: Int)
        /// Calls are refused until the instant.
        case open(until: ContinuousClock.Instant)
        /// One probe is in flight.
        case halfOpen
    }

    /// Current state.
    public private(set) var state: State = .closed(failures: 0)
    /// Consecutive failures that open the breaker.
    public let failureThreshold: Int
    /// How long it stays open before a probe.
    public let openDuration: Duration

    /// Creates a closed breaker.
    public init(failureThreshold: Int = 5, openDuration: Duration = .seconds(10)) {
        self.failureThreshold = failureThreshold
        self.openDuration = openDuration
    }

    /// Whether a call may go out now; moves open → half-open when the wait is over.
    public mutating func allow(now: ContinuousClock.Instant) -> Bool {
        switch state {
        case .closed: return true
        case .halfOpen: return false
        case .open(let until):
            guard now >= until else { return false }
            state = .halfOpen
            return true
        }
    }

    /// Records a call's outcome.
    public mutating func record(success: Bool, now: ContinuousClock.Instant) {
        switch (state, success) {
        case (_, true):
            state = .closed(failures: 0)
        case (.closed(let failures), false):
            state = failures + 1 >= failureThreshold ? .open(until: now + openDuration) : .closed(failures: failures + 1)
        case (.halfOpen, false), (.open, false):
            state = .open(until: now + openDuration)
        }
    }

    /// A call that went out ended without an outcome (its caller left before the upstream
    /// answered): a probe's place is given back, so the next call probes instead of the breaker
    /// waiting for an outcome that never comes. Nothing else changes.
    public mutating func release(now: ContinuousClock.Instant) {
        if case .halfOpen = state { state = .open(until: now) }
    }

    /// Seconds until a probe may go out (for `Retry-After`), 0 when closed.
    public func retryAfter(now: ContinuousClock.Instant) -> Int {
        guard case .open(let until) = state else { return 0 }
        return max(1, Int((until - now).components.seconds) + 1)
    }
}

/// Breakers keyed by upstream name, shared by every call in a process.
public final class CircuitBreakers: Sendable {
    let breakers = NIOLockedValueBox<[String: CircuitBreaker]>([:])
    let template: CircuitBreaker

    /// Creates the registry; each upstream gets a copy of `template`.
    public init(template: CircuitBreaker = CircuitBreaker()) {
        self.template = template
    }

    /// Whether a call to `upstream` may go out; otherwise the seconds to wait.
    public func acquire(_ upstream: String) -> (allowed: Bool, retryAfter: Int) {
        let now = ContinuousClock.now
        return breakers.withLockedValue { breakers in
            var breaker = breakers[upstream] ?? template
            let allowed = breaker.allow(now: now)
            breakers[upstream] = breaker
            return (allowed, allowed ? 0 : max(1, breaker.retryAfter(now: now)))
        }
    }

    /// Records an outcome for `upstream`.
    public func record(_ upstream: String, success: Bool) {
        let now = ContinuousClock.now
        breakers.withLockedValue { breakers in
            var breaker = breakers[upstream] ?? template
            breaker.record(success: success, now: now)
            breakers[upstream] = breaker
        }
    }

    /// A call to `upstream` ended without an outcome (``CircuitBreaker/release(now:)``).
    public func release(_ upstream: String) {
        let now = ContinuousClock.now
        breakers.withLockedValue { breakers in breakers[upstream]?.release(now: now) }
    }

    /// The state of `upstream`'s breaker.
    public func state(of upstream: String) -> CircuitBreaker.State {
        breakers.withLockedValue { $0[upstream]?.state ?? .closed(failures: 0) }
    }
}
