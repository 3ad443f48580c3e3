import Foundation
import PaymentAPI
import PlexusKit

extension Calendar {
    /// The Gregorian calendar in UTC: membership periods and card expiry are counted in it.
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}

/// The billing rules of a membership, as pure functions of its state and the time: when a period
/// ends, what the billing job does with it, and what a charge's outcome makes of it.
///
/// | status | at `nextAttemptAt` | charge succeeds | charge declined |
/// | --- | --- | --- | --- |
/// | `incomplete` | charge period 1 again (a crash left it) | `active`, `activated` | `failed` (never started) |
/// | `active` | charge the next period, or end it if cancelled | `active`, `renewed` | `past_due`, `past_due` |
/// | `past_due` | retry, or `expired` once the grace period is over | `active`, `renewed` | `past_due` (retry later) |
public enum MembershipCycle {
    /// How long a member whose renewal fails stays VIP while the charge is retried, and how often.
    public struct Policy: Sendable, Equatable {
        public var grace: Duration
        public var retryEvery: Duration

        /// Creates the policy.
        public init(grace: Duration = .seconds(7 * 86_400), retryEvery: Duration = .seconds(86_400)) {
            self.grace = grace
            self.retryEvery = retryEvery
        }
    }

    /// A membership's billing state (what the rules read and write).
    public struct State: Sendable, Equatable {
        public var status: MembershipStatus
        public var plan: MembershipPlan
        public var periodsPaid: Int
        public var failedAttempts: Int
        public var currentPeriodStart: Date?
        public var currentPeriodEnd: Date?
        public var cancelAtPeriodEnd: Bool
        public var nextAttemptAt: Date?
        public var graceEndsAt: Date?
        public var endedAt: Date?
    }

    /// What the billing job does with a membership whose `nextAttemptAt` has come.
    public enum Due: Sendable, Equatable {
        /// Charge period `period` (its `attempt`-th try) for `start ..< end`.
        case charge(period: Int, attempt: Int, start: Date, end: Date)
        /// It ends now: `canceled` (the member cancelled) or `expired` (no charge succeeded in time).
        case end(MembershipStatus)
        /// Nothing (not due, or already ended).
        case nothing
    }

    /// What a charge made of a membership, and the event that says so.
    public enum Announcement: String, Sendable, Equatable {
        case activated, renewed, pastDue, expired
    }

    /// The end of a period of `plan` starting at `start` (calendar months: 31 January + 1 month is
    /// the last day of February).
    public static func periodEnd(from start: Date, plan: MembershipPlan) -> Date {
        Calendar.utc.date(byAdding: .month, value: plan.months, to: start) ?? start.addingTimeInterval(Double(plan.months) * 30 * 86_400)
    }

    /// The period charged next: the first from `now`, later ones back to back, unless that one
    /// would be over already (billing stopped for longer than a period): then from `now`, so a
    /// member is never charged for several periods at once.
    public static func nextPeriod(of state: State, now: Date) -> (start: Date, end: Date) {
        if let paidUntil = state.currentPeriodEnd {
            let following = periodEnd(from: paidUntil, plan: state.plan)
            if following > now { return (paidUntil, following) }
        }
        return (now, periodEnd(from: now, plan: state.plan))
    }

    /// What is due at `now`.
    public static func due(_ state: State, now: Date) -> Due {
        guard state.status.isLive, let next = state.nextAttemptAt, next <= now else { return .nothing }
        switch state.status {
        case .active where state.cancelAtPeriodEnd:
            return .end(.canceled)
        case .pastDue where state.graceEndsAt.map { now >= $0 } ?? false:
            return .end(.expired)
        default:
            let period = nextPeriod(of: state, now: now)
            return .charge(period: state.periodsPaid + 1, attempt: state.failedAttempts + 1, start: period.start, end: period.end)
        }
    }

    /// Applies a charge's outcome made at `now` for the period `start ..< end`.
    public static func charged(_ state: State, succeeded: Bool, start: Date, end: Date, now: Date, policy: Policy) -> (State, Announcement?) {
        var state = state
        if succeeded {
            let first = state.periodsPaid == 0
            state.status = .active
            state.periodsPaid += 1
            state.failedAttempts = 0
            state.currentPeriodStart = start
            state.currentPeriodEnd = end
            state.nextAttemptAt = end
            state.graceEndsAt = nil
            return (state, first ? .activated : .renewed)
        }
        state.failedAttempts += 1
        if state.periodsPaid == 0 {
            // The first charge: nothing started.
            state.status = .failed
            state.nextAttemptAt = nil
            state.endedAt = now
            return (state, nil)
        }
        let wasActive = state.status == .active
        let grace = state.graceEndsAt ?? (state.currentPeriodEnd ?? now).addingTimeInterval(policy.grace.seconds)
        state.status = .pastDue
        state.graceEndsAt = grace
        state.nextAttemptAt = min(now.addingTimeInterval(policy.retryEvery.seconds), grace)
        return (state, wasActive ? .pastDue : nil)
    }

    /// Ends a membership at `now` with `status`.
    public static func ended(_ state: State, _ status: MembershipStatus, now: Date) -> State {
        var state = state
        state.status = status
        state.nextAttemptAt = nil
        state.endedAt = now
        return state
    }

    /// The member cancels at `now`: an active membership runs to the end of its period; one whose
    /// renewal is failing ends at once (nothing beyond the paid period is owed). `nil`: nothing to
    /// cancel now (ended, or its first charge is being made). Cancelling twice is harmless.
    public static func cancelled(_ state: State, now: Date) -> (State, ended: Bool)? {
        switch state.status {
        case .active:
            var state = state
            state.cancelAtPeriodEnd = true
            return (state, false)
        case .pastDue:
            return (ended(state, .canceled, now: now), true)
        default:
            return nil
        }
    }
}
