import Foundation
import Hummingbird
import Logging
import PaymentAPI
import PlexusKit

/// `/api/v1/payments`, `/api/v1/admin/payments`, the webhook route and the internal routes.
struct PaymentsController: Sendable {
    let payments: PaymentRepository
    let provider: any PaymentProvider
    let links: PaymentLinks
    let memberships: MembershipRepository

    /// Confirms payment `id` of `customer` with the provider and applies the outcome (the API route
    /// and the hosted page share it). A decline is returned as the outcome, not thrown.
    func confirm(_ id: UUID, customer: UUID, method: PaymentMethodInput, key: String, logger: Logger) async throws -> (PaymentRecord, ProviderOutcome) {
        let (payment, previous) = try await payments.beginConfirm(id, customerID: customer, logger: logger)
        let outcome: ProviderOutcome
        do {
            outcome = try await provider.confirm(reference: payment.reference ?? "", method: method, idempotencyKey: "\(id.uuidString):\(key)", logger: logger)
        } catch let problem as ProblemError where problem.status.code < 500 {
            try await payments.revert(id, to: previous, logger: logger)
            throw problem
        } catch {
            // The provider may or may not have charged: the webhook or the reconciliation job settles it.
            logger.warning("provider confirmation failed", metadata: ["payment": .string(id.uuidString), "error": .string("\(error)")])
            throw ProblemError.unavailable("The payment provider did not answer; the payment settles when it does. Check it again shortly.",
                                           code: "provider_unavailable", retryAfter: 5)
        }
        return (try await payments.settle(id, outcome, fromConfirmation: true, logger: logger), outcome)
    }

    func addRoutes(to router: EndpointRouter) {
        router.on(PaymentEndpoints.get) { _, context in
            let principal = try context.requireUser()
            guard let payment = try await payments.find(try context.uuidParameter("id"), logger: context.logger),
                  payment.customerID == principal.userID || principal.roles.contains(.admin) else { throw ProblemError.notFound() }
            return try Response.json(payment.dto(owner: payment.customerID == principal.userID, links: links))
        }
        router.on(PaymentEndpoints.confirm) { request, context in
            let customer = try context.requireUserID()
            guard let key = request.headers[.idempotencyKey] else {
                throw ProblemError.badRequest("idempotency_key_required", "A confirmation requires an Idempotency-Key header.")
            }
            let body = try await request.decodeBody(ConfirmPaymentRequest.self, context: context)
            let (settled, outcome) = try await confirm(try context.uuidParameter("id"), customer: customer, method: body.paymentMethod, key: key,
                                                       logger: context.logger)
            if case .failed(let failure, _) = outcome {
                throw ProblemError(.init(code: 402), code: failure.code, detail: failure.message)
            }
            return try Response.json(settled.dto(owner: true, links: links))
        }
        router.on(PaymentEndpoints.webhook) { request, context in
            guard (try? context.parameters.require("provider")) == provider.name.rawValue else {
                throw ProblemError.notFound("This system takes webhooks from \(provider.name.rawValue) only.")
            }
            var request = request
            let body = Data(buffer: try await request.collectBody(upTo: 64 * 1024))
            let event = try provider.webhookEvent(headers: request.headers, body: body, now: Date())
            return try Response.json(StatusMessage(status: try await handle(event, logger: context.logger)))
        }
        router.on(PaymentEndpoints.refund) { request, context in
            let admin = try context.requireUserID()
            let body = try await request.decodeBody(RefundRequest.self, context: context)
            let payment = try await payments.refund(try context.uuidParameter("id"), amount: body.amount, reason: body.reason,
                                                    actor: "admin:\(admin.uuidString.lowercased())", logger: context.logger)
            return try Response.json(payment.dto(owner: false), status: .created)
        }
        router.on(PaymentEndpoints.adminList) { request, context in
            let query = try request.query(allowing: ["status", "from", "to", "limit", "cursor"])
            let page = try PageRequest(query: query)
            let status = try request.enumQuery(PaymentStatus.self, "status", in: query)
            let found = try await payments.list(status: status, from: try request.dateQuery("from", in: query), to: try request.dateQuery("to", in: query),
                                                page: page, logger: context.logger)
            return try Response.json(Page(fetched: found, limit: page.limit, id: \.id, item: { $0 }))
        }
        router.on(PaymentEndpoints.open) { request, context in
            let body = try await request.decodeBody(OpenPaymentRequest.self, context: context)
            let payment = try await payments.open(body, logger: context.logger)
            return try Response.json(payment.dto(owner: true, links: links), status: .created)
        }
        router.on(PaymentEndpoints.forOrder) { _, context in
            guard let payment = try await payments.find(orderID: try context.uuidParameter("orderId"), logger: context.logger) else { throw ProblemError.notFound() }
            return try Response.json(payment.dto(owner: true, links: links))
        }
        HostedPage(controller: self).addRoutes(to: router)
    }

    /// Applies one verified provider event; returns what was done.
    func handle(_ event: WebhookEvent, logger: Logger) async throws -> String {
        let seen = try await payments.client.withConnection { connection in
            var found = false
            for try await _ in try await connection.query("SELECT 1 FROM provider_events WHERE provider = \(provider.name.rawValue) AND id = \(event.id)",
                                                          logger: logger) { found = true }
            return found
        }
        if seen { return "duplicate" }
        if event.type == "subscription.changed" {
            let known = try await memberships.subscriptionChanged(event.data.providerReference, logger: logger)
            try await record(event, known ? "applied" : "unknown_subscription", logger: logger)
            return known ? "applied" : "ignored"
        }
        guard let payment = try await payments.find(event.data.paymentId, logger: logger), payment.reference == event.data.providerReference else {
            try await record(event, "unknown_payment", logger: logger)
            return "ignored"
        }
        if event.type != "refund.succeeded", event.data.amount != payment.amount {
            try await record(event, "rejected_amount", logger: logger)
            throw ProblemError(.unprocessableContent, code: "amount_mismatch",
                               detail: "The event is about \(event.data.amount), the payment is \(payment.amount).")
        }
        let outcome: String
        switch event.type {
        case "payment.succeeded":
            let before = payment.status
            let after = try await payments.settle(payment.id, .succeeded(card: nil), fromConfirmation: false, logger: logger)
            outcome = before == .succeeded || before == .refunded || before == .partiallyRefunded ? "duplicate"
                : after.refunded > 0 && payment.orderCancelled ? "refunded_late" : "applied"
        case "payment.failed":
            let failure = PaymentFailure(code: event.data.failureCode ?? "card_declined", message: "The card was declined.")
            let after = try await payments.settle(payment.id, .failed(failure, card: nil), fromConfirmation: false, logger: logger)
            outcome = after.status == payment.status ? "no_effect" : "applied"
        case "refund.succeeded":
            outcome = "acknowledged"
        default:
            outcome = "ignored"
        }
        try await record(event, outcome, logger: logger)
        return outcome
    }

    func record(_ event: WebhookEvent, _ outcome: String, logger: Logger) async throws {
        _ = try await payments.client.withConnection { connection in
            try await payments.recordEvent(event, outcome: outcome, on: connection, logger: logger)
        }
    }
}
