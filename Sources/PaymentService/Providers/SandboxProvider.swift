import Crypto
import Foundation
import HTTPTypes
import Logging
import PaymentAPI
import PlexusKit
import PostgresNIO

/// The built-in card processor. It keeps its own books (`sandbox_intents`), answers like a card
/// network from the test card numbers (``SandboxCards``), and tells the payment service what
/// happened the way a real provider does: signed webhooks, sent asynchronously by a job after
/// `webhookDelay`, retried with backoff until they are accepted.
public struct SandboxProvider: PaymentProvider {
    public let name = PaymentProviderName.sandbox
    let client: DatabaseClient
    let secret: String
    let webhookDelay: Duration
    /// How long a `processing` charge takes to settle.
    let processingDelay: Duration

    /// Sends one signed event to the webhook route.
    static let deliverWebhook = JobKind<WebhookEvent>("payment.sandbox_webhook")
    /// Settles a processing charge.
    static let settleProcessing = JobKind<SettlePayload>("payment.sandbox_settle")

    /// The charge a settle job finishes.
    struct SettlePayload: Codable, Sendable {
        var reference: String
    }

    struct Intent: Sendable {
        var reference: String
        var paymentID: UUID
        var amount: Money
        var status: String
        var captured: Int
        var refunded: Int
        var card: CardSummary?
        var failureCode: String?
    }

    public func createIntent(paymentID: UUID, amount: Money, logger: Logger) async throws -> (reference: String, clientSecret: String) {
        let reference = "sbx_pi_" + paymentID.uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await client.query("""
            INSERT INTO sandbox_intents (reference, payment_id, amount, currency) VALUES (\(reference), \(paymentID), \(amount.amount), \(amount.currency))
            ON CONFLICT (payment_id) DO NOTHING
            """, logger: logger)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(reference.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return (reference, reference + "_secret_" + RandomToken.hex(mac.prefix(12)))
    }

    public func confirm(reference: String, method: PaymentMethodInput, idempotencyKey: String, logger: Logger) async throws -> ProviderOutcome {
        let (card, checked) = try Self.card(of: method)
        let expired = SandboxCards.expired(card, now: Date())
        return try await client.withTransaction(logger: logger) { connection in
            if let earlier = try await Self.replay(idempotencyKey, on: connection, logger: logger) { return earlier }
            guard var intent = try await Self.intent(reference, lock: true, on: connection, logger: logger) else {
                throw ProblemError.notFound("The sandbox knows no such charge.")
            }
            let outcome: ProviderOutcome
            if intent.status == "succeeded" || intent.status == "processing" {
                outcome = try Self.outcome(of: intent)
            } else {
                let behaviour = expired ? .decline(code: "expired_card", message: "The card has expired.") : SandboxCards.behaviour(of: checked.number)
                switch behaviour {
                case .succeed:
                    intent.status = "succeeded"
                case .secondConfirmation:
                    intent.status = intent.status == "requires_action" ? "succeeded" : "requires_action"
                case .processing:
                    intent.status = "processing"
                case .decline(let code, _):
                    intent.status = "failed"
                    intent.failureCode = code
                }
                if intent.status == "succeeded" { intent.captured = intent.amount.amount }
                intent.card = checked.summary
                try await connection.query("""
                    UPDATE sandbox_intents SET status = \(intent.status), captured = \(intent.captured), card_brand = \(checked.summary.brand),
                           card_last4 = \(checked.summary.last4), failure_code = \(intent.failureCode), updated_at = now()
                    WHERE reference = \(reference)
                    """, logger: logger)
                switch intent.status {
                case "succeeded": try await announce("payment.succeeded", intent, on: connection, logger: logger)
                case "failed": try await announce("payment.failed", intent, on: connection, logger: logger)
                case "processing":
                    try await JobQueue.enqueue(Self.settleProcessing, SettlePayload(reference: reference),
                                               options: JobOptions(runAt: Date().addingTimeInterval(processingDelay.seconds)), on: connection, logger: logger)
                default: break
                }
                outcome = try Self.outcome(of: intent)
            }
            try await Self.remember(idempotencyKey, outcome: outcome, on: connection, logger: logger)
            return outcome
        }
    }

    public func retrieve(reference: String, logger: Logger) async throws -> ProviderOutcome {
        try await client.withConnection { connection in
            guard let intent = try await Self.intent(reference, lock: false, on: connection, logger: logger) else {
                throw ProblemError.notFound("The sandbox knows no such charge.")
            }
            return try Self.outcome(of: intent)
        }
    }

    public func refund(reference: String, amount: Money, idempotencyKey: String, logger: Logger) async throws -> String {
        try await client.withTransaction(logger: logger) { connection in
            for try await earlier in try await connection.query("SELECT response->>'reference' FROM sandbox_requests WHERE idempotency_key = \(idempotencyKey)",
                                                                 logger: logger).decode(String.self) { return earlier }
            guard let intent = try await Self.intent(reference, lock: true, on: connection, logger: logger) else {
                throw ProblemError.notFound("The sandbox knows no such charge.")
            }
            guard amount.currency == intent.amount.currency, amount.amount > 0, amount.amount <= intent.captured - intent.refunded else {
                throw ProblemError(.unprocessableContent, code: "refund_exceeds_captured", detail: "The sandbox holds less than that to refund.")
            }
            try await connection.query("UPDATE sandbox_intents SET refunded = refunded + \(amount.amount), updated_at = now() WHERE reference = \(reference)",
                                       logger: logger)
            let refundReference = "sbx_re_" + UUID.v7().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let event = WebhookEvent(id: "evt_" + UUID.v7().uuidString.lowercased(), type: "refund.succeeded", createdAt: Date(),
                                     data: WebhookEventData(paymentId: intent.paymentID, providerReference: reference, amount: amount))
            try await JobQueue.enqueue(Self.deliverWebhook, event, options: JobOptions(runAt: Date().addingTimeInterval(webhookDelay.seconds)),
                                       on: connection, logger: logger)
            let response = String(decoding: try JSON.encoder.encode(["reference": refundReference]), as: UTF8.self)
            try await connection.query("INSERT INTO sandbox_requests (idempotency_key, response) VALUES (\(idempotencyKey), \(response)::jsonb)", logger: logger)
            return refundReference
        }
    }

    public func saveMethod(_ method: PaymentMethodInput, logger: Logger) async throws -> SavedMethod {
        let (card, checked) = try Self.card(of: method)
        let reference = "sbx_pm_" + UUID.v7().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await client.query("""
            INSERT INTO sandbox_payment_methods (reference, behaviour, card_brand, card_last4, exp_month, exp_year)
            VALUES (\(reference), \(SandboxCards.behaviour(of: checked.number).stored), \(checked.summary.brand), \(checked.summary.last4),
                    \(card.expMonth), \(card.expYear))
            """, logger: logger)
        return SavedMethod(reference: reference, card: checked.summary)
    }

    public func charge(method reference: String, amount: Money, idempotencyKey: String, at now: Date, logger: Logger) async throws -> ChargeResult {
        try await client.withTransaction(logger: logger) { connection in
            if let earlier = try await Self.replayCharge(idempotencyKey, on: connection, logger: logger) { return earlier }
            var found: (String, String, String, Int, Int)?
            for try await row in try await connection.query("""
                SELECT behaviour, card_brand, card_last4, exp_month, exp_year FROM sandbox_payment_methods WHERE reference = \(reference)
                """, logger: logger).decode((String, String, String, Int, Int).self) { found = row }
            guard let (stored, brand, last4, month, year) = found else { throw ProblemError.notFound("The sandbox knows no such card.") }
            let card = CardSummary(brand: brand, last4: last4)
            let behaviour = SandboxCards.expired(month: month, year: year, now: now)
                ? .decline(code: "expired_card", message: "The card has expired.") : SandboxCards.Behaviour(stored: stored)
            let result: ChargeResult
            switch behaviour {
            case .succeed, .processing:
                result = ChargeResult(reference: "sbx_ch_" + UUID.v7().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
                                      outcome: .succeeded(card: card))
            case .decline(let code, let message):
                result = ChargeResult(reference: nil, outcome: .failed(PaymentFailure(code: code, message: message), card: card))
            case .secondConfirmation:
                result = ChargeResult(reference: nil, outcome: .failed(PaymentFailure(code: "authentication_required",
                    message: "The card asks its holder to confirm every charge, which a recurring charge cannot do; use another card."), card: card))
            }
            try await Self.remember(idempotencyKey, outcome: result.outcome, reference: result.reference, on: connection, logger: logger)
            return result
        }
    }

    /// The card of a sandbox payment method, checked as typed (a malformed one is a 422 problem).
    static func card(of method: PaymentMethodInput) throws -> (CardInput, SandboxCards.Checked) {
        guard method.type == "card", let card = method.card else {
            throw ProblemError.validation([FieldError(field: "paymentMethod.type", code: "unsupported", message: "The sandbox takes a card: type \"card\" with card details.")])
        }
        switch SandboxCards.check(card) {
        case .success(let checked): return (card, checked)
        case .failure(let problem): throw problem
        }
    }

    public func webhookEvent(headers: HTTPFields, body: Data, now: Date) throws -> WebhookEvent {
        try WebhookSignature.require(headers, header: PaymentEndpoints.signatureHeader, body: body, secret: secret, now: now)
        do {
            return try JSON.decoder.decode(WebhookEvent.self, from: body)
        } catch {
            throw ProblemError.badRequest("invalid_event", "The event does not have the documented shape.")
        }
    }

    // MARK: The network's side

    /// Queues a webhook about `intent`.
    func announce(_ type: String, _ intent: Intent, on connection: PostgresConnection, logger: Logger) async throws {
        let event = WebhookEvent(id: "evt_" + UUID.v7().uuidString.lowercased(), type: type, createdAt: Date(),
                                 data: WebhookEventData(paymentId: intent.paymentID, providerReference: intent.reference, amount: intent.amount,
                                                        failureCode: intent.failureCode))
        try await JobQueue.enqueue(Self.deliverWebhook, event, options: JobOptions(runAt: Date().addingTimeInterval(webhookDelay.seconds)),
                                   on: connection, logger: logger)
    }

    /// The jobs that send webhooks to `url` and settle processing charges.
    func jobs(webhookURL: String, http: ServiceClient) -> [JobRegistration] {
        let deliver = JobRegistration.on(Self.deliverWebhook) { event, _, logger in
            let body = try JSON.encoder.encode(event)
            let response = try await http.send(upstream: "sandbox-webhooks", method: .POST, url: webhookURL,
                                               headers: ["Content-Type": "application/json",
                                                         PaymentEndpoints.signatureHeader: WebhookSignature.header(for: body, secret: secret)],
                                               body: .init(bytes: body), idempotent: false, deadline: .seconds(10), logger: logger)
            switch response.status.code {
            case 200..<300: return
            case 400..<500 where response.status.code != 429:
                logger.warning("sandbox webhook refused", metadata: ["event": .string(event.id), "status": "\(response.status.code)"])
            default:
                throw ProblemError.unavailable("The webhook answered \(response.status.code); the sandbox tries again.")
            }
        }
        let settle = JobRegistration.on(Self.settleProcessing) { payload, _, logger in
            try await client.withTransaction(logger: logger) { connection in
                guard var intent = try await Self.intent(payload.reference, lock: true, on: connection, logger: logger), intent.status == "processing" else { return }
                intent.status = "succeeded"
                intent.captured = intent.amount.amount
                try await connection.query("""
                    UPDATE sandbox_intents SET status = 'succeeded', captured = amount, updated_at = now() WHERE reference = \(payload.reference)
                    """, logger: logger)
                try await announce("payment.succeeded", intent, on: connection, logger: logger)
            }
        }
        return [deliver, settle]
    }

    static func intent(_ reference: String, lock: Bool, on connection: PostgresConnection, logger: Logger) async throws -> Intent? {
        let rows = try await connection.query("""
            SELECT payment_id, amount, currency, status, captured, refunded, card_brand, card_last4, failure_code FROM sandbox_intents
            WHERE reference = \(reference) \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger)
        for try await (payment, amount, currency, status, captured, refunded, brand, last4, failure)
            in rows.decode((UUID, Int, String, String, Int, Int, String?, String?, String?).self) {
            return Intent(reference: reference, paymentID: payment, amount: Money(amount: amount, currency: currency), status: status, captured: captured,
                          refunded: refunded, card: brand.flatMap { brand in last4.map { CardSummary(brand: brand, last4: $0) } }, failureCode: failure)
        }
        return nil
    }

    static func outcome(of intent: Intent) throws -> ProviderOutcome {
        switch intent.status {
        case "succeeded": return .succeeded(card: intent.card)
        case "processing": return .processing(card: intent.card)
        case "requires_action": return .requiresAction(card: intent.card)
        case "failed":
            let code = intent.failureCode ?? "card_declined"
            let message = switch code {
            case "insufficient_funds": "The card has insufficient funds."
            case "expired_card": "The card has expired."
            default: "The card was declined."
            }
            return .failed(PaymentFailure(code: code, message: message), card: intent.card)
        default: return .unconfirmed
        }
    }

    /// A confirmation's answer, kept per idempotency key so a retried call answers the same.
    struct Remembered: Codable {
        var status: String
        var card: CardSummary?
        var failure: PaymentFailure?
        /// A charge's id (off-session charges).
        var reference: String?

        var outcome: ProviderOutcome {
            switch status {
            case "succeeded": .succeeded(card: card)
            case "failed": .failed(failure ?? PaymentFailure(code: "card_declined", message: "The card was declined."), card: card)
            case "requires_action": .requiresAction(card: card)
            case "processing": .processing(card: card)
            default: .unconfirmed
            }
        }
    }

    static func remember(_ key: String, outcome: ProviderOutcome, reference: String? = nil, on connection: PostgresConnection, logger: Logger) async throws {
        var remembered: Remembered = switch outcome {
        case .succeeded(let card): Remembered(status: "succeeded", card: card)
        case .failed(let failure, let card): Remembered(status: "failed", card: card, failure: failure)
        case .requiresAction(let card): Remembered(status: "requires_action", card: card)
        case .processing(let card): Remembered(status: "processing", card: card)
        case .unconfirmed: Remembered(status: "unconfirmed")
        }
        remembered.reference = reference
        let json = String(decoding: try JSON.encoder.encode(remembered), as: UTF8.self)
        try await connection.query("""
            INSERT INTO sandbox_requests (idempotency_key, response) VALUES (\(key), \(json)::jsonb) ON CONFLICT (idempotency_key) DO NOTHING
            """, logger: logger)
    }

    static func replay(_ key: String, on connection: PostgresConnection, logger: Logger) async throws -> ProviderOutcome? {
        try await remembered(key, on: connection, logger: logger)?.outcome
    }

    static func replayCharge(_ key: String, on connection: PostgresConnection, logger: Logger) async throws -> ChargeResult? {
        try await remembered(key, on: connection, logger: logger).map { ChargeResult(reference: $0.reference, outcome: $0.outcome) }
    }

    static func remembered(_ key: String, on connection: PostgresConnection, logger: Logger) async throws -> Remembered? {
        for try await json in try await connection.query("SELECT response::text FROM sandbox_requests WHERE idempotency_key = \(key)", logger: logger)
            .decode(String.self) {
            return try JSON.decoder.decode(Remembered.self, from: Data(json.utf8))
        }
        return nil
    }
}
