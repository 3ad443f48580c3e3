import Foundation
import Logging
import OrderAPI
import PlexusKit
import PostgresNIO

/// A line the checkout priced and reserved, ready to be written.
struct PlacedLine: Sendable {
    var line: OrderLineDTO
    var shopOwnerID: UUID?
}

/// Orders, their lines, fulfilments and history.
struct OrderRepository: Sendable {
    let client: DatabaseClient
    let outbox: Outbox

    // MARK: The checkout saga's record

    /// The order of (customer, key), created as `placing` when new.
    func start(customerID: UUID, key: String, source: String, items: [CheckoutItem]?, vip: Bool, currency: String, address: ShippingAddress,
               note: String?, returnURL: String?, logger: Logger) async throws -> OrderRecord {
        let itemsJSON = try items.map { String(decoding: try JSON.encoder.encode($0), as: UTF8.self) }
        let addressJSON = String(decoding: try JSON.encoder.encode(address), as: UTF8.self)
        try await client.query("""
            INSERT INTO orders (id, number, customer_id, checkout_key, status, source, requested_items, vip, currency, shipping_address, note, return_url)
            VALUES (\(UUID.v7()), 'PLX-' || lpad(nextval('order_numbers')::text, 6, '0'), \(customerID), \(key), 'placing', \(source),
                    \(itemsJSON)::jsonb, \(vip), \(currency), \(addressJSON)::jsonb, \(note), \(returnURL))
            ON CONFLICT (customer_id, checkout_key) DO NOTHING
            """, logger: logger)
        let rows = try await client.query("""
            SELECT \(unescaped: OrderRecord.columns) FROM orders o WHERE customer_id = \(customerID) AND checkout_key = \(key)
            """, logger: logger)
        for try await row in rows { return try OrderRecord(row: row) }
        throw ProblemError(.internalServerError, code: "internal_error")
    }

    /// Takes the saga's lease for `duration` (one runner at a time: a request or the resume job).
    func lease(_ orderID: UUID, for duration: Duration, logger: Logger) async throws -> Bool {
        let rows = try await client.query("""
            UPDATE orders SET lease_until = now() + make_interval(secs => \(duration.seconds))
            WHERE id = \(orderID) AND (lease_until IS NULL OR lease_until < now()) RETURNING 1
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Gives the lease back.
    func unlease(_ orderID: UUID, logger: Logger) async throws {
        try await client.query("UPDATE orders SET lease_until = NULL WHERE id = \(orderID)", logger: logger)
    }

    /// Writes the priced lines and totals: the order now waits for its payment (`order.placed`).
    func place(_ orderID: UUID, lines: [PlacedLine], discount: Int, shippingPerShop: Int, promotionCode: String?, payBefore: Date,
               logger: Logger) async throws -> OrderRecord {
        try await client.withTransaction(logger: logger) { [outbox] connection in
            var head: (status: String, customer: UUID)?
            for try await row in try await connection.query("SELECT status, customer_id FROM orders WHERE id = \(orderID) FOR UPDATE", logger: logger)
                .decode((String, UUID).self) { head = row }
            guard let head else { throw ProblemError.notFound() }
            guard head.status == "placing" else {
                guard let order = try await Self.load(orderID, lock: false, on: connection, logger: logger) else { throw ProblemError.notFound() }
                return order
            }
            for (position, placed) in lines.enumerated() {
                let line = placed.line
                let options = String(decoding: try JSON.encoder.encode(line.options), as: UTF8.self)
                try await connection.query("""
                    INSERT INTO order_lines (order_id, position, variant_id, product_id, product_name, sku, options, shop_id, shop_owner_id,
                                             unit_price, quantity, discount)
                    VALUES (\(orderID), \(position), \(line.variantId), \(line.productId), \(line.productName), \(line.sku), \(options)::jsonb,
                            \(line.shopId), \(placed.shopOwnerID), \(line.unitPrice.amount), \(line.quantity), \(line.discount.amount))
                    """, logger: logger)
            }
            var shops: [UUID: UUID?] = [:]
            for placed in lines where shops[placed.line.shopId] == nil { shops[placed.line.shopId] = placed.shopOwnerID }
            for (shop, owner) in shops {
                try await connection.query("INSERT INTO fulfilments (order_id, shop_id, shop_owner_id) VALUES (\(orderID), \(shop), \(owner))",
                                           logger: logger)
            }
            let subtotal = lines.reduce(0) { $0 + $1.line.lineTotal.amount }
            let shipping = shippingPerShop * shops.count
            let total = subtotal - discount + shipping
            try await connection.query("""
                UPDATE orders SET status = 'pending_payment', saga_step = 'placed', subtotal = \(subtotal), discount = \(discount),
                       shipping = \(shipping), total = \(total), promotion_code = \(promotionCode), pay_before = \(payBefore),
                       version = version + 1, updated_at = now()
                WHERE id = \(orderID)
                """, logger: logger)
            try await Self.record(orderID, status: .pendingPayment, actor: "customer:\(head.customer.uuidString.lowercased())", reason: "checkout",
                                  on: connection, logger: logger)
            guard let order = try await Self.load(orderID, lock: false, on: connection, logger: logger) else { throw ProblemError.notFound() }
            _ = try await outbox.publish(OrderEvent.placed, order.event(), on: connection, logger: logger)
            return order
        }
    }

    /// The checkout could not complete and everything it held was given back.
    func fail(_ orderID: UUID, logger: Logger) async throws {
        try await client.query("UPDATE orders SET status = 'failed', updated_at = now() WHERE id = \(orderID) AND status = 'placing'", logger: logger)
    }

    /// Moves the saga on: `placed → payment_opened` (with the payment) or `→ done`.
    func advance(_ orderID: UUID, to step: String, paymentID: UUID? = nil, logger: Logger) async throws {
        try await client.query("""
            UPDATE orders SET saga_step = \(step), payment_id = coalesce(\(paymentID), payment_id), updated_at = now() WHERE id = \(orderID)
            """, logger: logger)
    }

    /// Sagas to look at again: placing ones whose runner is gone (older than `placingAfter`) and
    /// placed ones whose payment or cart step is still due.
    func unfinished(placingAfter: Duration, limit: Int = 100, logger: Logger) async throws -> [UUID] {
        let rows = try await client.query("""
            SELECT id FROM orders
            WHERE saga_step <> 'done' AND status <> 'failed' AND (lease_until IS NULL OR lease_until < now())
              AND (status <> 'placing' OR created_at < now() - make_interval(secs => \(placingAfter.seconds)))
              AND updated_at < now() - interval '2 seconds'
            ORDER BY updated_at LIMIT \(limit)
            """, logger: logger)
        return try await Self.ids(rows)
    }

    static func ids(_ rows: DatabaseRows) async throws -> [UUID] {
        var ids: [UUID] = []
        for try await id in rows.decode(UUID.self) { ids.append(id) }
        return ids
    }

    // MARK: Reading

    func find(_ orderID: UUID, logger: Logger) async throws -> OrderRecord? {
        try await client.withConnection { connection in try await Self.load(orderID, lock: false, on: connection, logger: logger) }
    }

    static func load(_ orderID: UUID, lock: Bool, on connection: PostgresConnection, logger: Logger) async throws -> OrderRecord? {
        let rows = try await connection.query("""
            SELECT \(unescaped: OrderRecord.columns) FROM orders o WHERE o.id = \(orderID) \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger)
        return try await records(rows, on: connection, logger: logger).first
    }

    /// Fills lines, fulfilments and history of `orders` with three queries.
    static func attach(_ orders: inout [OrderRecord], on connection: PostgresConnection, logger: Logger) async throws {
        guard !orders.isEmpty else { return }
        let ids = orders.map(\.id)
        var index: [UUID: Int] = [:]
        for (position, order) in orders.enumerated() { index[order.id] = position }
        let lines = try await connection.query("""
            SELECT order_id, variant_id, product_id, product_name, sku, options::text, shop_id, shop_owner_id, unit_price, quantity, discount
            FROM order_lines WHERE order_id = ANY(\(ids)) ORDER BY order_id, position
            """, logger: logger)
        for try await (order, variant, product, name, sku, options, shop, owner, price, quantity, discount)
            in lines.decode((UUID, UUID, UUID, String, String, String, UUID, UUID?, Int, Int, Int).self) {
            guard let position = index[order] else { continue }
            let currency = orders[position].currency
            let money = { (amount: Int) in Money(amount: amount, currency: currency) }
            let line = OrderLineDTO(variantId: variant, productId: product, productName: name, sku: sku,
                                    options: (try? JSON.decoder.decode([String: String].self, from: Data(options.utf8))) ?? [:], shopId: shop,
                                    unitPrice: money(price), quantity: quantity, lineTotal: money(price * quantity), discount: money(discount))
            orders[position].lines.append(StoredLine(line: line, shopOwnerID: owner))
        }
        let fulfilments = try await connection.query("""
            SELECT order_id, shop_id, shop_owner_id, status, carrier, tracking_number, shipped_at, delivered_at
            FROM fulfilments WHERE order_id = ANY(\(ids)) ORDER BY order_id, shop_id
            """, logger: logger)
        for try await (order, shop, owner, status, carrier, tracking, shipped, delivered)
            in fulfilments.decode((UUID, UUID, UUID?, String, String?, String?, Date?, Date?).self) {
            guard let position = index[order] else { continue }
            orders[position].fulfilments.append(StoredFulfilment(
                dto: FulfilmentDTO(shopId: shop, status: FulfilmentStatus(rawValue: status) ?? .pending, carrier: carrier, trackingNumber: tracking,
                                   shippedAt: shipped, deliveredAt: delivered),
                shopOwnerID: owner))
        }
        let history = try await connection.query("""
            SELECT order_id, status, actor, reason, at FROM order_history WHERE order_id = ANY(\(ids)) ORDER BY order_id, id
            """, logger: logger)
        for try await (order, status, actor, reason, at) in history.decode((UUID, String, String, String?, Date).self) {
            guard let position = index[order], let status = OrderStatus(rawValue: status) else { continue }
            orders[position].history.append(OrderHistoryEntry(status: status, at: at, actor: actor, reason: reason))
        }
    }

    /// A page of orders, newest first: a customer's (`customerID`) or everyone's.
    func list(customerID: UUID?, status: OrderStatus?, from: Date?, to: Date?, page: PageRequest, logger: Logger) async throws -> [OrderRecord] {
        try await client.withConnection { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: OrderRecord.columns) FROM orders o
                WHERE o.status NOT IN ('placing', 'failed')
                  AND (\(customerID)::uuid IS NULL OR o.customer_id = \(customerID))
                  AND (\(status?.rawValue)::text IS NULL OR o.status = \(status?.rawValue))
                  AND (\(from)::timestamptz IS NULL OR o.created_at >= \(from))
                  AND (\(to)::timestamptz IS NULL OR o.created_at < \(to))
                  AND (\(page.after)::uuid IS NULL OR o.id < \(page.after))
                ORDER BY o.id DESC LIMIT \(page.limit + 1)
                """, logger: logger)
            return try await Self.records(rows, on: connection, logger: logger)
        }
    }

    /// The orders of `rows` with their lines, fulfilments and history.
    static func records(_ rows: PostgresRowSequence, on connection: PostgresConnection, logger: Logger) async throws -> [OrderRecord] {
        var found: [OrderRecord] = []
        for try await row in rows { found.append(try OrderRecord(row: row)) }
        try await attach(&found, on: connection, logger: logger)
        return found
    }

    /// A page of the orders holding `ownerID`'s shop's lines.
    func list(shopOwnerID ownerID: UUID, status: FulfilmentStatus?, page: PageRequest, logger: Logger) async throws -> [OrderRecord] {
        try await client.withConnection { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: OrderRecord.columns) FROM orders o JOIN fulfilments f ON f.order_id = o.id
                WHERE f.shop_owner_id = \(ownerID) AND o.status NOT IN ('placing', 'failed')
                  AND (\(status?.rawValue)::text IS NULL OR f.status = \(status?.rawValue))
                  AND (\(page.after)::uuid IS NULL OR o.id < \(page.after))
                ORDER BY o.id DESC LIMIT \(page.limit + 1)
                """, logger: logger)
            return try await Self.records(rows, on: connection, logger: logger)
        }
    }

    /// Unpaid orders past their window.
    func overdue(limit: Int = 100, logger: Logger) async throws -> [UUID] {
        try await Self.ids(client.query("""
            SELECT id FROM orders WHERE status = 'pending_payment' AND pay_before < now() ORDER BY pay_before LIMIT \(limit)
            """, logger: logger))
    }

    // MARK: Transitions

    /// What a transition changes beside the status.
    struct Change: Sendable {
        var action: OrderMachine.Action
        var actor: String
        var reason: String?
        /// Carrier and tracking number of a shipment.
        var shipment: (carrier: String, tracking: String)?
    }

    /// Applies `change` to the locked order through the state machine (checking `expected`
    /// against its version), records it and publishes its event, all in one transaction.
    /// `check` may refuse the transition after seeing the order (ownership).
    @discardableResult
    func transition(_ orderID: UUID, _ change: Change, expected: Int? = nil, on connection: PostgresConnection? = nil, logger: Logger,
                    check: @escaping @Sendable (OrderRecord) throws -> Void = { _ in }) async throws -> OrderRecord {
        if let connection { return try await apply(orderID, change, expected: expected, on: connection, logger: logger, check: check) }
        return try await client.withTransaction(logger: logger) { connection in
            try await apply(orderID, change, expected: expected, on: connection, logger: logger, check: check)
        }
    }

    private func apply(_ orderID: UUID, _ change: Change, expected: Int?, on connection: PostgresConnection, logger: Logger,
                       check: (OrderRecord) throws -> Void) async throws -> OrderRecord {
        guard let order = try await Self.load(orderID, lock: true, on: connection, logger: logger), let state = order.machineState else {
            throw ProblemError.notFound()
        }
        try check(order)
        if let expected, expected != order.version {
            throw ProblemError(.preconditionFailed, code: "version_mismatch", detail: "The order is at version \(order.version), not \(expected); read it again.")
        }
        let next: OrderMachine.State
        switch OrderMachine.apply(change.action, to: state) {
        case .success(let state): next = state
        case .failure(.noSuchFulfilment): throw ProblemError.notFound("This order has no part from that shop.")
        case .failure(.illegal(let from, let action)):
            throw ProblemError.conflict("illegal_transition", "An order that is \(from.rawValue) cannot \(action).")
        }
        for (shop, status) in next.fulfilments where state.fulfilments[shop] != status {
            let now = Date()
            try await connection.query("""
                UPDATE fulfilments SET status = \(status.rawValue),
                       carrier = coalesce(\(change.shipment?.carrier), carrier), tracking_number = coalesce(\(change.shipment?.tracking), tracking_number),
                       shipped_at = CASE WHEN \(status.rawValue) = 'shipped' THEN \(now) ELSE shipped_at END,
                       delivered_at = CASE WHEN \(status.rawValue) = 'delivered' THEN \(now) ELSE delivered_at END
                WHERE order_id = \(orderID) AND shop_id = \(shop)
                """, logger: logger)
        }
        try await connection.query("""
            UPDATE orders SET status = \(next.status.rawValue), version = version + 1, updated_at = now(),
                   captured = CASE WHEN \(next.status.rawValue) = 'paid' AND status = 'pending_payment' THEN total ELSE captured END
            WHERE id = \(orderID)
            """, logger: logger)
        if next.status != state.status || change.shipment != nil || next.fulfilments != state.fulfilments {
            try await Self.record(orderID, status: next.status, actor: change.actor, reason: change.reason, on: connection, logger: logger)
        }
        guard let updated = try await Self.load(orderID, lock: false, on: connection, logger: logger) else { throw ProblemError.notFound() }
        switch change.action {
        case .pay: _ = try await outbox.publish(OrderEvent.paid, updated.event(), on: connection, logger: logger)
        case .cancel, .expire: _ = try await outbox.publish(OrderEvent.cancelled, updated.event(reason: change.reason), on: connection, logger: logger)
        case .ship(let shop):
            _ = try await outbox.publish(OrderEvent.fulfilmentShipped, FulfilmentShipped(
                orderId: orderID, number: updated.number, customerId: updated.customerID, shopId: shop, carrier: change.shipment?.carrier ?? "",
                trackingNumber: change.shipment?.tracking ?? "", lines: updated.event().lines.filter { $0.shopId == shop }, at: Date()),
                on: connection, logger: logger)
        case .deliver:
            if next.status == .delivered { _ = try await outbox.publish(OrderEvent.delivered, updated.event(), on: connection, logger: logger) }
        case .refundCompleted: break
        }
        return updated
    }

    /// Records money that went back for an order (from `payment.refunded`).
    func recordRefund(_ orderID: UUID, refundedTotal: Int, captured: Int, on connection: PostgresConnection, logger: Logger) async throws -> OrderRecord? {
        try await connection.query("""
            UPDATE orders SET captured = greatest(captured, \(captured)), refunded = least(greatest(refunded, \(refundedTotal)), greatest(captured, \(captured))),
                   updated_at = now()
            WHERE id = \(orderID)
            """, logger: logger)
        return try await Self.load(orderID, lock: true, on: connection, logger: logger)
    }

    static func record(_ orderID: UUID, status: OrderStatus, actor: String, reason: String?, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO order_history (order_id, status, actor, reason) VALUES (\(orderID), \(status.rawValue), \(actor), \(reason))
            """, logger: logger)
    }
}
