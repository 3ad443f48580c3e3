import Foundation
import PaymentAPI
@testable import PaymentService
import Testing

/// The billing rules as a table: what is due when, and what a charge's outcome makes of a membership.
@Suite struct MembershipCycleTests {
    static let day: TimeInterval = 86_400
    static let policy = MembershipCycle.Policy(grace: .seconds(7 * 86_400), retryEvery: .seconds(86_400))
    static func date(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }
    static let start = date("2026-01-31T10:00:00Z")

    static func state(_ status: MembershipStatus, plan: MembershipPlan = .monthly, paid: Int = 1, failed: Int = 0, cancel: Bool = false,
                      grace: Date? = nil) -> MembershipCycle.State {
        let end = paid == 0 ? nil : MembershipCycle.periodEnd(from: start, plan: plan)
        return MembershipCycle.State(status: status, plan: plan, periodsPaid: paid, failedAttempts: failed, currentPeriodStart: paid == 0 ? nil : start,
                                     currentPeriodEnd: end, cancelAtPeriodEnd: cancel, nextAttemptAt: end ?? start, graceEndsAt: grace, endedAt: nil)
    }

    @Test func periodsAreCalendarMonthsInUTC() {
        #expect(MembershipCycle.periodEnd(from: Self.start, plan: .monthly) == Self.date("2026-02-28T10:00:00Z"))
        #expect(MembershipCycle.periodEnd(from: Self.start, plan: .semiannual) == Self.date("2026-07-31T10:00:00Z"))
        #expect(MembershipCycle.periodEnd(from: Self.date("2028-02-29T00:00:00Z"), plan: .annual) == Self.date("2029-02-28T00:00:00Z"))
    }

    @Test func whatIsDue() {
        let end = MembershipCycle.periodEnd(from: Self.start, plan: .monthly)
        let after = end.addingTimeInterval(1)
        let nextEnd = MembershipCycle.periodEnd(from: end, plan: .monthly)
        let cases: [(MembershipCycle.State, Date, MembershipCycle.Due)] = [
            (Self.state(.active), end.addingTimeInterval(-1), .nothing),
            (Self.state(.active), after, .charge(period: 2, attempt: 1, start: end, end: nextEnd)),
            (Self.state(.active, cancel: true), after, .end(.canceled)),
            (Self.state(.pastDue, failed: 2, grace: end.addingTimeInterval(7 * Self.day)), after, .charge(period: 2, attempt: 3, start: end, end: nextEnd)),
            (Self.state(.pastDue, failed: 2, grace: end.addingTimeInterval(7 * Self.day)), end.addingTimeInterval(7 * Self.day), .end(.expired)),
            (Self.state(.incomplete, paid: 0), Self.start, .charge(period: 1, attempt: 1, start: Self.start, end: end)),
            (Self.state(.canceled), after, .nothing),
            // billing stopped for longer than a period: one period from now, not several at once
            (Self.state(.active), nextEnd.addingTimeInterval(5), .charge(period: 2, attempt: 1, start: nextEnd.addingTimeInterval(5),
                                                                          end: MembershipCycle.periodEnd(from: nextEnd.addingTimeInterval(5), plan: .monthly))),
            (Self.state(.failed, paid: 0), after, .nothing),
        ]
        for (state, now, expected) in cases {
            #expect(MembershipCycle.due(state, now: now) == expected, "\(state.status) at \(now)")
        }
    }

    @Test func aFirstChargeActivatesOrFailsForGood() {
        let end = MembershipCycle.periodEnd(from: Self.start, plan: .monthly)
        let (paid, announced) = MembershipCycle.charged(Self.state(.incomplete, paid: 0), succeeded: true, start: Self.start, end: end, now: Self.start,
                                                        policy: Self.policy)
        #expect(paid.status == .active && paid.periodsPaid == 1 && paid.currentPeriodEnd == end && paid.nextAttemptAt == end && announced == .activated)
        let (declined, silent) = MembershipCycle.charged(Self.state(.incomplete, paid: 0), succeeded: false, start: Self.start, end: end, now: Self.start,
                                                         policy: Self.policy)
        #expect(declined.status == .failed && declined.nextAttemptAt == nil && declined.endedAt == Self.start && silent == nil)
    }

    @Test func aDeclinedRenewalGivesGraceAndRetriesThenASuccessRenewsBackToBack() {
        let end = MembershipCycle.periodEnd(from: Self.start, plan: .monthly)
        let nextEnd = MembershipCycle.periodEnd(from: end, plan: .monthly)
        let now = end.addingTimeInterval(60)
        let (first, announced) = MembershipCycle.charged(Self.state(.active), succeeded: false, start: end, end: nextEnd, now: now, policy: Self.policy)
        #expect(first.status == .pastDue && first.failedAttempts == 1 && announced == .pastDue)
        #expect(first.graceEndsAt == end.addingTimeInterval(7 * Self.day) && first.nextAttemptAt == now.addingTimeInterval(Self.day))
        // a second decline keeps the grace period's end and says nothing new; the last retry is at its end
        let late = end.addingTimeInterval(6.5 * Self.day)
        let (second, again) = MembershipCycle.charged(first, succeeded: false, start: end, end: nextEnd, now: late, policy: Self.policy)
        #expect(second.failedAttempts == 2 && second.graceEndsAt == first.graceEndsAt && second.nextAttemptAt == first.graceEndsAt && again == nil)
        // paid at last: the new period starts where the old one ended
        let (renewed, said) = MembershipCycle.charged(second, succeeded: true, start: end, end: nextEnd, now: late, policy: Self.policy)
        #expect(renewed.status == .active && renewed.periodsPaid == 2 && renewed.failedAttempts == 0 && renewed.graceEndsAt == nil)
        #expect(renewed.currentPeriodStart == end && renewed.currentPeriodEnd == nextEnd && said == .renewed)
    }

    @Test func cancellingRunsToThePeriodsEndUnlessARenewalIsFailing() {
        let now = Self.start.addingTimeInterval(Self.day)
        let active = MembershipCycle.cancelled(Self.state(.active), now: now)
        #expect(active?.0.status == .active && active?.0.cancelAtPeriodEnd == true && active?.ended == false)
        #expect(MembershipCycle.cancelled(active!.0, now: now)?.0 == active?.0, "cancelling twice changes nothing")
        let failing = MembershipCycle.cancelled(Self.state(.pastDue, failed: 1), now: now)
        #expect(failing?.0.status == .canceled && failing?.0.endedAt == now && failing?.ended == true)
        #expect(MembershipCycle.cancelled(Self.state(.incomplete, paid: 0), now: now) == nil)
        #expect(MembershipCycle.cancelled(Self.state(.expired), now: now) == nil)
    }
}
