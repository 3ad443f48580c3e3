import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import PaymentAPI
import PlexusKit

/// Stripe over its REST API (`https://api.stripe.com/v1`, form-encoded requests, JSON answers,
/// pinned `Stripe-Version`): a payment is a PaymentIntent, confirmed with a PaymentMethod id the
/// shop's page made with Stripe.js (card numbers never reach Plexus); refunds are Refunds; a
/// membership's card is a PaymentMethod attached to a Customer and each period an off-session
/// PaymentIntent. Every POST carries an `Idempotency-Key`, so a retried call is the same call.
/// Webhooks are verified with the endpoint's `whsec_…` secret (`Stripe-Signature`, 5-minute
/// tolerance) and translated into the service's own event shape.
public struct StripeProvider: PaymentProvider {
    public let name = PaymentProviderName.stripe
    let http: ServiceClient
    /// `https://api.stripe.com` (or a local fake in tests).
    let apiURL: String
    let secretKey: String
    let webhookSecret: String
    /// Stripe Price ids per plan: with them memberships are Stripe Billing subscriptions; without,
    /// each period is an off-session PaymentIntent the billing job makes.
    let prices: [MembershipPlan: String]

    /// The API version these requests and answers are written for.
    public static let apiVersion = "2024-06-20"
    /// The header Stripe signs webhooks with.
    public static let signatureHeader = "Stripe-Signature"

    public init(http: ServiceClient, apiURL: String, secretKey: String, webhookSecret: String, prices: [MembershipPlan: String] = [:]) {
        self.http = http
        self.prices = prices
        self.apiURL = apiURL.hasSuffix("/") ? String(apiURL.dropLast()) : apiURL
        self.secretKey = secretKey
        self.webhookSecret = webhookSecret
    }

    // MARK: Payments

    public func createIntent(paymentID: UUID, amount: Money, logger: Logger) async throws -> (reference: String, clientSecret: String) {
        let intent: Intent = try await post("/v1/payment_intents", [
            ("amount", String(amount.amount)), ("currency", amount.currency.lowercased()), ("payment_method_types[]", "card"),
            ("metadata[payment_id]", paymentID.uuidString.lowercased()),
        ], key: "create-\(paymentID.uuidString.lowercased())", logger: logger).get()
        return (intent.id, intent.clientSecret ?? "")
    }

    public func confirm(reference: String, method: PaymentMethodInput, idempotencyKey: String, logger: Logger) async throws -> ProviderOutcome {
        let id = try Self.paymentMethodID(method)
        let answer: Answer<Intent> = try await post("/v1/payment_intents/\(Self.pathSegment(reference))/confirm",
                                                    [("payment_method", id), ("expand[]", "payment_method")], key: idempotencyKey, logger: logger)
        if case .declined(let error) = answer { return error.outcome }
        return try answer.get().outcome
    }

    public func retrieve(reference: String, logger: Logger) async throws -> ProviderOutcome {
        let response = try await call(.GET, "/v1/payment_intents/\(Self.pathSegment(reference))?expand[]=payment_method", form: nil, key: nil, logger: logger)
        let intent: Intent = try Self.read(response).get()
        return intent.outcome
    }

    public func refund(reference: String, amount: Money, idempotencyKey: String, logger: Logger) async throws -> String {
        let refund: Reference = try await post("/v1/refunds", [("payment_intent", reference), ("amount", String(amount.amount))],
                                               key: idempotencyKey, logger: logger).get()
        return refund.id
    }

    // MARK: Memberships

    public func saveMethod(_ method: PaymentMethodInput, logger: Logger) async throws -> SavedMethod {
        let id = try Self.paymentMethodID(method)
        let customer: Reference = try await post("/v1/customers", [("metadata[source]", "plexus-membership")],
                                                 key: "customer-\(UUID.v7().uuidString.lowercased())", logger: logger).get()
        let attached: PaymentMethod = try await post("/v1/payment_methods/\(Self.pathSegment(id))/attach", [("customer", customer.id)],
                                                     key: "attach-\(customer.id)-\(id)", logger: logger).get()
        return SavedMethod(reference: "\(customer.id) \(attached.id)", card: attached.summary)
    }

    public func charge(method reference: String, amount: Money, idempotencyKey: String, at now: Date, logger: Logger) async throws -> ChargeResult {
        let parts = reference.split(separator: " ").map(String.init)
        guard parts.count == 2 else { throw ProblemError.validation([FieldError(field: "paymentMethod", code: "invalid", message: "Not a saved Stripe card.")]) }
        let answer: Answer<Intent> = try await post("/v1/payment_intents", [
            ("amount", String(amount.amount)), ("currency", amount.currency.lowercased()), ("customer", parts[0]), ("payment_method", parts[1]),
            ("off_session", "true"), ("confirm", "true"), ("expand[]", "payment_method"), ("metadata[kind]", "membership"),
        ], key: idempotencyKey, logger: logger)
        if case .declined(let error) = answer { return ChargeResult(reference: error.paymentIntent?.id, outcome: error.outcome) }
        let intent = try answer.get()
        return ChargeResult(reference: intent.id, outcome: intent.outcome)
    }

    // MARK: Subscriptions (Stripe Billing)

    public var billsMemberships: Bool { !prices.isEmpty }

    public func startSubscription(method: String, plan: MembershipPlan, membershipID: UUID, idempotencyKey: String,
                                  logger: Logger) async throws -> SubscriptionState {
        let parts = method.split(separator: " ").map(String.init)
        guard parts.count == 2, let price = prices[plan] else {
            throw ProblemError.validation([FieldError(field: "plan", code: "unavailable", message: "This plan is not on offer.")])
        }
        let subscription: Subscription = try await post("/v1/subscriptions", [
            ("customer", parts[0]), ("items[0][price]", price), ("default_payment_method", parts[1]), ("payment_behavior", "error_if_incomplete"),
            ("metadata[membership_id]", membershipID.uuidString.lowercased()), ("expand[]", "latest_invoice.payment_intent"),
        ], key: idempotencyKey, logger: logger).get()
        return subscription.state
    }

    public func subscription(_ reference: String, logger: Logger) async throws -> SubscriptionState {
        let response = try await call(.GET, "/v1/subscriptions/\(Self.pathSegment(reference))?expand[]=latest_invoice.payment_intent", form: nil, key: nil,
                                      logger: logger)
        let subscription: Subscription = try Self.read(response).get()
        return subscription.state
    }

    public func setCancelAtPeriodEnd(_ reference: String, _ cancel: Bool, logger: Logger) async throws {
        let _: Subscription = try await post("/v1/subscriptions/\(Self.pathSegment(reference))", [("cancel_at_period_end", cancel ? "true" : "false")],
                                             key: "cancel-\(reference)-\(cancel)-\(UUID.v7().uuidString.lowercased())", logger: logger).get()
    }

    public func cancelSubscription(_ reference: String, logger: Logger) async throws {
        let response = try await call(.DELETE, "/v1/subscriptions/\(Self.pathSegment(reference))", form: nil, key: nil, logger: logger)
        let _: Subscription = try Self.read(response).get()
    }

    public func payOutstanding(_ reference: String, method: PaymentMethodInput, idempotencyKey: String, logger: Logger) async throws -> SubscriptionState {
        let id = try Self.paymentMethodID(method)
        let current = try await subscription(reference, logger: logger)
        guard let customer = current.customer else { throw ProblemError.unavailable("Stripe named no customer.", code: "provider_unavailable") }
        let _: PaymentMethod = try await post("/v1/payment_methods/\(Self.pathSegment(id))/attach", [("customer", customer)],
                                              key: "attach-\(customer)-\(id)", logger: logger).get()
        let _: Subscription = try await post("/v1/subscriptions/\(Self.pathSegment(reference))", [("default_payment_method", id)],
                                             key: "default-\(idempotencyKey)", logger: logger).get()
        if let invoice = current.latestInvoice {
            let _: Reference = try await post("/v1/invoices/\(Self.pathSegment(invoice))/pay", [("payment_method", id)], key: "pay-\(idempotencyKey)",
                                              logger: logger).get()
        }
        return try await subscription(reference, logger: logger)
    }

    // MARK: Webhooks

    public func webhookEvent(headers: HTTPFields, body: Data, now: Date) throws -> WebhookEvent {
        try WebhookSignature.require(headers, header: Self.signatureHeader, body: body, secret: webhookSecret, now: now)
        let event: Event
        do {
            event = try Self.decoder.decode(Event.self, from: body)
        } catch {
            throw ProblemError.badRequest("invalid_event", "The event does not have Stripe's shape.")
        }
        return event.translated
    }

    // MARK: The wire

    /// A call that worked, was declined (Stripe's 402 `card_error`) or was refused (any other 4xx).
    enum Answer<Value: Sendable>: Sendable {
        case ok(Value)
        case declined(StripeError)
        case refused(status: Int, code: String?)

        /// The value; a decline is a 402 problem with the decline's code, a refusal ``refusal``.
        func get() throws -> Value {
            switch self {
            case .ok(let value): return value
            case .declined(let error):
                throw ProblemError(.init(code: 402), code: error.failure.code, detail: error.failure.message)
            case .refused(let status, let code):
                throw StripeProvider.refusal(status: status, code: code)
            }
        }
    }

    /// A request Stripe refused: an unusable payment method is the client's 422; a rejected key
    /// or anything else is this side's fault, so the client gets 503 and the operator a log line.
    static func refusal(status: Int, code: String?) -> ProblemError {
        if status == 400 || status == 404, let code, ["resource_missing", "payment_method_unexpected_state", "parameter_invalid_empty"].contains(code) {
            return ProblemError.validation([FieldError(field: "paymentMethod.id", code: "invalid", message: "Stripe does not know this payment method.")])
        }
        // Stripe's own words stay in the log (``call``): they can name this system's configuration.
        return ProblemError.unavailable("The payment provider refused the request (\(status)).", code: "provider_unavailable", retryAfter: 5)
    }

    private func post<Value: Decodable & Sendable>(_ path: String, _ form: [(String, String)], key: String, logger: Logger) async throws -> Answer<Value> {
        Self.read(try await call(.POST, path, form: form, key: key, logger: logger))
    }

    private func call(_ method: HTTPMethod, _ path: String, form: [(String, String)]?, key: String?, logger: Logger) async throws -> ServiceClient.Response {
        var headers: HTTPHeaders = ["Authorization": "Bearer \(secretKey)", "Stripe-Version": Self.apiVersion]
        var body: ByteBuffer?
        if let form {
            headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            body = ByteBuffer(string: Self.formEncode(form))
        }
        if let key { headers.add(name: "Idempotency-Key", value: key) }
        let response = try await http.send(upstream: "stripe", method: method, url: apiURL + path, headers: headers, body: body, deadline: .seconds(20),
                                           logger: logger)
        if response.status.code >= 500 || response.status.code == 429 {
            throw ProblemError.unavailable("Stripe answered \(response.status.code).", code: "provider_unavailable", retryAfter: 5)
        }
        if response.status.code >= 400, response.status.code != 402 {
            logger.warning("stripe refused a request", metadata: ["path": .string(path), "status": "\(response.status.code)",
                                                                "answer": .string(String(buffer: response.body).prefix(500).description)])
        }
        return response
    }

    static func read<Value: Decodable & Sendable>(_ response: ServiceClient.Response) -> Answer<Value> {
        read(status: Int(response.status.code), body: Data(buffer: response.body))
    }

    /// Reads an answer: 2xx is the object, 402 a decline, any other status a refusal.
    static func read<Value: Decodable & Sendable>(status: Int, body: Data) -> Answer<Value> {
        let error = try? decoder.decode(ErrorEnvelope.self, from: body).error
        switch status {
        case 200..<300:
            if let value = try? decoder.decode(Value.self, from: body) { return .ok(value) }
        case 402:
            if let error { return .declined(error) }
        default:
            break
        }
        return .refused(status: status, code: error?.code)
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    /// `a=1&metadata%5Bk%5D=v`: Stripe's form encoding (brackets for nested keys, percent-encoded).
    public static func formEncode(_ pairs: [(String, String)]) -> String {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        return pairs.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
    }

    static func pathSegment(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["_", "-"])) ?? ""
    }

    /// With Stripe a payment method is a `pm_…` id made in the browser by Stripe.js.
    static func paymentMethodID(_ method: PaymentMethodInput) throws -> String {
        guard method.type == "stripe", let id = method.id, id.hasPrefix("pm_"), id.utf8.count <= 255 else {
            throw ProblemError.validation([FieldError(field: "paymentMethod", code: "unsupported",
                message: "With Stripe, send {\"type\":\"stripe\",\"id\":\"pm_…\"}: collect the card with Stripe.js; card numbers never come here.")])
        }
        return id
    }

    // MARK: Stripe's objects (the fields Plexus reads)

    struct Reference: Decodable, Sendable {
        var id: String
    }

    struct Card: Decodable, Sendable {
        var brand: String
        var last4: String
    }

    struct PaymentMethod: Decodable, Sendable {
        var id: String
        var card: Card?

        var summary: CardSummary { CardSummary(brand: card?.brand ?? "unknown", last4: card?.last4 ?? "????") }
    }

    /// `payment_method` is an id, or the object when expanded.
    enum PaymentMethodField: Decodable, Sendable {
        case id(String)
        case object(PaymentMethod)

        init(from decoder: any Decoder) throws {
            if let object = try? PaymentMethod(from: decoder) { self = .object(object) } else { self = .id(try decoder.singleValueContainer().decode(String.self)) }
        }

        var card: CardSummary? {
            if case .object(let method) = self, method.card != nil { return method.summary }
            return nil
        }
    }

    struct Intent: Decodable, Sendable {
        var id: String
        var amount: Int
        var currency: String
        var status: String
        var clientSecret: String?
        var metadata: [String: String]?
        var lastPaymentError: Decline?
        var paymentMethod: PaymentMethodField?

        var outcome: ProviderOutcome {
            let card = paymentMethod?.card
            switch status {
            case "succeeded": return .succeeded(card: card)
            case "processing": return .processing(card: card)
            case "requires_action": return .requiresAction(card: card)
            case "canceled": return .failed(PaymentFailure(code: "canceled", message: "The payment was cancelled at Stripe."), card: card)
            default:
                if let error = lastPaymentError { return .failed(error.failure, card: card) }
                return .unconfirmed
            }
        }
    }

    struct ErrorEnvelope: Decodable, Sendable {
        var error: StripeError
    }

    /// Why a charge was declined (an intent's `last_payment_error`).
    struct Decline: Decodable, Sendable {
        var code: String?
        var declineCode: String?
        var message: String?

        /// The decline as Plexus names it: the specific reason where Stripe gives one.
        var failure: PaymentFailure {
            let specific = declineCode.flatMap { $0 == "generic_decline" ? nil : $0 }
            return PaymentFailure(code: specific ?? code ?? "card_declined", message: message ?? "The card was declined.")
        }
    }

    /// An error answer (`{"error": {…}}`); a decline names the intent it declined.
    struct StripeError: Decodable, Sendable {
        var type: String?
        var code: String?
        var declineCode: String?
        var message: String?
        var paymentIntent: Intent?

        var failure: PaymentFailure { Decline(code: code, declineCode: declineCode, message: message).failure }

        var outcome: ProviderOutcome {
            .failed(failure, card: paymentIntent?.paymentMethod?.card)
        }
    }

    struct Invoice: Decodable, Sendable {
        var id: String
        var status: String?
        var paymentIntent: Intent?

        enum CodingKeys: String, CodingKey { case id, status, paymentIntent }

        init(from decoder: any Decoder) throws {
            if let id = try? decoder.singleValueContainer().decode(String.self) {
                self.id = id
                return
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            status = try container.decodeIfPresent(String.self, forKey: .status)
            paymentIntent = try? container.decodeIfPresent(Intent.self, forKey: .paymentIntent)
        }
    }

    struct Subscription: Decodable, Sendable {
        var id: String
        var status: String
        var customer: String?
        var currentPeriodStart: Int
        var currentPeriodEnd: Int
        var latestInvoice: Invoice?

        var state: SubscriptionState {
            var failure: PaymentFailure?
            if latestInvoice?.status == "open", let intent = latestInvoice?.paymentIntent, case .failed(let declined, _) = intent.outcome { failure = declined }
            var state = SubscriptionState(reference: id, status: status, periodStart: Date(timeIntervalSince1970: TimeInterval(currentPeriodStart)),
                                          periodEnd: Date(timeIntervalSince1970: TimeInterval(currentPeriodEnd)), latestInvoice: latestInvoice?.id,
                                          failure: failure, card: latestInvoice?.paymentIntent?.paymentMethod?.card)
            state.customer = customer
            return state
        }
    }

    struct Event: Decodable, Sendable {
        struct Payload: Decodable, Sendable {
            var object: EventObject
        }

        /// A PaymentIntent or a Charge (the fields both may carry).
        struct EventObject: Decodable, Sendable {
            var id: String
            var object: String
            var amount: Int?
            var amountRefunded: Int?
            var currency: String?
            var metadata: [String: String]?
            var paymentIntent: String?
            var lastPaymentError: Decline?
            /// An invoice's subscription.
            var subscription: String?
        }

        var id: String
        var type: String
        var created: Int
        var data: Payload

        /// The event in the payment service's terms. One that is not about a Plexus payment (no
        /// `payment_id` in its metadata, e.g. a membership's charge) names no payment (the nil UUID)
        /// and is acknowledged and ignored.
        var translated: WebhookEvent {
            let object = data.object
            let paymentID = object.metadata?["payment_id"].flatMap(UUID.init(uuidString:)) ?? UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
            let currency = (object.currency ?? "").uppercased()
            if type.hasPrefix("invoice.") || type.hasPrefix("customer.subscription.") {
                // Something happened to a subscription: the membership is brought up to date from it.
                let reference = type.hasPrefix("invoice.") ? object.subscription ?? "" : object.id
                return WebhookEvent(id: id, type: "subscription.changed", createdAt: Date(timeIntervalSince1970: TimeInterval(created)),
                                    data: WebhookEventData(paymentId: paymentID, providerReference: reference,
                                                           amount: Money(amount: object.amount ?? 0, currency: currency)))
            }
            let (kind, reference, amount): (String, String, Int) = switch type {
            case "payment_intent.succeeded": ("payment.succeeded", object.id, object.amount ?? 0)
            case "payment_intent.payment_failed": ("payment.failed", object.id, object.amount ?? 0)
            case "charge.refunded": ("refund.succeeded", object.paymentIntent ?? object.id, object.amountRefunded ?? 0)
            default: (type, object.id, object.amount ?? 0)
            }
            return WebhookEvent(id: id, type: kind, createdAt: Date(timeIntervalSince1970: TimeInterval(created)),
                                data: WebhookEventData(paymentId: paymentID, providerReference: reference, amount: Money(amount: amount, currency: currency),
                                                       failureCode: object.lastPaymentError?.failure.code))
        }
    }
}
