import Foundation
import Logging
import PaymentAPI
import PlexusKit
import PostgresNIO

/// A stored membership.
struct MembershipRecord: Sendable {
    var id: UUID
    var userID: UUID
    var state: MembershipCycle.State
    var price: Money
    var methodReference: String
    /// The provider's subscription, when the provider bills it.
    var subscriptionReference: String?
    var card: CardSummary?
    var failure: PaymentFailure?
    var createdAt: Date
    var updatedAt: Date

    static let columns = """
        id, user_id, plan, status, amount, currency, method_reference, card_brand, card_last4, periods_paid, failed_attempts, current_period_start,
        current_period_end, cancel_at_period_end, next_attempt_at, grace_ends_at, ended_at, failure_code, failure_message, created_at, updated_at,
        subscription_reference
        """

    init(row: PostgresRow) throws {
        let (id, user, plan, status, amount, currency, method, brand, last4, paid, failed, start, end, cancel, next, grace, ended, code, message,
             created, updated, subscription)
            = try row.decode((UUID, UUID, String, String, Int, String, String, String?, String?, Int, Int, Date?, Date?, Bool, Date?, Date?, Date?,
                              String?, String?, Date, Date, String?).self)
        self.subscriptionReference = subscription
        self.id = id
        self.userID = user
        self.state = MembershipCycle.State(status: MembershipStatus(rawValue: status) ?? .failed, plan: MembershipPlan(rawValue: plan) ?? .monthly,
                                           periodsPaid: paid, failedAttempts: failed, currentPeriodStart: start, currentPeriodEnd: end,
                                           cancelAtPeriodEnd: cancel, nextAttemptAt: next, graceEndsAt: grace, endedAt: ended)
        self.price = Money(amount: amount, currency: currency)
        self.methodReference = method
        self.card = brand.flatMap { brand in last4.map { CardSummary(brand: brand, last4: $0) } }
        self.failure = code.map { PaymentFailure(code: $0, message: message ?? "") }
        self.createdAt = created
        self.updatedAt = updated
    }

    func dto(charges: [MembershipChargeDTO]) -> MembershipDTO {
        MembershipDTO(id: id, plan: state.plan, status: state.status, price: price, currentPeriodStart: state.currentPeriodStart,
                      currentPeriodEnd: state.currentPeriodEnd, cancelAtPeriodEnd: state.cancelAtPeriodEnd,
                      nextChargeAt: state.status.isLive && !state.cancelAtPeriodEnd ? state.nextAttemptAt : nil,
                      graceEndsAt: state.status == .pastDue ? state.graceEndsAt : nil, card: card, lastFailure: failure, endedAt: state.endedAt,
                      charges: charges, createdAt: createdAt, updatedAt: updatedAt)
    }

    func event(reason: String? = nil, amount: Money? = nil) -> MembershipEventData {
        MembershipEventData(membershipId: id, userId: userID, plan: state.plan, currentPeriodEnd: state.endedAt ?? state.currentPeriodEnd ?? createdAt,
                            amount: amount, card: card, failure: failure, graceEndsAt: state.status == .pastDue ? state.graceEndsAt : nil, reason: reason)
    }
}

/// Memberships and their charges: subscribing, the billing job (renewals, retries, grace, ends)
/// and cancelling. Every charge runs under a billing lease (one at a time per membership, whoever
/// starts it) with an idempotency key made of the period and the attempt, so a charge retried after
/// a crash is the same charge; its outcome is applied only to the state it was made from.
struct MembershipRepository: Sendable {
    let client: DatabaseClient
    let outbox: Outbox
    let provider: any PaymentProvider
    let prices: [MembershipPlan: Money]
    let policy: MembershipCycle.Policy

    /// How long a charge may take before someone else may try it again.
    static let lease = "2 minutes"

    // MARK: Reading

    /// The plans on offer.
    var plans: [MembershipPlanDTO] {
        MembershipPlan.allCases.compactMap { plan in prices[plan].map { MembershipPlanDTO(plan: plan, price: $0, months: plan.months) } }
    }

    /// The user's live membership, else the last one; with its charges, newest first.
    func current(userID: UUID, logger: Logger) async throws -> MembershipDTO? {
        try await client.withConnection { connection in
            var found: MembershipRecord?
            for try await row in try await connection.query("""
                SELECT \(unescaped: MembershipRecord.columns) FROM memberships WHERE user_id = \(userID)
                ORDER BY status IN ('incomplete', 'active', 'past_due') DESC, created_at DESC LIMIT 1
                """, logger: logger) { found = try MembershipRecord(row: row) }
            guard let membership = found else { return nil }
            return membership.dto(charges: try await Self.charges(of: membership.id, on: connection, logger: logger))
        }
    }

    /// `membership` as the API shows it, with its charges.
    func dto(_ membership: MembershipRecord, logger: Logger) async throws -> MembershipDTO {
        membership.dto(charges: try await client.withConnection { connection in try await Self.charges(of: membership.id, on: connection, logger: logger) })
    }

    static func charges(of id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> [MembershipChargeDTO] {
        var charges: [MembershipChargeDTO] = []
        for try await (charge, status, amount, currency, brand, last4, code, message, start, end, created) in try await connection.query("""
            SELECT id, status, amount, currency, card_brand, card_last4, failure_code, failure_message, period_start, period_end, created_at
            FROM membership_charges WHERE membership_id = \(id) ORDER BY created_at DESC, attempt DESC
            """, logger: logger).decode((UUID, String, Int, String, String?, String?, String?, String?, Date, Date, Date).self) {
            charges.append(MembershipChargeDTO(id: charge, amount: Money(amount: amount, currency: currency), status: status, periodStart: start,
                                               periodEnd: end, card: brand.flatMap { brand in last4.map { CardSummary(brand: brand, last4: $0) } },
                                               failure: code.map { PaymentFailure(code: $0, message: message ?? "") }, createdAt: created))
        }
        return charges
    }

    func live(userID: UUID, logger: Logger) async throws -> MembershipRecord? {
        for try await row in try await client.query("""
            SELECT \(unescaped: MembershipRecord.columns) FROM memberships WHERE user_id = \(userID) AND status IN ('incomplete', 'active', 'past_due')
            """, logger: logger) { return try MembershipRecord(row: row) }
        return nil
    }

    // MARK: Subscribing

    /// Subscribes `userID` to `plan`, charging the first period to the card at once; or, while the
    /// user's membership is `past_due`, pays the outstanding period with this card. Returns the
    /// membership, whether it is new, and the declined charge's failure (recorded, not thrown).
    func subscribe(userID: UUID, plan: MembershipPlan, method: PaymentMethodInput, now: Date = Date(),
                   logger: Logger) async throws -> (MembershipRecord, created: Bool, declined: PaymentFailure?) {
        if let existing = try await live(userID: userID, logger: logger) {
            guard existing.state.status == .pastDue else {
                throw ProblemError.conflict("membership_exists", existing.state.status == .incomplete
                    ? "Your membership's first charge is being made." : "You are a member already; cancel first to change your plan.")
            }
            return try await payOutstanding(existing, method: method, now: now, logger: logger)
        }
        guard let price = prices[plan] else {
            throw ProblemError.validation([FieldError(field: "plan", code: "unavailable", message: "This plan is not on offer.")])
        }
        let saved = try await providerCall { try await provider.saveMethod(method, logger: logger) }
        var inserted: MembershipRecord?
        for try await row in try await client.query("""
            INSERT INTO memberships (id, user_id, plan, amount, currency, provider, method_reference, card_brand, card_last4,
                                     next_attempt_at, billing_lease_until)
            VALUES (\(UUID.v7()), \(userID), \(plan.rawValue), \(price.amount), \(price.currency), \(provider.name.rawValue), \(saved.reference),
                    \(saved.card.brand), \(saved.card.last4), now() + interval '\(unescaped: Self.lease)', now() + interval '\(unescaped: Self.lease)')
            ON CONFLICT (user_id) WHERE status IN ('incomplete', 'active', 'past_due') DO NOTHING
            RETURNING \(unescaped: MembershipRecord.columns)
            """, logger: logger) { inserted = try MembershipRecord(row: row) }
        guard let membership = inserted else { throw ProblemError.conflict("membership_exists", "You are a member already.") }
        if provider.billsMemberships {
            let (updated, declined) = try await startSubscription(membership, now: now, logger: logger)
            return (updated, true, declined)
        }
        let period = MembershipCycle.nextPeriod(of: membership.state, now: now)
        let (updated, declined) = try await charge(membership, period: 1, attempt: 1, start: period.start, end: period.end, now: now, logger: logger)
        return (updated, true, declined)
    }

    /// Pays a `past_due` membership's outstanding period with another card.
    private func payOutstanding(_ membership: MembershipRecord, method: PaymentMethodInput, now: Date,
                                logger: Logger) async throws -> (MembershipRecord, created: Bool, declined: PaymentFailure?) {
        if let reference = membership.subscriptionReference {
            guard let claimed = try await claim(membership.id, logger: logger) else {
                throw ProblemError.conflict("membership_billing_in_progress", "A charge of your membership is being made; try again shortly.")
            }
            let subscription: SubscriptionState
            do {
                subscription = try await provider.payOutstanding(reference, method: method,
                                                                 idempotencyKey: "membership-\(claimed.id.uuidString.lowercased())-pay-\(claimed.state.failedAttempts)-\(method.id ?? "")",
                                                                 logger: logger)
            } catch let problem as ProblemError where problem.status.code == 402 {
                try await release(claimed.id, logger: logger)
                return (claimed, false, PaymentFailure(code: problem.code, message: problem.detail ?? "The card was declined."))
            } catch {
                try await release(claimed.id, logger: logger)
                throw error
            }
            let updated = try await applySubscription(claimed, subscription, now: now, logger: logger)
            return (updated, false, updated.state.status == .pastDue ? updated.failure ?? subscription.failure : nil)
        }
        let saved = try await providerCall { try await provider.saveMethod(method, logger: logger) }
        guard var claimed = try await claim(membership.id, logger: logger) else {
            throw ProblemError.conflict("membership_billing_in_progress", "A charge of your membership is being made; try again shortly.")
        }
        guard claimed.state.status == .pastDue else {
            try await release(claimed.id, logger: logger)
            throw ProblemError.conflict("membership_exists", "Your membership is \(claimed.state.status.rawValue) now.")
        }
        try await client.query("""
            UPDATE memberships SET method_reference = \(saved.reference), card_brand = \(saved.card.brand), card_last4 = \(saved.card.last4),
                   updated_at = now()
            WHERE id = \(claimed.id)
            """, logger: logger)
        claimed.methodReference = saved.reference
        claimed.card = saved.card
        let period = MembershipCycle.nextPeriod(of: claimed.state, now: now)
        let (updated, declined) = try await charge(claimed, period: claimed.state.periodsPaid + 1, attempt: claimed.state.failedAttempts + 1,
                                                   start: period.start, end: period.end, now: now, logger: logger)
        return (updated, false, declined)
    }

    // MARK: Billing

    /// The billing job: every membership due at `now` is charged, retried, ended or expired; returns
    /// how many were handled.
    @discardableResult
    func billDue(now: Date = Date(), limit: Int = 100, logger: Logger) async throws -> Int {
        var handled = 0
        while handled < limit, let membership = try await claimDue(now: now, logger: logger) {
            handled += 1
            do {
                if provider.billsMemberships {
                    try await reconcileSubscription(membership, now: now, logger: logger)
                    continue
                }
                switch MembershipCycle.due(membership.state, now: now) {
                case .charge(let period, let attempt, let start, let end):
                    _ = try await charge(membership, period: period, attempt: attempt, start: start, end: end, now: now, logger: logger)
                case .end(let status):
                    let ended = MembershipCycle.ended(membership.state, status, now: now)
                    try await apply(membership, ended, charge: nil, announce: .expired, reason: status == .canceled ? "cancelled" : "renewal_failed",
                                    logger: logger)
                case .nothing:
                    try await release(membership.id, logger: logger)
                }
            } catch {
                // The lease runs out and the next run tries again with the same key.
                logger.warning("membership billing failed", metadata: ["membership": .string(membership.id.uuidString), "error": .string("\(error)")])
            }
        }
        return handled
    }

    /// Takes the lease of one membership due at `now`.
    private func claimDue(now: Date, logger: Logger) async throws -> MembershipRecord? {
        for try await row in try await client.query("""
            UPDATE memberships SET billing_lease_until = now() + interval '\(unescaped: Self.lease)'
            WHERE id = (SELECT id FROM memberships
                        WHERE status IN ('incomplete', 'active', 'past_due') AND next_attempt_at <= \(now)
                          AND (billing_lease_until IS NULL OR billing_lease_until < now())
                        ORDER BY next_attempt_at FOR UPDATE SKIP LOCKED LIMIT 1)
            RETURNING \(unescaped: MembershipRecord.columns)
            """, logger: logger) { return try MembershipRecord(row: row) }
        return nil
    }

    /// Takes the lease of membership `id` unless a charge of it is being made.
    private func claim(_ id: UUID, logger: Logger) async throws -> MembershipRecord? {
        for try await row in try await client.query("""
            UPDATE memberships SET billing_lease_until = now() + interval '\(unescaped: Self.lease)'
            WHERE id = \(id) AND (billing_lease_until IS NULL OR billing_lease_until < now())
            RETURNING \(unescaped: MembershipRecord.columns)
            """, logger: logger) { return try MembershipRecord(row: row) }
        return nil
    }

    private func release(_ id: UUID, logger: Logger) async throws {
        try await client.query("UPDATE memberships SET billing_lease_until = NULL WHERE id = \(id)", logger: logger)
    }

    /// Charges one period's attempt (the lease is held) and applies the outcome.
    private func charge(_ membership: MembershipRecord, period: Int, attempt: Int, start: Date, end: Date, now: Date,
                        logger: Logger) async throws -> (MembershipRecord, PaymentFailure?) {
        let key = "membership-\(membership.id.uuidString.lowercased())-p\(period)-a\(attempt)"
        let result: ChargeResult
        do {
            result = try await provider.charge(method: membership.methodReference, amount: membership.price, idempotencyKey: key, at: now, logger: logger)
        } catch let problem as ProblemError where problem.status.code < 500 {
            result = ChargeResult(reference: nil, outcome: .failed(PaymentFailure(code: problem.code, message: problem.detail ?? "The card was declined."),
                                                                   card: membership.card))
        } catch {
            throw ProblemError.unavailable("The payment provider did not answer; the charge is retried shortly.", code: "provider_unavailable",
                                           retryAfter: 5)
        }
        let failure: PaymentFailure?
        switch result.outcome {
        case .succeeded: failure = nil
        case .failed(let declined, _): failure = declined
        case .requiresAction: failure = PaymentFailure(code: "authentication_required", message: "The card asks for a confirmation a recurring charge cannot give.")
        case .processing, .unconfirmed: failure = PaymentFailure(code: "processing_error", message: "The charge did not complete.")
        }
        let (state, announcement) = MembershipCycle.charged(membership.state, succeeded: failure == nil, start: start, end: end, now: now, policy: policy)
        let charge = ChargeRow(period: period, attempt: attempt, succeeded: failure == nil, reference: result.reference, failure: failure,
                               start: start, end: end)
        let updated = try await apply(membership, state, charge: charge, announce: announcement, failure: failure, logger: logger)
        return (updated, failure)
    }

    // MARK: Subscriptions the provider bills

    /// Starts the provider's subscription for a new membership (the lease is held): its first
    /// invoice is paid at once or the membership fails.
    private func startSubscription(_ membership: MembershipRecord, now: Date, logger: Logger) async throws -> (MembershipRecord, PaymentFailure?) {
        let subscription: SubscriptionState
        do {
            subscription = try await provider.startSubscription(method: membership.methodReference, plan: membership.state.plan, membershipID: membership.id,
                                                                idempotencyKey: "membership-\(membership.id.uuidString.lowercased())-start", logger: logger)
        } catch let problem as ProblemError where problem.status.code < 500 {
            let failure = PaymentFailure(code: problem.code, message: problem.detail ?? "The card was declined.")
            let (state, _) = MembershipCycle.charged(membership.state, succeeded: false, start: now, end: now, now: now, policy: policy)
            let updated = try await apply(membership, state, charge: ChargeRow(period: 1, attempt: 1, succeeded: false, reference: nil, failure: failure,
                                                                               start: now, end: now),
                                          announce: nil, failure: failure, logger: logger)
            return (updated, failure)
        } catch {
            // The lease runs out and the billing job asks again with the same key.
            throw ProblemError.unavailable("The payment provider did not answer; your membership starts when it does.", code: "provider_unavailable",
                                           retryAfter: 5)
        }
        var membership = membership
        try await client.query("UPDATE memberships SET subscription_reference = \(subscription.reference) WHERE id = \(membership.id)", logger: logger)
        membership.subscriptionReference = subscription.reference
        let updated = try await applySubscription(membership, subscription, now: now, logger: logger)
        return (updated, updated.state.status == .active ? nil : subscription.failure ?? PaymentFailure(code: "card_declined", message: "The card was declined."))
    }

    /// The billing job's part for a subscription the provider bills: ask it where the subscription
    /// stands (a webhook that never came changes nothing here) and apply that.
    private func reconcileSubscription(_ membership: MembershipRecord, now: Date, logger: Logger) async throws {
        guard let reference = membership.subscriptionReference else {
            if membership.state.status == .incomplete { _ = try await startSubscription(membership, now: now, logger: logger) }
            return
        }
        let subscription = try await provider.subscription(reference, logger: logger)
        _ = try await applySubscription(membership, subscription, now: now, logger: logger)
    }

    /// A provider's event about subscription `reference`: the membership is brought up to date now.
    /// `false` when no membership has it.
    func subscriptionChanged(_ reference: String, now: Date = Date(), logger: Logger) async throws -> Bool {
        var found: UUID?
        for try await id in try await client.query("""
            SELECT id FROM memberships WHERE provider = \(provider.name.rawValue) AND subscription_reference = \(reference)
            """, logger: logger).decode(UUID.self) { found = id }
        guard let id = found else { return false }
        guard let claimed = try await claim(id, logger: logger) else {
            throw ProblemError.unavailable("A charge of this membership is being recorded; send the event again.", code: "membership_busy", retryAfter: 5)
        }
        do {
            try await reconcileSubscription(claimed, now: now, logger: logger)
        } catch {
            try await release(claimed.id, logger: logger)
            throw error
        }
        return true
    }

    /// Applies what the provider says of a subscription (the lease is held): a new paid period is a
    /// renewal (or the activation), a failed invoice makes it `past_due`, an ended subscription ends
    /// it. The grace period is this service's: a renewal still unpaid when it ends is cancelled at the
    /// provider and the membership expires.
    private func applySubscription(_ membership: MembershipRecord, _ subscription: SubscriptionState, now: Date,
                                   logger: Logger) async throws -> MembershipRecord {
        var current = membership
        current.card = subscription.card ?? membership.card
        let state = membership.state
        let backstop = 3_600.0 // the job asks an hour after a period ends, in case its webhook never came
        switch subscription.status {
        case "active", "trialing":
            guard state.periodsPaid == 0 || subscription.periodEnd > (state.currentPeriodEnd ?? .distantPast).addingTimeInterval(1) else { break }
            var (next, announcement) = MembershipCycle.charged(state, succeeded: true, start: subscription.periodStart, end: subscription.periodEnd, now: now,
                                                               policy: policy)
            next.nextAttemptAt = subscription.periodEnd.addingTimeInterval(backstop)
            return try await apply(current, next, charge: ChargeRow(period: state.periodsPaid + 1, attempt: state.failedAttempts + 1, succeeded: true,
                                                                    reference: subscription.latestInvoice, failure: nil, start: subscription.periodStart,
                                                                    end: subscription.periodEnd),
                                   announce: announcement, logger: logger)
        case "past_due", "unpaid":
            if state.status == .pastDue, let grace = state.graceEndsAt, now >= grace {
                try await provider.cancelSubscription(subscription.reference, logger: logger)
                return try await apply(current, MembershipCycle.ended(state, .expired, now: now), charge: nil, announce: .expired, reason: "renewal_failed",
                                       logger: logger)
            }
            guard state.status == .active else { break }
            let failure = subscription.failure ?? PaymentFailure(code: "card_declined", message: "The card was declined.")
            let (next, announcement) = MembershipCycle.charged(state, succeeded: false, start: subscription.periodStart, end: subscription.periodEnd,
                                                               now: now, policy: policy)
            return try await apply(current, next, charge: ChargeRow(period: state.periodsPaid + 1, attempt: state.failedAttempts + 1, succeeded: false,
                                                                    reference: subscription.latestInvoice, failure: failure,
                                                                    start: subscription.periodStart, end: subscription.periodEnd),
                                   announce: announcement, failure: failure, logger: logger)
        case "canceled", "incomplete_expired":
            guard state.status.isLive else { break }
            let ended: MembershipStatus = state.cancelAtPeriodEnd || state.status == .active ? .canceled : .expired
            return try await apply(current, MembershipCycle.ended(state, ended, now: now), charge: nil, announce: state.periodsPaid > 0 ? .expired : nil,
                                   reason: ended == .canceled ? "cancelled" : "renewal_failed", logger: logger)
        default:
            break
        }
        // Nothing new: look again later (an hour after the period ends, or at the next retry).
        let next = state.status == .pastDue ? min(now.addingTimeInterval(policy.retryEvery.seconds), state.graceEndsAt ?? now)
            : (state.currentPeriodEnd ?? now).addingTimeInterval(backstop)
        for try await row in try await client.query("""
            UPDATE memberships SET next_attempt_at = \(max(next, now.addingTimeInterval(60))), billing_lease_until = NULL WHERE id = \(membership.id)
            RETURNING \(unescaped: MembershipRecord.columns)
            """, logger: logger) { return try MembershipRecord(row: row) }
        return membership
    }

    struct ChargeRow {
        var period: Int
        var attempt: Int
        var succeeded: Bool
        var reference: String?
        var failure: PaymentFailure?
        var start: Date
        var end: Date
    }

    /// Writes `state` (and the charge) if the membership still is what `membership` read, releases
    /// the lease and publishes the announcement; an outcome applied already is not applied again.
    @discardableResult
    private func apply(_ membership: MembershipRecord, _ state: MembershipCycle.State, charge: ChargeRow?, announce: MembershipCycle.Announcement?,
                       reason: String? = nil, failure: PaymentFailure? = nil, logger: Logger) async throws -> MembershipRecord {
        try await client.withTransaction(logger: logger) { connection in
            if let charge {
                try await connection.query("""
                    INSERT INTO membership_charges (id, membership_id, period_number, attempt, status, amount, currency, provider_reference, card_brand,
                                                    card_last4, failure_code, failure_message, period_start, period_end)
                    VALUES (\(UUID.v7()), \(membership.id), \(charge.period), \(charge.attempt), \(charge.succeeded ? "succeeded" : "failed"),
                            \(membership.price.amount), \(membership.price.currency), \(charge.reference), \(membership.card?.brand),
                            \(membership.card?.last4), \(charge.failure?.code), \(charge.failure?.message), \(charge.start), \(charge.end))
                    ON CONFLICT (membership_id, period_number, attempt) DO NOTHING
                    """, logger: logger)
            }
            var written: MembershipRecord?
            for try await row in try await connection.query("""
                UPDATE memberships SET status = \(state.status.rawValue), periods_paid = \(state.periodsPaid), failed_attempts = \(state.failedAttempts),
                       current_period_start = \(state.currentPeriodStart), current_period_end = \(state.currentPeriodEnd),
                       next_attempt_at = \(state.nextAttemptAt), grace_ends_at = \(state.graceEndsAt), ended_at = \(state.endedAt),
                       failure_code = \(charge == nil ? membership.failure?.code : failure?.code),
                       failure_message = \(charge == nil ? membership.failure?.message : failure?.message),
                       billing_lease_until = NULL, updated_at = now()
                WHERE id = \(membership.id) AND status = \(membership.state.status.rawValue) AND periods_paid = \(membership.state.periodsPaid)
                  AND failed_attempts = \(membership.state.failedAttempts)
                RETURNING \(unescaped: MembershipRecord.columns)
                """, logger: logger) { written = try MembershipRecord(row: row) }
            guard let written else {
                // Someone applied this outcome first (a lease that ran out): answer what is stored.
                for try await row in try await connection.query("SELECT \(unescaped: MembershipRecord.columns) FROM memberships WHERE id = \(membership.id)",
                                                                logger: logger) { return try MembershipRecord(row: row) }
                throw ProblemError.notFound()
            }
            let amount = charge == nil ? nil : membership.price
            switch announce {
            case .activated: _ = try await outbox.publish(PaymentEvent.membershipActivated, written.event(amount: amount), on: connection, logger: logger)
            case .renewed: _ = try await outbox.publish(PaymentEvent.membershipRenewed, written.event(amount: amount), on: connection, logger: logger)
            case .pastDue: _ = try await outbox.publish(PaymentEvent.membershipPastDue, written.event(amount: amount), on: connection, logger: logger)
            case .expired: _ = try await outbox.publish(PaymentEvent.membershipExpired, written.event(reason: reason), on: connection, logger: logger)
            case nil: break
            }
            return written
        }
    }

    // MARK: Cancelling

    /// Cancels the user's membership at the end of its period (one whose renewal is failing ends now).
    func cancel(userID: UUID, now: Date = Date(), logger: Logger) async throws -> MembershipRecord {
        guard let membership = try await live(userID: userID, logger: logger) else { throw ProblemError.notFound("You have no current membership.") }
        switch membership.state.status {
        case .active where membership.state.cancelAtPeriodEnd:
            return membership
        case .active:
            if let reference = membership.subscriptionReference {
                try await providerCall { try await provider.setCancelAtPeriodEnd(reference, true, logger: logger) }
            }
            for try await row in try await client.query("""
                UPDATE memberships SET cancel_at_period_end = true, updated_at = now() WHERE id = \(membership.id) AND status = 'active'
                RETURNING \(unescaped: MembershipRecord.columns)
                """, logger: logger) { return try MembershipRecord(row: row) }
            // It changed meanwhile (a renewal failed): decide again.
            return try await cancel(userID: userID, now: now, logger: logger)
        case .pastDue:
            guard let claimed = try await claim(membership.id, logger: logger) else {
                throw ProblemError.conflict("membership_billing_in_progress", "A charge of your membership is being made; try again shortly.")
            }
            guard let (state, _) = MembershipCycle.cancelled(claimed.state, now: now) else {
                try await release(claimed.id, logger: logger)
                return try await cancel(userID: userID, now: now, logger: logger)
            }
            if let reference = claimed.subscriptionReference {
                do {
                    try await providerCall { try await provider.cancelSubscription(reference, logger: logger) }
                } catch {
                    try await release(claimed.id, logger: logger)
                    throw error
                }
            }
            return try await apply(claimed, state, charge: nil, announce: .expired, reason: "cancelled", logger: logger)
        default:
            throw ProblemError.conflict("membership_billing_in_progress", "Your membership's first charge is being made; try again shortly.")
        }
    }
}
