import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PaymentAPI
@testable import PaymentService
import PlexusKit
import PlexusKitTesting
import Testing

/// The payment service's real router over its own database, and its billing run with a chosen clock.
struct MembershipHarness: Sendable {
    let client: DatabaseClient
    let issuer: TestIssuer
    let memberships: MembershipRepository

    static let secret = "membership-test-webhook-secret"

    static func with<T: Sendable>(_ body: @Sendable (MembershipHarness, any TestClientProtocol) async throws -> T) async throws -> T {
        let url = try await TestPostgres.shared.makeDatabase(try PaymentService.migrations.filter { $0.component != "kit" })
        let database = Database(url: url, maxConnections: 20, logger: testLogger())
        let issuer = try TestIssuer()
        return try await database.client.withRunning { client in
            let configuration = PaymentConfiguration(common: .test(.payment, database: url), webhookSecret: secret)
            let router = try await TestServices.assemble(PaymentService.self, configuration: configuration, database: database,
                                                         verifier: issuer.verifier).parts.router.router
            let memberships = MembershipRepository(client: client, outbox: Outbox(source: .payment, subscribers: []),
                                                   provider: SandboxProvider(client: client, secret: secret, webhookDelay: .zero, processingDelay: .zero),
                                                   prices: configuration.membershipPrices, policy: configuration.membershipPolicy)
            return try await Application(router: router).test(.router) { http in
                try await body(MembershipHarness(client: client, issuer: issuer, memberships: memberships), http)
            }
        }
    }

    func subscribe(_ http: any TestClientProtocol, token: String, plan: MembershipPlan = .monthly, card: String = "4242 4242 4242 4242",
                   expMonth: Int = 12, expYear: Int = 2034, key: String = RandomToken.hex(bytes: 8)) async throws -> TestResponse {
        try await http.send(.post, "/api/v1/memberships",
                            CreateMembershipRequest(plan: plan, paymentMethod: .card(card, expMonth: expMonth, expYear: expYear)),
                            token: token, headers: [.idempotencyKey: key])
    }

    func events() async throws -> [String] {
        try await client.column("SELECT type FROM outbox ORDER BY created_at, id", as: String.self)
    }
}

@Suite("Memberships")
struct MembershipRouteTests {
    @Test("a customer subscribes with a card: charged once, VIP announced; a decline starts nothing; one live membership per user")
    func subscribing() async throws {
        try await MembershipHarness.with { harness, http in
            let plans = try await http.send(.get, "/api/v1/memberships/plans", NoBody())
            #expect(try plans.decode([MembershipPlanDTO].self).map(\.plan) == [.monthly, .semiannual, .annual])

            let user = UUID.v7()
            let token = try await harness.issuer.token(user: user)
            // without a key, unverified, or a malformed card: refused, nothing stored
            let keyless = try await http.send(.post, "/api/v1/memberships", CreateMembershipRequest(plan: .monthly, paymentMethod: .card("4242424242424242")),
                                              token: token)
            #expect(try keyless.status == .badRequest && (try keyless.problem().code) == "idempotency_key_required")
            let unverified = try await harness.subscribe(http, token: try await harness.issuer.token(emailVerified: false))
            #expect(try unverified.status == .forbidden && (try unverified.problem().code) == "email_not_verified")
            #expect(try await harness.subscribe(http, token: token, card: "1234").status == .unprocessableContent)
            #expect(try await http.send(.get, "/api/v1/memberships/me", NoBody(), token: token).status == .notFound)

            // a declined card: 402, the membership never started and can be tried again
            let declined = try await harness.subscribe(http, token: token, card: "4000 0000 0000 0002")
            #expect(try declined.status == .init(code: 402) && (try declined.problem().code) == "card_declined")
            let strong = try await harness.subscribe(http, token: token, card: "4000 0025 0000 3155")
            #expect(try strong.status == .init(code: 402) && (try strong.problem().code) == "authentication_required")
            #expect(try await http.send(.get, "/api/v1/memberships/me", NoBody(), token: token).decode(MembershipDTO.self).status == .failed)

            // paid: active for one calendar month, one receipt, membership.activated
            let key = "subscribe-once"
            let created = try await harness.subscribe(http, token: token, key: key)
            #expect(created.status == .created)
            let membership = try created.decode(MembershipDTO.self)
            #expect(membership.status == .active && membership.price == Money(amount: 999, currency: "USD") && membership.card?.last4 == "4242")
            let start = try #require(membership.currentPeriodStart)
            #expect(membership.currentPeriodEnd == MembershipCycle.periodEnd(from: start, plan: .monthly) && membership.nextChargeAt == membership.currentPeriodEnd)
            #expect(membership.charges.map(\.status) == ["succeeded"])
            // the same request again is the same answer; another one is refused
            let replay = try await harness.subscribe(http, token: token, key: key)
            #expect(try replay.status == .created && (try replay.decode(MembershipDTO.self)).id == membership.id)
            let second = try await harness.subscribe(http, token: token, plan: .annual)
            #expect(try second.status == .conflict && (try second.problem().code) == "membership_exists")
            #expect(try await harness.events() == ["membership.activated"])
            let stored = try await harness.client.column("SELECT count(*)::int FROM sandbox_payment_methods WHERE card_last4 = '4242'", as: Int.self)
            #expect(stored == [1])
            let numbers = try await harness.client.column("SELECT count(*)::int FROM sandbox_payment_methods WHERE behaviour LIKE '%4242%'", as: Int.self)
            #expect(numbers == [0], "no card number is kept")
        }
    }

    @Test("twenty subscriptions of one user at once: one membership, one charge")
    func concurrentSubscriptions() async throws {
        try await MembershipHarness.with { harness, http in
            let token = try await harness.issuer.token()
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<20 { group.addTask { try await harness.subscribe(http, token: token).status } }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1, "\(statuses)")
            #expect(statuses.allSatisfy { $0 == .created || $0 == .conflict }, "\(statuses)")
            #expect(try await harness.client.column("SELECT count(*)::int FROM membership_charges", as: Int.self) == [1])
            #expect(try await harness.events() == ["membership.activated"])
        }
    }

    @Test("renewals are charged when due, once; a decline gives grace and retries; another card pays; no payment in time expires it")
    func renewalsGraceAndExpiry() async throws {
        try await MembershipHarness.with { harness, http in
            let logger = testLogger()
            // a monthly member with a card valid for years
            let token = try await harness.issuer.token()
            let monthly = try await harness.subscribe(http, token: token).decode(MembershipDTO.self)
            let end = try #require(monthly.currentPeriodEnd)
            #expect(try await harness.memberships.billDue(now: end.addingTimeInterval(-60), logger: logger) == 0, "not due yet")
            #expect(try await harness.memberships.billDue(now: end.addingTimeInterval(1), logger: logger) == 1)
            #expect(try await harness.memberships.billDue(now: end.addingTimeInterval(2), logger: logger) == 0, "charged once")
            let renewed = try await http.send(.get, "/api/v1/memberships/me", NoBody(), token: token).decode(MembershipDTO.self)
            #expect(renewed.status == .active && renewed.currentPeriodStart == end && renewed.currentPeriodEnd == MembershipCycle.periodEnd(from: end, plan: .monthly))
            #expect(renewed.charges.map(\.status) == ["succeeded", "succeeded"])

            // an annual member whose card expires next month: the renewal is declined
            let calendar = Calendar.utc
            let soon = calendar.date(byAdding: .month, value: 1, to: Date())!
            let parts = calendar.dateComponents([.year, .month], from: soon)
            let annualToken = try await harness.issuer.token()
            let annual = try await harness.subscribe(http, token: annualToken, plan: .annual, expMonth: parts.month!, expYear: parts.year!)
                .decode(MembershipDTO.self)
            let annualEnd = try #require(annual.currentPeriodEnd)
            try await harness.memberships.billDue(now: annualEnd.addingTimeInterval(1), logger: logger)
            let failing = try await http.send(.get, "/api/v1/memberships/me", NoBody(), token: annualToken).decode(MembershipDTO.self)
            #expect(failing.status == .pastDue && failing.lastFailure?.code == "expired_card")
            #expect(failing.graceEndsAt == annualEnd.addingTimeInterval(7 * 86_400))
            // retried a day later, declined again (no second "past due" announcement)
            #expect(try await harness.memberships.billDue(now: annualEnd.addingTimeInterval(3_600), logger: logger) == 0)
            try await harness.memberships.billDue(now: annualEnd.addingTimeInterval(86_401), logger: logger)
            // the member pays with another card: active again, the new period starts where the paid one ended
            let paid = try await harness.subscribe(http, token: annualToken, card: "5555 5555 5555 4444")
            #expect(paid.status == .ok)
            let recovered = try paid.decode(MembershipDTO.self)
            #expect(recovered.id == annual.id && recovered.status == .active && recovered.currentPeriodStart == annualEnd && recovered.card?.brand == "mastercard")
            #expect(recovered.charges.map(\.status) == ["succeeded", "failed", "failed", "succeeded"])

            // a third member never pays in time: expired at the end of the grace period
            let lapsingToken = try await harness.issuer.token()
            let lapsing = try await harness.subscribe(http, token: lapsingToken, plan: .annual, expMonth: parts.month!, expYear: parts.year!)
                .decode(MembershipDTO.self)
            let lapsingEnd = try #require(lapsing.currentPeriodEnd)
            try await harness.memberships.billDue(now: lapsingEnd.addingTimeInterval(1), logger: logger)
            try await harness.memberships.billDue(now: lapsingEnd.addingTimeInterval(7 * 86_400 + 1), logger: logger)
            let expired = try await http.send(.get, "/api/v1/memberships/me", NoBody(), token: lapsingToken).decode(MembershipDTO.self)
            #expect(expired.status == .expired && expired.endedAt != nil && expired.nextChargeAt == nil)

            // (the monthly member, not charged for eleven months, is renewed once a year on: one period from then, not eleven)
            #expect(try await harness.events() == ["membership.activated", "membership.renewed", "membership.activated", "membership.renewed",
                                                    "membership.past_due", "membership.renewed", "membership.activated", "membership.past_due",
                                                    "membership.expired"])
            let monthlyCharges = try await http.send(.get, "/api/v1/memberships/me", NoBody(), token: token).decode(MembershipDTO.self).charges
            #expect(monthlyCharges.count == 3 && monthlyCharges.allSatisfy { $0.status == "succeeded" })
            #expect(monthlyCharges.first.map { abs($0.periodStart.timeIntervalSince(annualEnd.addingTimeInterval(1))) < 0.01 } == true)
            let reason = try await harness.client.column("SELECT payload->'data'->>'reason' FROM outbox WHERE type = 'membership.expired'", as: String.self)
            #expect(reason == ["renewal_failed"])
        }
    }

    @Test("cancelling runs to the period's end, charges nothing more, and can be repeated; afterwards one can subscribe again")
    func cancelAtPeriodEnd() async throws {
        try await MembershipHarness.with { harness, http in
            let token = try await harness.issuer.token()
            #expect(try await http.send(.delete, "/api/v1/memberships/me", NoBody(), token: token).status == .notFound)
            let membership = try await harness.subscribe(http, token: token).decode(MembershipDTO.self)
            let end = try #require(membership.currentPeriodEnd)
            let cancelled = try await http.send(.delete, "/api/v1/memberships/me", NoBody(), token: token)
            #expect(cancelled.status == .ok)
            let state = try cancelled.decode(MembershipDTO.self)
            #expect(state.status == .active && state.cancelAtPeriodEnd && state.nextChargeAt == nil && state.currentPeriodEnd == end)
            #expect(try await http.send(.delete, "/api/v1/memberships/me", NoBody(), token: token).decode(MembershipDTO.self) == state)

            try await harness.memberships.billDue(now: end.addingTimeInterval(1), logger: testLogger())
            let ended = try await http.send(.get, "/api/v1/memberships/me", NoBody(), token: token).decode(MembershipDTO.self)
            #expect(ended.status == .canceled && ended.charges.count == 1)
            #expect(try await http.send(.delete, "/api/v1/memberships/me", NoBody(), token: token).status == .notFound)
            let reason = try await harness.client.column("SELECT payload->'data'->>'reason' FROM outbox WHERE type = 'membership.expired'", as: String.self)
            #expect(reason == ["cancelled"])
            #expect(try await harness.subscribe(http, token: token, plan: .semiannual).status == .created)
        }
    }

    @Test("a first charge the provider made before the process died is recorded once by the billing job")
    func anInterruptedFirstChargeIsCompleted() async throws {
        try await MembershipHarness.with { harness, _ in
            let logger = testLogger()
            let provider = harness.memberships.provider
            let saved = try await provider.saveMethod(.card("4242 4242 4242 4242"), logger: logger)
            let id = UUID.v7(), user = UUID.v7()
            // the row as subscribing writes it, with a lease that ran out, and the charge the provider made
            try await harness.client.query("""
                INSERT INTO memberships (id, user_id, plan, amount, currency, provider, method_reference, card_brand, card_last4, next_attempt_at,
                                         billing_lease_until)
                VALUES (\(id), \(user), 'monthly', 999, 'USD', 'sandbox', \(saved.reference), 'visa', '4242', now() - interval '1 second',
                        now() - interval '1 second')
                """, logger: logger)
            let charged = try await provider.charge(method: saved.reference, amount: Money(amount: 999, currency: "USD"),
                                                    idempotencyKey: "membership-\(id.uuidString.lowercased())-p1-a1", at: Date(), logger: logger)
            #expect(charged.outcome == .succeeded(card: saved.card))

            #expect(try await harness.memberships.billDue(logger: logger) == 1)
            #expect(try await harness.memberships.billDue(logger: logger) == 0)
            let membership = try #require(try await harness.memberships.current(userID: user, logger: logger))
            #expect(membership.status == .active && membership.charges.count == 1)
            let references = try await harness.client.column("SELECT provider_reference FROM membership_charges", as: String.self)
            #expect(references == [charged.reference], "the provider's one charge, not a second")
            #expect(try await harness.events() == ["membership.activated"])
        }
    }
}
