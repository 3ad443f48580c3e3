import CartAPI
import CatalogAPI
import Foundation
import HTTPTypes
import Logging
import OrderAPI
import PaymentAPI
import PlexusKit
import PromotionAPI

/// The services a checkout calls.
struct CheckoutPartners: Sendable {
    var carts: any CartClaiming
    var catalog: CatalogClient
    var promotions: PromotionClient
    var payments: any PaymentOpening
}

/// The checkout saga: claim the cart → quote → reserve stock → evaluate and redeem the code → write
/// the order → open the payment → empty the cart. Every step is idempotent on the order id, so the
/// same Idempotency-Key, or the resume job after a crash, runs it again from wherever it stopped.
/// A definite refusal (no stock, a code that no longer applies) gives back what earlier steps took
/// and fails the checkout; a partner that cannot be reached before the order is written answers 503
/// and leaves the order `placing`, to be resumed by a retry with the same key or compensated by the
/// job; once written, the order waits in `pending_payment` while the payment and cart steps are
/// retried by the job.
struct CheckoutSaga: Sendable {
    let orders: OrderRepository
    let partners: CheckoutPartners
    let paymentWindow: Duration
    let shippingPerShop: Int

    /// A partner's definite "no" (4xx) or its absence.
    enum StepError: Error {
        case refused(ProblemError)
        case unavailable(String)
    }

    /// Runs one call to `service`, sorting its failures into refusals and outages.
    func step<T: Sendable>(_ service: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let remote as RemoteProblem where (400..<500).contains(remote.status) {
            let status = HTTPResponse.Status(code: remote.status)
            throw StepError.refused(ProblemError(status, code: remote.problem?.code ?? "refused", detail: remote.problem?.detail))
        } catch {
            throw StepError.unavailable(service)
        }
    }

    /// Runs what is left of the saga of `order` (the caller holds its lease). Returns the order and
    /// the payment opened now (or found).
    func run(_ order: OrderRecord, logger: Logger) async throws -> (OrderRecord, PaymentDTO?) {
        var order = order
        if order.status == "placing" {
            do {
                order = try await place(order, logger: logger)
            } catch StepError.refused(let problem) {
                do {
                    try await compensate(order, logger: logger)
                } catch {
                    logger.warning("checkout compensation postponed", metadata: ["order": .string(order.id.uuidString), "error": .string("\(error)")])
                }
                throw problem
            } catch StepError.unavailable(let service) {
                throw ProblemError.unavailable("The \(service) service cannot be reached; retry the checkout with the same Idempotency-Key.",
                                               code: "\(service)_unavailable", retryAfter: 2)
            }
        }
        var payment: PaymentDTO?
        if order.sagaStep == "placed" {
            do {
                if order.status != OrderStatus.pendingPayment.rawValue {
                    // cancelled (or expired) before its payment could be opened: nothing to open
                    try await orders.advance(order.id, to: "payment_opened", logger: logger)
                } else if order.total == 0 {
                    order = try await orders.transition(order.id, .init(action: .pay, actor: "system", reason: "nothing to pay"), logger: logger)
                    try await orders.advance(order.id, to: "payment_opened", logger: logger)
                } else {
                    let opened = try await partners.payments.open(OpenPaymentRequest(orderId: order.id, customerId: order.customerID,
                                                                                     amount: order.money(order.total), returnUrl: order.returnURL),
                                                                  logger: logger)
                    try await orders.advance(order.id, to: "payment_opened", paymentID: opened.id, logger: logger)
                    order.paymentID = opened.id
                    payment = opened
                }
                order.sagaStep = "payment_opened"
            } catch {
                logger.warning("payment not opened yet; the resume job retries", metadata: ["order": .string(order.id.uuidString), "error": .string("\(error)")])
            }
        }
        if order.sagaStep == "payment_opened" {
            do {
                if order.source == "cart" { try await partners.carts.complete(orderID: order.id, logger: logger) }
                try await orders.advance(order.id, to: "done", logger: logger)
                order.sagaStep = "done"
            } catch {
                logger.warning("cart not emptied yet; the resume job retries", metadata: ["order": .string(order.id.uuidString), "error": .string("\(error)")])
            }
        }
        // The record already holds what the last steps wrote (saga step, payment): no second read.
        return (order, payment)
    }

    /// Steps one to five: from the cart (or the requested items) to a written order.
    func place(_ order: OrderRecord, logger: Logger) async throws -> OrderRecord {
        var wanted: [CheckoutItem]
        var code: String?
        if order.source == "cart" {
            let claim = try await step("cart") { try await partners.carts.claim(userID: order.customerID, orderID: order.id, logger: logger) }
            wanted = claim.lines.map { CheckoutItem(variantId: $0.variantId, quantity: $0.quantity) }
            code = claim.promotionCode
        } else {
            wanted = order.requestedItems ?? []
        }
        wanted = Self.merged(wanted)
        guard !wanted.isEmpty else { throw StepError.refused(ProblemError(.unprocessableContent, code: "cart_empty", detail: "There is nothing to check out.")) }

        let quoted = try await step("catalog") { try await partners.catalog.quote(wanted.map(\.variantId), logger: logger) }
        let quotes = Dictionary(quoted.map { ($0.variantId, $0) }, uniquingKeysWith: { a, _ in a })
        for item in wanted {
            guard let quote = quotes[item.variantId], quote.isPurchasable else {
                throw StepError.refused(ProblemError(.unprocessableContent, code: "not_purchasable", detail: "A variant in the order is no longer for sale.",
                                                     errors: [FieldError(field: "variantId", code: "not_purchasable", message: item.variantId.uuidString)]))
            }
            if quote.shopOwnerId == order.customerID {
                throw StepError.refused(ProblemError.conflict("own_product", "Sellers cannot buy from their own shop (\(quote.productName))."))
            }
        }

        let hold = Int(paymentWindow.seconds) + 900
        let reservation = try await step("catalog") {
            try await partners.catalog.reserve(ReserveRequest(orderId: order.id, lines: wanted.map { ReservationLineRequest(variantId: $0.variantId, quantity: $0.quantity) },
                                                              holdSeconds: min(86_400, hold)), logger: logger)
        }
        let currency = order.currency
        guard reservation.lines.allSatisfy({ $0.unitPrice.currency == currency }) else {
            throw StepError.refused(ProblemError(.unprocessableContent, code: "not_purchasable", detail: "A variant is priced in another currency."))
        }

        var discounts: [UUID: Int] = [:]
        var discount = 0
        if let code {
            let lines = reservation.lines.map { line in
                EvaluationLine(variantId: line.variantId, productId: line.productId, shopId: line.shopId, categoryIds: quotes[line.variantId]?.categoryIds ?? [],
                               amount: Money(amount: line.unitPrice.amount * line.quantity, currency: currency))
            }
            let result = try await step("promotion") {
                try await partners.promotions.evaluate(EvaluationRequest(code: code, customerId: order.customerID, vip: order.vip, lines: lines), logger: logger)
            }
            _ = try await step("promotion") {
                try await partners.promotions.redeem(RedeemRequest(code: code, orderId: order.id, customerId: order.customerID), logger: logger)
            }
            for line in result.lines { discounts[line.variantId, default: 0] += line.discount.amount }
            discount = result.discount.amount
        }

        let placed = reservation.lines.map { line in
            PlacedLine(line: OrderLineDTO(variantId: line.variantId, productId: line.productId, productName: line.productName, sku: line.sku,
                                          options: line.options, shopId: line.shopId, unitPrice: line.unitPrice, quantity: line.quantity,
                                          lineTotal: Money(amount: line.unitPrice.amount * line.quantity, currency: currency),
                                          discount: Money(amount: discounts[line.variantId] ?? 0, currency: currency)),
                       shopOwnerID: quotes[line.variantId]?.shopOwnerId)
        }
        return try await orders.place(order.id, lines: placed, discount: discount, shippingPerShop: shippingPerShop, promotionCode: code,
                                      payBefore: Date().addingTimeInterval(paymentWindow.seconds), logger: logger)
    }

    /// Gives back what a checkout that will not complete took (stock, the code's use, the cart) and
    /// marks it failed. Each call is harmless when there is nothing to give back.
    func compensate(_ order: OrderRecord, logger: Logger) async throws {
        _ = try await partners.catalog.release(orderID: order.id, logger: logger)
        _ = try await partners.promotions.release(orderID: order.id, logger: logger)
        if order.source == "cart" { try await partners.carts.release(orderID: order.id, logger: logger) }
        try await orders.fail(order.id, logger: logger)
    }

    /// One line per variant (quantities of repeated variants add up).
    static func merged(_ items: [CheckoutItem]) -> [CheckoutItem] {
        var order: [UUID] = []
        var quantities: [UUID: Int] = [:]
        for item in items {
            if quantities[item.variantId] == nil { order.append(item.variantId) }
            quantities[item.variantId, default: 0] += item.quantity
        }
        return order.map { CheckoutItem(variantId: $0, quantity: quantities[$0] ?? 0) }
    }

    /// The resume job: sagas whose runner is gone are finished or compensated.
    func resume(logger: Logger) async throws {
        for id in try await orders.unfinished(placingAfter: .seconds(120), logger: logger) {
            guard try await orders.lease(id, for: .seconds(60), logger: logger) else { continue }
            do {
                if let order = try await orders.find(id, logger: logger) {
                    if order.status == "placing" {
                        try await compensate(order, logger: logger)
                        logger.info("abandoned checkout compensated", metadata: ["order": .string(id.uuidString)])
                    } else {
                        _ = try await run(order, logger: logger)
                    }
                }
            } catch {
                logger.warning("checkout not resumed yet", metadata: ["order": .string(id.uuidString), "error": .string("\(error)")])
            }
            try await orders.unlease(id, logger: logger)
        }
    }
}
