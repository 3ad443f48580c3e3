import Foundation
import Logging
import PaymentAPI
import PlexusKit
import PostgresNIO

/// A stored payment.
struct PaymentRecord: Sendable {
    var id: UUID
    var orderID: UUID
    var customerID: UUID
    var status: PaymentStatus
    var provider: PaymentProviderName
    var reference: String?
    var clientSecret: String?
    var amount: Money
    var captured: Int
    var refunded: Int
    var returnURL: String?
    var card: CardSummary?
    var failure: PaymentFailure?
    var orderCancelled: Bool
    var createdAt: Date
    var updatedAt: Date

    static let columns = """
        id, order_id, customer_id, status, provider, provider_reference, client_secret, amount, currency, captured, refunded, return_url,
        card_brand, card_last4, failure_code, failure_message, order_cancelled, created_at, updated_at
        """

    init(row: PostgresRow) throws {
        let (id, order, customer, status, provider, reference, secret, amount, currency, captured, refunded, returnURL, brand, last4, code, message,
             cancelled, created, updated)
            = try row.decode((UUID, UUID, UUID, String, String, String?, String?, Int, String, Int, Int, String?, String?, String?, String?, String?,
                              Bool, Date, Date).self)
        self.id = id
        self.orderID = order
        self.customerID = customer
        self.status = PaymentStatus(rawValue: status) ?? .processing
        self.provider = PaymentProviderName(rawValue: provider) ?? .sandbox
        self.reference = reference
        self.clientSecret = secret
        self.amount = Money(amount: amount, currency: currency)
        self.captured = captured
        self.refunded = refunded
        self.returnURL = returnURL
        self.card = brand.flatMap { brand in last4.map { CardSummary(brand: brand, last4: $0) } }
        self.failure = code.map { PaymentFailure(code: $0, message: message ?? "") }
        self.orderCancelled = cancelled
        self.createdAt = created
        self.updatedAt = updated
    }

    func money(_ amount: Int) -> Money { Money(amount: amount, currency: self.amount.currency) }

    /// The DTO; `owner` adds what only the customer may see.
    func dto(owner: Bool, links: PaymentLinks? = nil, events: [ProviderEventDTO]? = nil) -> PaymentDTO {
        PaymentDTO(id: id, orderId: orderID, status: status, amount: amount, capturedAmount: money(captured), refundedAmount: money(refunded),
                   provider: provider, clientSecret: owner ? clientSecret : nil,
                   payUrl: owner && status.confirmable && !orderCancelled && provider == .sandbox ? links?.url(for: id) : nil, card: card, failure: failure, events: events,
                   createdAt: createdAt, updatedAt: updatedAt)
    }

    func event(amount: Int? = nil) -> PaymentEventData {
        PaymentEventData(paymentId: id, orderId: orderID, customerId: customerID, amount: money(amount ?? self.amount.amount),
                         refundedAmount: money(refunded), capturedAmount: money(captured), failure: failure)
    }
}

/// Payments, their refunds and the provider events received.
struct PaymentRepository: Sendable {
    let client: DatabaseClient
    let outbox: Outbox
    let provider: any PaymentProvider

    // MARK: Opening

    /// Opens the payment of an order with the provider (the same order again returns it).
    func open(_ request: OpenPaymentRequest, logger: Logger) async throws -> PaymentRecord {
        try await client.query("""
            INSERT INTO payments (id, order_id, customer_id, provider, amount, currency, return_url, status, order_cancelled)
            SELECT \(UUID.v7()), \(request.orderId), \(request.customerId), \(provider.name.rawValue), \(request.amount.amount), \(request.amount.currency),
                   \(request.returnUrl), CASE WHEN c.order_id IS NULL THEN 'requires_confirmation' ELSE 'canceled' END, c.order_id IS NOT NULL
            FROM (SELECT 1) one LEFT JOIN cancelled_orders c ON c.order_id = \(request.orderId)
            ON CONFLICT (order_id) DO NOTHING
            """, logger: logger)
        guard var payment = try await find(orderID: request.orderId, logger: logger) else { throw ProblemError(.internalServerError, code: "internal_error") }
        if payment.reference == nil {
            let intent = try await providerCall { try await provider.createIntent(paymentID: payment.id, amount: payment.amount, logger: logger) }
            try await client.query("""
                UPDATE payments SET provider_reference = \(intent.reference), client_secret = \(intent.clientSecret), updated_at = now()
                WHERE id = \(payment.id)
                """, logger: logger)
            payment.reference = intent.reference
            payment.clientSecret = intent.clientSecret
        }
        return payment
    }

    // MARK: Reading

    func find(_ id: UUID, logger: Logger) async throws -> PaymentRecord? {
        for try await row in try await client.query("SELECT \(unescaped: PaymentRecord.columns) FROM payments WHERE id = \(id)", logger: logger) {
            return try PaymentRecord(row: row)
        }
        return nil
    }

    func find(orderID: UUID, logger: Logger) async throws -> PaymentRecord? {
        for try await row in try await client.query("SELECT \(unescaped: PaymentRecord.columns) FROM payments WHERE order_id = \(orderID)", logger: logger) {
            return try PaymentRecord(row: row)
        }
        return nil
    }

    static func locked(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> PaymentRecord? {
        for try await row in try await connection.query("SELECT \(unescaped: PaymentRecord.columns) FROM payments WHERE id = \(id) FOR UPDATE", logger: logger) {
            return try PaymentRecord(row: row)
        }
        return nil
    }

    /// A page of payments, newest first, with their provider events.
    func list(status: PaymentStatus?, from: Date?, to: Date?, page: PageRequest, logger: Logger) async throws -> [PaymentDTO] {
        try await client.withConnection { connection in
            var records: [PaymentRecord] = []
            for try await row in try await connection.query("""
                SELECT \(unescaped: PaymentRecord.columns) FROM payments
                WHERE (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
                  AND (\(from)::timestamptz IS NULL OR created_at >= \(from)) AND (\(to)::timestamptz IS NULL OR created_at < \(to))
                  AND (\(page.after)::uuid IS NULL OR id < \(page.after))
                ORDER BY id DESC LIMIT \(page.limit + 1)
                """, logger: logger) { records.append(try PaymentRecord(row: row)) }
            var events: [UUID: [ProviderEventDTO]] = [:]
            for try await (payment, id, type, outcome, received) in try await connection.query("""
                SELECT payment_id, id, type, outcome, received_at FROM provider_events WHERE payment_id = ANY(\(records.map(\.id))) ORDER BY received_at
                """, logger: logger).decode((UUID, String, String, String, Date).self) {
                events[payment, default: []].append(ProviderEventDTO(id: id, type: type, outcome: outcome, receivedAt: received))
            }
            return records.map { $0.dto(owner: false, events: events[$0.id] ?? []) }
        }
    }

    // MARK: Confirming

    /// Marks a payment of `customerID` as being confirmed; refuses one that cannot be.
    func beginConfirm(_ id: UUID, customerID: UUID, logger: Logger) async throws -> (PaymentRecord, PaymentStatus) {
        try await client.withTransaction(logger: logger) { connection in
            guard let payment = try await Self.locked(id, on: connection, logger: logger), payment.customerID == customerID else {
                throw ProblemError.notFound()
            }
            if payment.status == .processing {
                throw ProblemError.conflict("payment_in_progress", "This payment is being confirmed; wait for the outcome.")
            }
            guard payment.status.confirmable, !payment.orderCancelled, payment.reference != nil else {
                throw ProblemError.conflict("payment_not_confirmable", "This payment is \(payment.status.rawValue); it cannot be confirmed.")
            }
            try await connection.query("""
                UPDATE payments SET status = 'processing', processing_since = now(), updated_at = now() WHERE id = \(id)
                """, logger: logger)
            return (payment, payment.status)
        }
    }

    /// Puts a payment back where it was when the provider could not be asked.
    func revert(_ id: UUID, to status: PaymentStatus, logger: Logger) async throws {
        try await client.query("""
            UPDATE payments SET status = \(status.rawValue), processing_since = NULL, updated_at = now() WHERE id = \(id) AND status = 'processing'
            """, logger: logger)
    }

    /// Applies what the provider said, from a confirmation, a webhook or a reconciliation. Only the
    /// first success captures and publishes `payment.succeeded`, however many paths report it. A
    /// success for a cancelled order is refunded at once.
    @discardableResult
    func settle(_ id: UUID, _ outcome: ProviderOutcome, fromConfirmation: Bool, logger: Logger) async throws -> PaymentRecord {
        let (payment, refundLate) = try await client.withTransaction(logger: logger) { connection -> (PaymentRecord, Bool) in
            guard var payment = try await Self.locked(id, on: connection, logger: logger) else { throw ProblemError.notFound() }
            let settled: Set<PaymentStatus> = [.succeeded, .refunded, .partiallyRefunded]
            var refundLate = false
            switch outcome {
            case .succeeded(let card):
                guard !settled.contains(payment.status) else { return (payment, false) }
                payment.status = .succeeded
                payment.captured = payment.amount.amount
                payment.card = card ?? payment.card
                payment.failure = nil
                refundLate = payment.orderCancelled
                try await write(payment, on: connection, logger: logger)
                _ = try await outbox.publish(PaymentEvent.succeeded, payment.event(), on: connection, logger: logger)
            case .failed(let failure, let card):
                let open: Set<PaymentStatus> = fromConfirmation ? [.processing] : [.processing, .requiresConfirmation, .requiresAction]
                guard open.contains(payment.status) else { return (payment, false) }
                payment.status = payment.orderCancelled ? .canceled : .failed
                payment.failure = failure
                payment.card = card ?? payment.card
                try await write(payment, on: connection, logger: logger)
                _ = try await outbox.publish(PaymentEvent.failed, payment.event(), on: connection, logger: logger)
            case .requiresAction(let card):
                guard [.processing, .requiresConfirmation].contains(payment.status) else { return (payment, false) }
                payment.status = payment.orderCancelled ? .canceled : .requiresAction
                payment.card = card ?? payment.card
                try await write(payment, on: connection, logger: logger)
            case .processing(let card):
                guard [.processing, .requiresConfirmation, .requiresAction].contains(payment.status) else { return (payment, false) }
                payment.status = .processing
                payment.card = card ?? payment.card
                try await write(payment, on: connection, logger: logger)
            case .unconfirmed:
                guard payment.status == .processing else { return (payment, false) }
                payment.status = payment.orderCancelled ? .canceled : .requiresConfirmation
                try await write(payment, on: connection, logger: logger)
            }
            return (payment, refundLate)
        }
        guard refundLate else { return payment }
        logger.notice("a payment succeeded for a cancelled order; refunding it", metadata: ["payment": .string(id.uuidString)])
        return try await client.withTransaction(logger: logger) { connection in
            try await refundRemaining(id, actor: "system", reason: "order cancelled before the payment succeeded", on: connection, logger: logger)
        }
    }

    private func write(_ payment: PaymentRecord, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            UPDATE payments SET status = \(payment.status.rawValue), captured = \(payment.captured), card_brand = \(payment.card?.brand),
                   card_last4 = \(payment.card?.last4), failure_code = \(payment.failure?.code), failure_message = \(payment.failure?.message),
                   processing_since = CASE WHEN \(payment.status.rawValue) = 'processing' THEN coalesce(processing_since, now()) ELSE NULL END,
                   updated_at = now()
            WHERE id = \(payment.id)
            """, logger: logger)
    }

    /// Asks the provider about every payment stuck in `processing` longer than `after` and applies
    /// what it says (the reconciliation job); returns how many were looked at.
    @discardableResult
    func reconcile(after: Duration, logger: Logger) async throws -> Int {
        let stuck = try await stuck(after: after, logger: logger)
        for (id, reference) in stuck {
            do {
                try await settle(id, try await provider.retrieve(reference: reference, logger: logger), fromConfirmation: false, logger: logger)
            } catch {
                logger.warning("reconciliation failed", metadata: ["payment": .string(id.uuidString), "error": .string("\(error)")])
            }
        }
        return stuck.count
    }

    /// Payments stuck in `processing` longer than `after` (a crashed confirmation or a lost webhook).
    func stuck(after: Duration, logger: Logger) async throws -> [(UUID, String)] {
        var found: [(UUID, String)] = []
        for try await (id, reference) in try await client.query("""
            SELECT id, provider_reference FROM payments
            WHERE status = 'processing' AND provider_reference IS NOT NULL AND processing_since < now() - make_interval(secs => \(after.seconds))
            ORDER BY processing_since LIMIT 100
            """, logger: logger).decode((UUID, String).self) { found.append((id, reference)) }
        return found
    }

    // MARK: Refunds

    /// Refunds `amount` of a captured payment (never more than what is left), under its row lock.
    func refund(_ id: UUID, amount: Money, reason: String?, actor: String, logger: Logger) async throws -> PaymentRecord {
        try await client.withTransaction(logger: logger) { connection in
            guard let payment = try await Self.locked(id, on: connection, logger: logger) else { throw ProblemError.notFound() }
            return try await refund(payment, amount: amount, reason: reason, actor: actor, on: connection, logger: logger)
        }
    }

    /// Refunds whatever is captured and not refunded yet (nothing when nothing is left).
    func refundRemaining(_ id: UUID, actor: String, reason: String, on connection: PostgresConnection, logger: Logger) async throws -> PaymentRecord {
        guard let payment = try await Self.locked(id, on: connection, logger: logger) else { throw ProblemError.notFound() }
        guard payment.captured > payment.refunded else { return payment }
        return try await refund(payment, amount: payment.money(payment.captured - payment.refunded), reason: reason, actor: actor, on: connection, logger: logger)
    }

    private func refund(_ payment: PaymentRecord, amount: Money, reason: String?, actor: String, on connection: PostgresConnection,
                        logger: Logger) async throws -> PaymentRecord {
        guard payment.captured > 0, let reference = payment.reference else {
            throw ProblemError.conflict("payment_not_captured", "Nothing was captured for this payment.")
        }
        guard amount.currency == payment.amount.currency else {
            throw ProblemError.validation([FieldError(field: "amount.currency", code: "currency_mismatch", message: "Refund in \(payment.amount.currency).")])
        }
        guard amount.amount > 0, amount.amount <= payment.captured - payment.refunded else {
            throw ProblemError(.unprocessableContent, code: "refund_exceeds_captured",
                               detail: "At most \(payment.captured - payment.refunded) can still be refunded.",
                               errors: [FieldError(field: "amount.amount", code: "out_of_range", message: "Use 1 to \(payment.captured - payment.refunded).")])
        }
        let refundID = UUID.v7()
        let providerReference = try await providerCall("The payment provider cannot be reached; nothing was refunded.") {
            try await provider.refund(reference: reference, amount: amount, idempotencyKey: "refund-\(refundID.uuidString)", logger: logger)
        }
        var updated = payment
        updated.refunded += amount.amount
        updated.status = updated.refunded >= updated.captured ? .refunded : .partiallyRefunded
        try await connection.query("""
            INSERT INTO refunds (id, payment_id, amount, reason, actor, provider_reference)
            VALUES (\(refundID), \(payment.id), \(amount.amount), \(reason), \(actor), \(providerReference))
            """, logger: logger)
        try await connection.query("""
            UPDATE payments SET refunded = \(updated.refunded), status = \(updated.status.rawValue), updated_at = now() WHERE id = \(payment.id)
            """, logger: logger)
        _ = try await outbox.publish(PaymentEvent.refunded, updated.event(amount: amount.amount), on: connection, logger: logger)
        return updated
    }

    // MARK: Orders cancelled

    /// `order.cancelled`: nothing more may be charged; what was captured goes back.
    func orderCancelled(_ orderID: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        var found: PaymentRecord?
        for try await row in try await connection.query("SELECT \(unescaped: PaymentRecord.columns) FROM payments WHERE order_id = \(orderID) FOR UPDATE",
                                                        logger: logger) { found = try PaymentRecord(row: row) }
        guard let payment = found else {
            try await connection.query("INSERT INTO cancelled_orders (order_id) VALUES (\(orderID)) ON CONFLICT DO NOTHING", logger: logger)
            return
        }
        if payment.status == .processing {
            // A confirmation is running: try again once it has an outcome.
            throw ProblemError.unavailable("A confirmation of this payment is running.", code: "payment_in_progress", retryAfter: 5)
        }
        try await connection.query("""
            UPDATE payments SET order_cancelled = true,
                   status = CASE WHEN status IN ('requires_confirmation', 'requires_action', 'failed') THEN 'canceled' ELSE status END, updated_at = now()
            WHERE id = \(payment.id)
            """, logger: logger)
        if payment.captured > payment.refunded {
            _ = try await refundRemaining(payment.id, actor: "system", reason: "order cancelled", on: connection, logger: logger)
        }
    }

    // MARK: Webhooks

    /// Records a provider event; `false` when it was seen before.
    func recordEvent(_ event: WebhookEvent, outcome: String, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        var inserted = false
        for try await _ in try await connection.query("""
            INSERT INTO provider_events (provider, id, payment_id, type, outcome) VALUES (\(provider.name.rawValue), \(event.id), \(event.data.paymentId),
                   \(event.type), \(outcome))
            ON CONFLICT (provider, id) DO NOTHING RETURNING 1
            """, logger: logger) { inserted = true }
        return inserted
    }
}
