import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PaymentAPI
@testable import PaymentService
import PlexusKit
import PlexusKitTesting
import Testing

/// The payment service configured for Stripe, against the local fake on a real socket.
struct StripeHarness: Sendable {
    let client: DatabaseClient
    let issuer: TestIssuer
    let fake: FakeStripe
    let memberships: MembershipRepository

    static func with<T: Sendable>(prices: [MembershipPlan: String] = [:],
                                  _ body: @Sendable (StripeHarness, any TestClientProtocol) async throws -> T) async throws -> T {
        let fake = FakeStripe()
        return try await Application(router: fake.router()).test(.live) { stripe in
            let url = try await TestPostgres.shared.makeDatabase(try PaymentService.migrations.filter { $0.component != "kit" })
            let database = Database(url: url, maxConnections: 20, logger: testLogger())
            let issuer = try TestIssuer()
            let settings = StripeSettings(secretKey: FakeStripe.secretKey, webhookSecret: FakeStripe.webhookSecret, apiURL: "http://127.0.0.1:\(stripe.port!)",
                                          prices: prices)
            return try await database.client.withRunning { client in
                let configuration = PaymentConfiguration(common: .test(.payment, database: url), provider: .stripe, webhookSecret: "links-secret-for-tests",
                                                         stripe: settings)
                let router = try await TestServices.assemble(PaymentService.self, configuration: configuration, database: database,
                                                             verifier: issuer.verifier).parts.router.router
                let provider = StripeProvider(http: ServiceClient(http: .plexus), apiURL: settings.apiURL, secretKey: settings.secretKey,
                                              webhookSecret: settings.webhookSecret, prices: prices)
                let memberships = MembershipRepository(client: client, outbox: Outbox(source: .payment, subscribers: []), provider: provider,
                                                       prices: configuration.membershipPrices, policy: configuration.membershipPolicy)
                return try await Application(router: router).test(.router) { http in
                    try await body(StripeHarness(client: client, issuer: issuer, fake: fake, memberships: memberships), http)
                }
            }
        }
    }

    func webhook(_ http: any TestClientProtocol, _ event: (Data, String)) async throws -> TestResponse {
        try await http.execute(uri: "/api/v1/payments/webhooks/stripe", method: .post,
                               headers: [.contentType: "application/json", HTTPField.Name("Stripe-Signature")!: event.1],
                               body: ByteBuffer(data: event.0)) { $0 }
    }

    func confirm(_ http: any TestClientProtocol, _ payment: UUID, _ method: String, token: String) async throws -> TestResponse {
        try await http.send(.post, "/api/v1/payments/\(payment)/confirm", ConfirmPaymentRequest(paymentMethod: PaymentMethodInput(type: "stripe", id: method)),
                            token: token, headers: [.idempotencyKey: RandomToken.hex(bytes: 8)])
    }
}

@Suite("Stripe provider")
struct StripeProviderTests {
    @Test("payments: PaymentIntents confirmed with Stripe.js payment methods, declines, 3-D Secure, signed webhooks, refunds — every request as Stripe documents it")
    func payments() async throws {
        try await StripeHarness.with { harness, http in
            let customer = UUID.v7()
            let token = try await harness.issuer.token(user: customer)
            let opened = try await http.send(.post, "/internal/payments",
                                             OpenPaymentRequest(orderId: .v7(), customerId: customer, amount: Money(amount: 4250, currency: "USD")),
                                             token: try TestServiceKeys.token(from: .order, to: .payment))
            #expect(opened.status == .created)
            let payment = try opened.decode(PaymentDTO.self)
            #expect(payment.provider == .stripe && payment.payUrl == nil && (payment.clientSecret?.hasPrefix("pi_") ?? false))
            let reference = try #require(try await harness.client.column("SELECT provider_reference FROM payments", as: String.self).first)
            #expect(harness.fake.intent(reference)?.amount == 4250 && harness.fake.intent(reference)?.currency == "usd")
            #expect(harness.fake.intent(reference)?.metadata["payment_id"] == payment.id.uuidString.lowercased())

            // card numbers are refused: Stripe.js makes the payment method
            let raw = try await http.send(.post, "/api/v1/payments/\(payment.id)/confirm", ConfirmPaymentRequest(paymentMethod: .card("4242 4242 4242 4242")),
                                          token: token, headers: [.idempotencyKey: "raw"])
            #expect(raw.status == .unprocessableContent)
            let unknown = try await harness.confirm(http, payment.id, "pm_nonexistent", token: token)
            #expect(unknown.status == .unprocessableContent)
            // a decline names its reason; 3-D Secure asks for a second confirmation; then it succeeds
            let declined = try await harness.confirm(http, payment.id, "pm_card_chargeDeclinedInsufficientFunds", token: token)
            #expect(try declined.status == .init(code: 402) && (try declined.problem().code) == "insufficient_funds")
            let generic = try await harness.confirm(http, payment.id, "pm_card_chargeDeclined", token: token)
            #expect(try generic.problem().code == "card_declined")
            let action = try await harness.confirm(http, payment.id, "pm_card_authenticationRequired", token: token)
            #expect(try action.status == .ok && (try action.decode(PaymentDTO.self)).status == .requiresAction)
            let paid = try await harness.confirm(http, payment.id, "pm_card_authenticationRequired", token: token)
            let settled = try paid.decode(PaymentDTO.self)
            #expect(settled.status == .succeeded && settled.capturedAmount.amount == 4250 && settled.card == CardSummary(brand: "visa", last4: "3184"))

            // Stripe's webhook for the same success changes nothing; forged, stale and wrong-secret ones are refused
            let event = harness.fake.event("payment_intent.succeeded", intent: reference)
            let duplicate = try await harness.webhook(http, event)
            #expect(try duplicate.status == .ok && (try duplicate.decode(StatusMessage.self)).status == "duplicate")
            #expect(try await harness.webhook(http, event).decode(StatusMessage.self).status == "duplicate", "the same event id again")
            let stale = harness.fake.event("payment_intent.succeeded", intent: reference, at: Date().addingTimeInterval(-600))
            #expect(try await harness.webhook(http, stale).status == .badRequest)
            let forged = harness.fake.event("payment_intent.succeeded", intent: reference, secret: "whsec_someone_else")
            #expect(try await harness.webhook(http, forged).status == .badRequest)
            #expect(try await harness.webhook(http, (event.0, "")).status == .badRequest)

            // a partial refund through Stripe's Refunds API, and its charge.refunded webhook acknowledged
            let admin = try await harness.issuer.token(roles: [.customer, .admin])
            let refunded = try await http.send(.post, "/api/v1/payments/\(payment.id)/refunds", RefundRequest(amount: Money(amount: 1250, currency: "USD")),
                                               token: admin)
            #expect(try refunded.status == .created && (try refunded.decode(PaymentDTO.self)).status == .partiallyRefunded)
            #expect(harness.fake.intent(reference)?.refunded == 1250)
            let acknowledged = try await harness.webhook(http, harness.fake.event("charge.refunded", intent: reference))
            #expect(try acknowledged.decode(StatusMessage.self).status == "acknowledged")
            #expect(try await harness.client.column("SELECT count(*)::int FROM outbox WHERE type = 'payment.succeeded'", as: Int.self) == [1])

            #expect(harness.fake.violations.isEmpty, "\(harness.fake.violations)")
            #expect(harness.fake.requests.allSatisfy { !$0.contains("4242424242424242") && !$0.contains("4242+4242") })
        }
    }

    @Test("memberships: the card is attached to a Customer and each period is an off-session PaymentIntent; declines and authentication are refused")
    func memberships() async throws {
        try await StripeHarness.with { harness, http in
            func subscribe(_ method: PaymentMethodInput, user: UUID = .v7()) async throws -> TestResponse {
                try await http.send(.post, "/api/v1/memberships", CreateMembershipRequest(plan: .monthly, paymentMethod: method),
                                    token: try await harness.issuer.token(user: user), headers: [.idempotencyKey: RandomToken.hex(bytes: 8)])
            }
            let member = UUID.v7()
            let created = try await subscribe(PaymentMethodInput(type: "stripe", id: "pm_card_visa"), user: member)
            #expect(created.status == .created)
            let membership = try created.decode(MembershipDTO.self)
            #expect(membership.status == .active && membership.card == CardSummary(brand: "visa", last4: "4242"))

            // the renewal: an off-session, confirmed intent for the customer the card is attached to
            let end = try #require(membership.currentPeriodEnd)
            #expect(try await harness.memberships.billDue(now: end.addingTimeInterval(1), logger: testLogger()) == 1)
            let renewed = try #require(try await harness.memberships.current(userID: member, logger: testLogger()))
            #expect(renewed.status == .active && renewed.charges.count == 2 && renewed.charges.allSatisfy { $0.status == "succeeded" })
            let offSession = harness.fake.requests.filter { $0.contains("off_session=true") && $0.contains("confirm=true") && $0.contains("customer=cus_") }
            #expect(offSession.count == 2)

            let failing = try await subscribe(PaymentMethodInput(type: "stripe", id: "pm_card_chargeCustomerFail"))
            #expect(try failing.status == .init(code: 402) && (try failing.problem().code) == "card_declined")
            let strong = try await subscribe(PaymentMethodInput(type: "stripe", id: "pm_card_authenticationRequired"))
            #expect(try strong.status == .init(code: 402) && (try strong.problem().code) == "authentication_required")
            #expect(try await subscribe(.card("4242 4242 4242 4242")).status == .unprocessableContent)

            // a webhook about a membership's charge (no Plexus payment in its metadata) is acknowledged and ignored
            let intent = try #require(try await harness.client.column("SELECT provider_reference FROM membership_charges WHERE status = 'succeeded' LIMIT 1",
                                                                      as: String.self).first)
            let ignored = try await harness.webhook(http, harness.fake.event("payment_intent.succeeded", intent: intent))
            #expect(try ignored.status == .ok && (try ignored.decode(StatusMessage.self)).status == "ignored")
            #expect(harness.fake.violations.isEmpty, "\(harness.fake.violations)")
        }
    }

    @Test("memberships as Stripe Billing subscriptions: webhooks renew, fail, recover and end them; the billing job reconciles a lost webhook and enforces the grace period")
    func billingSubscriptions() async throws {
        try await StripeHarness.with(prices: [.monthly: "price_monthly", .annual: "price_annual"]) { harness, http in
            let logger = testLogger()
            func subscribe(_ method: String, user: UUID) async throws -> TestResponse {
                try await http.send(.post, "/api/v1/memberships", CreateMembershipRequest(plan: .monthly, paymentMethod: PaymentMethodInput(type: "stripe", id: method)),
                                    token: try await harness.issuer.token(user: user), headers: [.idempotencyKey: RandomToken.hex(bytes: 8)])
            }
            func current(_ user: UUID) async throws -> MembershipDTO { try #require(try await harness.memberships.current(userID: user, logger: logger)) }
            func reference(_ membership: UUID) async throws -> String {
                try #require(try await harness.client.column("SELECT subscription_reference FROM memberships WHERE id = \(membership)", as: String.self).first)
            }

            // a declined first invoice starts nothing at Stripe
            let declined = try await subscribe("pm_card_chargeCustomerFail", user: .v7())
            #expect(try declined.status == .init(code: 402) && (try declined.problem().code) == "card_declined")

            // subscribed: Stripe's subscription, its period, one paid invoice
            let member = UUID.v7()
            let created = try await subscribe("pm_card_visa", user: member)
            #expect(created.status == .created)
            let membership = try created.decode(MembershipDTO.self)
            let subscription = try await reference(membership.id)
            let atStripe = try #require(harness.fake.subscription(subscription))
            #expect(membership.status == .active && membership.currentPeriodEnd.map { abs($0.timeIntervalSince(atStripe.end)) < 1 } == true)
            #expect(atStripe.metadata["membership_id"] == membership.id.uuidString.lowercased())

            // Stripe renews (invoice.paid): renewed once, however often the event comes
            let renewal = harness.fake.cycle(subscription)
            #expect(try await harness.webhook(http, renewal).decode(StatusMessage.self).status == "applied")
            #expect(try await harness.webhook(http, renewal).decode(StatusMessage.self).status == "duplicate")
            var now = try await current(member)
            #expect(now.status == .active && now.charges.count == 2 && now.currentPeriodStart.map { abs($0.timeIntervalSince(atStripe.end)) < 1 } == true)

            // the card stops working: invoice.payment_failed → past due; paying with another card recovers it
            harness.fake.setPaymentMethod(subscription, "pm_card_chargeCustomerFail")
            #expect(try await harness.webhook(http, harness.fake.cycle(subscription)).decode(StatusMessage.self).status == "applied")
            now = try await current(member)
            #expect(now.status == .pastDue && now.lastFailure?.code == "card_declined")
            let stillFailing = try await subscribe("pm_card_chargeDeclinedInsufficientFunds", user: member)
            #expect(try stillFailing.status == .init(code: 402) && (try stillFailing.problem().code) == "insufficient_funds")
            let recovered = try await subscribe("pm_card_mastercard", user: member)
            #expect(recovered.status == .ok)
            #expect(try recovered.decode(MembershipDTO.self).status == .active && harness.fake.subscription(subscription)?.status == "active")

            // a renewal whose webhook never came: the billing job asks Stripe an hour after the period ended
            let paidUntil = try #require(try await current(member).currentPeriodEnd)
            _ = harness.fake.cycle(subscription)
            #expect(try await harness.memberships.billDue(now: paidUntil.addingTimeInterval(3_601), logger: logger) == 1)
            #expect(try await current(member).charges.filter { $0.status == "succeeded" }.count == 4)

            // cancel at the period's end at Stripe; Stripe ends it (customer.subscription.deleted)
            #expect(try await http.send(.delete, "/api/v1/memberships/me", NoBody(), token: try await harness.issuer.token(user: member)).status == .ok)
            #expect(harness.fake.subscription(subscription)?.cancelAtPeriodEnd == true)
            #expect(try await harness.webhook(http, harness.fake.end(subscription)).decode(StatusMessage.self).status == "applied")
            #expect(try await current(member).status == .canceled)

            // a renewal that stays unpaid past the grace period: cancelled at Stripe, expired here
            let lapsing = UUID.v7()
            let second = try await subscribe("pm_card_visa", user: lapsing).decode(MembershipDTO.self)
            let secondSubscription = try await reference(second.id)
            harness.fake.setPaymentMethod(secondSubscription, "pm_card_chargeCustomerFail")
            #expect(try await harness.webhook(http, harness.fake.cycle(secondSubscription)).decode(StatusMessage.self).status == "applied")
            let grace = try #require(try await current(lapsing).graceEndsAt)
            #expect(try await harness.memberships.billDue(now: grace.addingTimeInterval(1), logger: logger) == 1)
            #expect(try await current(lapsing).status == .expired && harness.fake.subscription(secondSubscription)?.status == "canceled")

            let events = try await harness.client.column("SELECT type FROM outbox WHERE type LIKE 'membership.%' ORDER BY created_at, id", as: String.self)
            #expect(events == ["membership.activated", "membership.renewed", "membership.past_due", "membership.renewed", "membership.renewed",
                               "membership.expired", "membership.activated", "membership.past_due", "membership.expired"])
            #expect(harness.fake.violations.isEmpty, "\(harness.fake.violations)")
        }
    }

    @Test func formEncodingIsStripes() {
        #expect(StripeProvider.formEncode([("metadata[payment_id]", "a b&c"), ("expand[]", "payment_method")])
                == "metadata%5Bpayment_id%5D=a%20b%26c&expand%5B%5D=payment_method")
    }
}
