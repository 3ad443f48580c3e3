import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOConcurrencyHelpers
@testable import PaymentService

/// A local stand-in for Stripe's API (Stripe cannot be reached from here), served on a real socket.
/// It answers the calls the Stripe provider makes the way Stripe documents them, and it checks
/// what Stripe requires or Plexus promises of every request: the secret key as a bearer token, a
/// `Stripe-Version`, form-encoded bodies, an `Idempotency-Key` on every POST (a repeated key with
/// the same body replays the first answer; with another body it is Stripe's 400
/// `idempotency_error`), integer amounts and lower-case currencies. Whatever breaks a rule is
/// answered as Stripe would and written to ``violations``.
///
/// Stripe's test PaymentMethods decide what a charge does: `pm_card_visa`, `pm_card_mastercard`
/// succeed; `pm_card_chargeDeclined` (generic decline), `pm_card_chargeDeclinedInsufficientFunds`
/// decline; `pm_card_authenticationRequired` asks for 3-D Secure on-session and is declined with
/// `authentication_required` off-session; `pm_card_chargeCustomerFail` attaches but every charge is
/// declined.
// Safe: its one stored property is a lock-protected box, touched only through the lock.
final class FakeStripe: @unchecked Sendable {
    static let secretKey = "sk_test_fake_plexus"
    static let webhookSecret = "whsec_fake_plexus_endpoint"

    struct Method {
        var brand: String
        var last4: String
        var behaviour: String
    }

    static let methods: [String: Method] = [
        "pm_card_visa": Method(brand: "visa", last4: "4242", behaviour: "succeed"),
        "pm_card_mastercard": Method(brand: "mastercard", last4: "4444", behaviour: "succeed"),
        "pm_card_chargeDeclined": Method(brand: "visa", last4: "0002", behaviour: "generic_decline"),
        "pm_card_chargeDeclinedInsufficientFunds": Method(brand: "visa", last4: "9995", behaviour: "insufficient_funds"),
        "pm_card_authenticationRequired": Method(brand: "visa", last4: "3184", behaviour: "authentication"),
        "pm_card_chargeCustomerFail": Method(brand: "visa", last4: "0341", behaviour: "generic_decline"),
    ]

    struct Intent {
        var id: String
        var amount: Int
        var currency: String
        var status = "requires_payment_method"
        var metadata: [String: String]
        var paymentMethod: String?
        var customer: String?
        var lastError: [String: Any]?
        var refunded = 0
    }

    /// Stripe Prices the fake knows: id → (months, amount).
    static let prices: [String: (months: Int, amount: Int)] = ["price_monthly": (1, 999), "price_semiannual": (6, 4999), "price_annual": (12, 8999)]

    struct Subscription {
        var id: String
        var customer: String
        var price: String
        var paymentMethod: String
        var status = "active"
        var start: Date
        var end: Date
        var cancelAtPeriodEnd = false
        var latestInvoice: String
        var metadata: [String: String]
    }

    struct Invoice {
        var id: String
        var subscription: String
        var status: String
        var amount: Int
        var lastError: [String: Any]?
    }

    struct State {
        var subscriptions: [String: Subscription] = [:]
        var invoices: [String: Invoice] = [:]
        var intents: [String: Intent] = [:]
        var customers: Set<String> = []
        /// Payment method → the customer it is attached to.
        var attached: [String: String] = [:]
        var idempotency: [String: (fingerprint: String, status: Int, body: Data)] = [:]
        var violations: [String] = []
        var requests: [String] = []
    }

    private let state = NIOLockedValueBox(State())

    var violations: [String] { state.withLockedValue { $0.violations } }
    var requests: [String] { state.withLockedValue { $0.requests } }
    func intent(_ id: String) -> Intent? { state.withLockedValue { $0.intents[id] } }
    func subscription(_ id: String) -> Subscription? { state.withLockedValue { $0.subscriptions[id] } }

    /// The router to serve.
    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.post("/v1/payment_intents") { request, context in try await self.handle(request, context) { form in self.createIntent(form) } }
        router.post("/v1/payment_intents/:id/confirm") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await self.handle(request, context) { form in self.confirm(id, form) }
        }
        router.get("/v1/payment_intents/:id") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await self.handle(request, context) { _ in
                self.state.withLockedValue { state in
                    guard let intent = state.intents[id] else { return Self.missing("payment_intent", id) }
                    return (200, Self.json(intent, expand: request.uri.query?.contains("expand") ?? false))
                }
            }
        }
        router.post("/v1/refunds") { request, context in try await self.handle(request, context) { form in self.refund(form) } }
        router.post("/v1/customers") { request, context in
            try await self.handle(request, context) { _ in
                let id = "cus_" + RandomID.next()
                self.state.withLockedValue { _ = $0.customers.insert(id) }
                return (200, ["id": id, "object": "customer"])
            }
        }
        router.post("/v1/payment_methods/:id/attach") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await self.handle(request, context) { form in
                guard let method = Self.methods[id] else { return Self.missing("payment_method", id) }
                guard let customer = form["customer"], self.state.withLockedValue({ $0.customers.contains(customer) }) else {
                    return Self.missing("customer", form["customer"] ?? "")
                }
                self.state.withLockedValue { $0.attached[id] = customer }
                return (200, Self.methodJSON(id, method))
            }
        }
        router.post("/v1/subscriptions") { request, context in try await self.handle(request, context) { form in self.subscribe(form) } }
        router.get("/v1/subscriptions/:id") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await self.handle(request, context) { _ in
                self.state.withLockedValue { state in
                    guard let subscription = state.subscriptions[id] else { return Self.missing("subscription", id) }
                    return (200, Self.json(subscription, state))
                }
            }
        }
        router.post("/v1/subscriptions/:id") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await self.handle(request, context) { form in
                self.state.withLockedValue { state in
                    guard var subscription = state.subscriptions[id] else { return Self.missing("subscription", id) }
                    if let cancel = form["cancel_at_period_end"] { subscription.cancelAtPeriodEnd = cancel == "true" }
                    if let method = form["default_payment_method"] {
                        guard state.attached[method] == subscription.customer else { return Self.invalid("default_payment_method", "Not attached to the customer.") }
                        subscription.paymentMethod = method
                    }
                    state.subscriptions[id] = subscription
                    return (200, Self.json(subscription, state))
                }
            }
        }
        router.delete("/v1/subscriptions/:id") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await self.handle(request, context) { _ in
                self.state.withLockedValue { state in
                    guard var subscription = state.subscriptions[id] else { return Self.missing("subscription", id) }
                    subscription.status = "canceled"
                    state.subscriptions[id] = subscription
                    return (200, Self.json(subscription, state))
                }
            }
        }
        router.post("/v1/invoices/:id/pay") { request, context in
            let id = context.parameters.get("id") ?? ""
            return try await self.handle(request, context) { form in
                self.state.withLockedValue { state in
                    guard var invoice = state.invoices[id], var subscription = state.subscriptions[invoice.subscription] else { return Self.missing("invoice", id) }
                    guard invoice.status == "open" else { return (400, ["error": ["type": "invalid_request_error", "code": "invoice_not_open", "message": "Paid."]]) }
                    let method = form["payment_method"] ?? subscription.paymentMethod
                    if let error = Self.offSessionDecline(method) {
                        invoice.lastError = error
                        state.invoices[id] = invoice
                        return (402, ["error": error])
                    }
                    invoice.status = "paid"
                    invoice.lastError = nil
                    subscription.status = "active"
                    state.invoices[id] = invoice
                    state.subscriptions[subscription.id] = subscription
                    return (200, ["id": id, "object": "invoice", "status": "paid"])
                }
            }
        }
        return router
    }

    // MARK: Stripe Billing

    /// The decline an off-session charge of `method` gets, if any.
    static func offSessionDecline(_ method: String) -> [String: Any]? {
        guard let behaviour = methods[method]?.behaviour, behaviour != "succeed" else { return nil }
        let (code, decline) = behaviour == "authentication" ? ("authentication_required", "authentication_required") : ("card_declined", behaviour)
        return ["type": "card_error", "code": code, "decline_code": decline, "message": "Your card was declined."]
    }

    private func subscribe(_ form: [String: String]) -> (Int, [String: Any]) {
        state.withLockedValue { state in
            guard let customer = form["customer"], state.customers.contains(customer) else { return Self.missing("customer", form["customer"] ?? "") }
            guard let price = form["items[0][price]"], let plan = Self.prices[price] else { return Self.missing("price", form["items[0][price]"] ?? "") }
            guard let method = form["default_payment_method"], state.attached[method] == customer else {
                return Self.invalid("default_payment_method", "The payment method is not attached to this customer.")
            }
            guard form["payment_behavior"] == "error_if_incomplete" else { return Self.invalid("payment_behavior", "The fake expects error_if_incomplete.") }
            if let error = Self.offSessionDecline(method) { return (402, ["error": error]) }
            var metadata: [String: String] = [:]
            for (key, value) in form where key.hasPrefix("metadata[") { metadata[String(key.dropFirst(9).dropLast())] = value }
            let now = Date()
            let invoice = Invoice(id: "in_" + RandomID.next(), subscription: "", status: "paid", amount: plan.amount)
            let subscription = Subscription(id: "sub_" + RandomID.next(), customer: customer, price: price, paymentMethod: method, start: now,
                                            end: Calendar.utc.date(byAdding: .month, value: plan.months, to: now)!, latestInvoice: invoice.id, metadata: metadata)
            state.subscriptions[subscription.id] = subscription
            state.invoices[invoice.id] = Invoice(id: invoice.id, subscription: subscription.id, status: "paid", amount: plan.amount)
            return (200, Self.json(subscription, state))
        }
    }

    /// Stripe's billing cycle for `id`: the next period begins and its invoice is charged to the
    /// subscription's card (paid, or open with the subscription `past_due`). Returns the signed event.
    func cycle(_ id: String) -> (Data, String) {
        let (invoice, paid) = state.withLockedValue { state -> (Invoice, Bool) in
            var subscription = state.subscriptions[id]!
            let plan = Self.prices[subscription.price]!
            subscription.start = subscription.end
            subscription.end = Calendar.utc.date(byAdding: .month, value: plan.months, to: subscription.start)!
            let decline = Self.offSessionDecline(subscription.paymentMethod)
            let invoice = Invoice(id: "in_" + RandomID.next(), subscription: id, status: decline == nil ? "paid" : "open", amount: plan.amount, lastError: decline)
            subscription.latestInvoice = invoice.id
            subscription.status = decline == nil ? "active" : "past_due"
            state.subscriptions[id] = subscription
            state.invoices[invoice.id] = invoice
            return (invoice, decline == nil)
        }
        return signed(paid ? "invoice.paid" : "invoice.payment_failed", ["id": invoice.id, "object": "invoice", "subscription": id, "amount_paid": paid ? invoice.amount : 0,
                                                                         "currency": "usd", "status": invoice.status])
    }

    /// The subscription's card becomes `method` (as if the card on file stopped working).
    func setPaymentMethod(_ id: String, _ method: String) {
        state.withLockedValue { $0.subscriptions[id]?.paymentMethod = method }
    }

    /// Stripe ends subscription `id` (the end of a cancelled period, or its dunning gave up).
    func end(_ id: String) -> (Data, String) {
        let subscription = state.withLockedValue { state -> Subscription in
            state.subscriptions[id]!.status = "canceled"
            return state.subscriptions[id]!
        }
        return signed("customer.subscription.deleted", ["id": id, "object": "subscription", "status": subscription.status, "customer": subscription.customer])
    }

    func signed(_ type: String, _ object: [String: Any], at time: Date = Date()) -> (Data, String) {
        let event: [String: Any] = ["id": "evt_" + RandomID.next(), "object": "event", "type": type, "created": Int(time.timeIntervalSince1970),
                                    "api_version": StripeProvider.apiVersion, "data": ["object": object]]
        let body = try! JSONSerialization.data(withJSONObject: event)
        return (body, WebhookSignature.header(for: body, secret: Self.webhookSecret, time: time))
    }

    static func json(_ subscription: Subscription, _ state: State) -> [String: Any] {
        var invoice: [String: Any] = ["id": subscription.latestInvoice, "object": "invoice"]
        if let stored = state.invoices[subscription.latestInvoice] {
            invoice["status"] = stored.status
            if let error = stored.lastError {
                invoice["payment_intent"] = ["id": "pi_" + stored.id.dropFirst(3), "object": "payment_intent", "amount": stored.amount, "currency": "usd",
                                             "status": "requires_payment_method", "last_payment_error": error]
            }
        }
        return ["id": subscription.id, "object": "subscription", "status": subscription.status, "customer": subscription.customer,
                "current_period_start": Int(subscription.start.timeIntervalSince1970), "current_period_end": Int(subscription.end.timeIntervalSince1970),
                "cancel_at_period_end": subscription.cancelAtPeriodEnd, "latest_invoice": invoice, "metadata": subscription.metadata]
    }

    // MARK: Stripe's behaviour

    private func createIntent(_ form: [String: String]) -> (Int, [String: Any]) {
        guard let amountText = form["amount"], let amount = Int(amountText), amount > 0 else { return Self.invalid("amount", "Amount must be a positive integer.") }
        guard let currency = form["currency"], currency.count == 3, currency == currency.lowercased() else {
            return Self.invalid("currency", "Currency must be a lower-case ISO code.")
        }
        var metadata: [String: String] = [:]
        for (key, value) in form where key.hasPrefix("metadata[") { metadata[String(key.dropFirst(9).dropLast())] = value }
        var intent = Intent(id: "pi_" + RandomID.next(), amount: amount, currency: currency, metadata: metadata)
        intent.customer = form["customer"]
        if form["confirm"] == "true" {
            guard let method = form["payment_method"] else { return Self.invalid("payment_method", "Confirming needs a payment method.") }
            if form["off_session"] == "true", state.withLockedValue({ $0.attached[method] }) != form["customer"] {
                return Self.invalid("payment_method", "The payment method is not attached to this customer.")
            }
            state.withLockedValue { $0.intents[intent.id] = intent }
            return confirm(intent.id, ["payment_method": method, "off_session": form["off_session"] ?? "false", "expand[]": form["expand[]"] ?? ""])
        }
        state.withLockedValue { $0.intents[intent.id] = intent }
        return (200, Self.json(intent, expand: false))
    }

    private func confirm(_ id: String, _ form: [String: String]) -> (Int, [String: Any]) {
        state.withLockedValue { state in
            guard var intent = state.intents[id] else { return Self.missing("payment_intent", id) }
            guard let methodID = form["payment_method"], let method = Self.methods[methodID] else {
                return Self.missing("payment_method", form["payment_method"] ?? "")
            }
            guard ["requires_payment_method", "requires_confirmation", "requires_action"].contains(intent.status) else {
                return (400, ["error": ["type": "invalid_request_error", "code": "payment_intent_unexpected_state",
                                        "message": "This PaymentIntent's status is \(intent.status)."]])
            }
            intent.paymentMethod = methodID
            let offSession = form["off_session"] == "true"
            switch method.behaviour {
            case "succeed":
                intent.status = "succeeded"
            case "authentication" where !offSession:
                intent.status = intent.status == "requires_action" ? "succeeded" : "requires_action"
            default:
                let (code, decline) = method.behaviour == "authentication" ? ("authentication_required", "authentication_required")
                    : ("card_declined", method.behaviour)
                let error: [String: Any] = ["type": "card_error", "code": code, "decline_code": decline, "message": "Your card was declined."]
                intent.status = "requires_payment_method"
                intent.lastError = error
                state.intents[id] = intent
                var answer = error
                answer["payment_intent"] = Self.json(intent, expand: true)
                return (402, ["error": answer])
            }
            intent.lastError = nil
            state.intents[id] = intent
            return (200, Self.json(intent, expand: form["expand[]"] == "payment_method"))
        }
    }

    private func refund(_ form: [String: String]) -> (Int, [String: Any]) {
        state.withLockedValue { state in
            guard let id = form["payment_intent"], var intent = state.intents[id] else { return Self.missing("payment_intent", form["payment_intent"] ?? "") }
            guard let amount = form["amount"].flatMap(Int.init), amount > 0 else { return Self.invalid("amount", "Amount must be a positive integer.") }
            guard intent.status == "succeeded", amount <= intent.amount - intent.refunded else {
                return (400, ["error": ["type": "invalid_request_error", "code": "charge_already_refunded", "message": "Nothing left to refund."]])
            }
            intent.refunded += amount
            state.intents[id] = intent
            return (200, ["id": "re_" + RandomID.next(), "object": "refund", "amount": amount, "payment_intent": id, "status": "succeeded"])
        }
    }

    // MARK: Webhooks

    /// A signed event about intent `id` as Stripe would send it: (body, `Stripe-Signature`).
    func event(_ type: String, intent id: String, at time: Date = Date(), secret: String = FakeStripe.webhookSecret) -> (Data, String) {
        let object: [String: Any] = state.withLockedValue { state in
            let intent = state.intents[id]!
            if type == "charge.refunded" {
                return ["id": "ch_" + RandomID.next(), "object": "charge", "amount": intent.amount, "amount_refunded": intent.refunded,
                        "currency": intent.currency, "payment_intent": id, "metadata": intent.metadata]
            }
            return Self.json(intent, expand: false)
        }
        let event: [String: Any] = ["id": "evt_" + RandomID.next(), "object": "event", "type": type, "created": Int(time.timeIntervalSince1970),
                                    "api_version": StripeProvider.apiVersion, "data": ["object": object]]
        let body = try! JSONSerialization.data(withJSONObject: event)
        return (body, WebhookSignature.header(for: body, secret: secret, time: time))
    }

    // MARK: The wire

    /// Checks the request as Stripe would, applies idempotency, and answers with `body(form)`.
    private func handle(_ request: Request, _ context: BasicRequestContext,
                        _ body: @escaping ([String: String]) -> (Int, [String: Any])) async throws -> Response {
        var request = request
        let bytes = try await request.collectBody(upTo: 1 << 20)
        let text = String(buffer: bytes)
        let path = request.uri.path
        state.withLockedValue { $0.requests.append("\(request.method) \(path) \(text)") }
        guard request.headers[.authorization] == "Bearer \(Self.secretKey)" else {
            return Self.response(401, ["error": ["type": "invalid_request_error", "message": "Invalid API Key provided."]])
        }
        if request.headers[HTTPField.Name("Stripe-Version")!] == nil { violate("\(path): no Stripe-Version") }
        guard request.method == .post else { return Self.response(body([:])) }
        guard request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") ?? false else {
            violate("\(path): not form-encoded")
            return Self.response(Self.invalid("body", "Stripe takes form-encoded bodies."))
        }
        let form = Self.decodeForm(text)
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!] else {
            violate("\(path): POST without Idempotency-Key")
            return Self.response(body(form))
        }
        let fingerprint = "\(path)?\(text)"
        if let earlier = state.withLockedValue({ $0.idempotency[key] }) {
            guard earlier.fingerprint == fingerprint else {
                violate("\(path): Idempotency-Key \(key) reused with other parameters")
                return Self.response(400, ["error": ["type": "idempotency_error", "message": "Keys for idempotent requests can only be used with the same parameters."]])
            }
            return Response(status: .init(code: earlier.status), headers: [.contentType: "application/json", HTTPField.Name("Idempotent-Replayed")!: "true"],
                            body: .init(byteBuffer: ByteBuffer(data: earlier.body)))
        }
        let (status, json) = body(form)
        let data = try JSONSerialization.data(withJSONObject: json)
        state.withLockedValue { $0.idempotency[key] = (fingerprint, status, data) }
        return Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
    }

    private func violate(_ what: String) { state.withLockedValue { $0.violations.append(what) } }

    static func decodeForm(_ text: String) -> [String: String] {
        var form: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            form[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return form
    }

    static func response(_ answer: (Int, [String: Any])) -> Response { response(answer.0, answer.1) }

    static func response(_ status: Int, _ json: [String: Any]) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(data: try! JSONSerialization.data(withJSONObject: json))))
    }

    static func json(_ intent: Intent, expand: Bool) -> [String: Any] {
        var json: [String: Any] = ["id": intent.id, "object": "payment_intent", "amount": intent.amount, "currency": intent.currency,
                                   "status": intent.status, "client_secret": "\(intent.id)_secret_\(intent.id.suffix(6))", "metadata": intent.metadata]
        if let error = intent.lastError { json["last_payment_error"] = error }
        if let customer = intent.customer { json["customer"] = customer }
        if let method = intent.paymentMethod {
            json["payment_method"] = expand ? methodJSON(method, methods[method]!) : method
        }
        return json
    }

    static func methodJSON(_ id: String, _ method: Method) -> [String: Any] {
        ["id": id, "object": "payment_method", "type": "card", "card": ["brand": method.brand, "last4": method.last4, "exp_month": 12, "exp_year": 2034]]
    }

    static func missing(_ kind: String, _ id: String) -> (Int, [String: Any]) {
        (404, ["error": ["type": "invalid_request_error", "code": "resource_missing", "message": "No such \(kind): '\(id)'"]])
    }

    static func invalid(_ parameter: String, _ message: String) -> (Int, [String: Any]) {
        (400, ["error": ["type": "invalid_request_error", "code": "parameter_invalid", "param": parameter, "message": message]])
    }
}

/// Stripe-like random ids.
enum RandomID {
    static func next() -> String { String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)) }
}
