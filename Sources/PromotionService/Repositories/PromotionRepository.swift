import Foundation
import Logging
import OrderAPI
import PlexusKit
import PostgresNIO
import PromotionAPI
import ShopAPI

/// Promotions, and the seller → shop directory fed by the shop service's events.
struct PromotionRepository: Sendable {
    let client: DatabaseClient
    let outbox: Outbox

    static let columns = """
        id, code, kind, percentage, amount, currency, max_discount, min_subtotal, starts_at, ends_at, usage_limit, per_customer_limit,
        product_ids, shop_ids, category_ids, vip_only, shop_id, usage_count, deleted_at IS NOT NULL, created_at, updated_at
        """

    static func decode(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [PromotionRule] {
        var rules: [PromotionRule] = []
        for try await row in rows {
            let (id, code, kind, percentage, amount, currency, maxDiscount, minSubtotal, startsAt, endsAt, usageLimit, perCustomer,
                 products, shops, categories, vipOnly, shop, usage, deleted, created, updated)
                = try row.decode((UUID, String, String, Int?, Int?, String, Int?, Int?, Date, Date?, Int?, Int?,
                                  [UUID]?, [UUID]?, [UUID]?, Bool, UUID?, Int, Bool, Date, Date).self)
            rules.append(PromotionRule(id: id, code: code, kind: PromotionKind(rawValue: kind) ?? .fixed, percentage: percentage, amount: amount,
                                       currency: currency, maxDiscount: maxDiscount, minSubtotal: minSubtotal, startsAt: startsAt, endsAt: endsAt,
                                       usageLimit: usageLimit, perCustomerLimit: perCustomer, productIDs: products, shopIDs: shops,
                                       categoryIDs: categories, vipOnly: vipOnly, shopID: shop, usageCount: usage, deleted: deleted,
                                       createdAt: created, updatedAt: updated))
        }
        return rules
    }

    /// The shop `userID` owns, as the shop service announced it.
    func shop(ownedBy userID: UUID, logger: Logger) async throws -> UUID? {
        for try await id in try await client.query("SELECT id FROM shops WHERE owner_id = \(userID)", logger: logger).decode(UUID.self) { return id }
        return nil
    }

    /// Creates a promotion (`shopID`: a seller's own shop), publishing `promotion.changed`.
    func create(_ request: CreatePromotionRequest, code: String, shopID: UUID?, currency: String, now: Date, logger: Logger) async throws -> PromotionRule {
        let id = UUID.v7()
        let empty = { (ids: [UUID]?) in ids.flatMap { $0.isEmpty ? nil : Array(Set($0)) } }
        do {
            return try await client.withTransaction(logger: logger) { [outbox] connection in
                let rows = try await connection.query("""
                    INSERT INTO promotions (id, code, kind, percentage, amount, currency, max_discount, min_subtotal, starts_at, ends_at,
                                            usage_limit, per_customer_limit, product_ids, shop_ids, category_ids, vip_only, shop_id)
                    VALUES (\(id), \(code), \(request.kind.rawValue), \(request.percentage), \(request.amount?.amount), \(currency),
                            \(request.maxDiscount?.amount), \(request.minSubtotal?.amount), \(request.startsAt ?? now), \(request.endsAt),
                            \(request.usageLimit), \(request.perCustomerLimit), \(empty(request.productIds)), \(empty(request.shopIds)),
                            \(empty(request.categoryIds)), \(request.vipOnly ?? false), \(shopID))
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
                guard let rule = try await Self.decode(rows).first else { throw ProblemError(.internalServerError, code: "internal_error") }
                try await outbox.publish(PromotionEvent.changed, PromotionChanged(promotionId: id, code: code), on: connection, logger: logger)
                return rule
            }
        } catch where ConstraintViolation.details(of: error)?.constraint == "promotions_code_key" {
            throw ProblemError.conflict("code_taken", "Another promotion has the code \(code).")
        }
    }

    /// A promotion the caller may manage (`shopID` nil: an admin, any), or `nil`.
    func find(_ id: UUID, shopID: UUID?, admin: Bool, logger: Logger) async throws -> PromotionRule? {
        try await Self.decode(client.query("""
            SELECT \(unescaped: Self.columns) FROM promotions WHERE id = \(id) AND (\(admin) OR shop_id = \(shopID))
            """, logger: logger)).first
    }

    /// The promotion of `code`, ended or not.
    func find(code: String, logger: Logger) async throws -> PromotionRule? {
        try await Self.decode(client.query("SELECT \(unescaped: Self.columns) FROM promotions WHERE code = \(code)", logger: logger)).first
    }

    /// A page of promotions (newest first), a seller's own only.
    func list(shopID: UUID?, admin: Bool, code: String?, active: Bool?, page: PageRequest, logger: Logger) async throws -> [PromotionRule] {
        let pattern = code.map { LikePattern.containing($0.uppercased()) }
        return try await Self.decode(client.query("""
            SELECT \(unescaped: Self.columns) FROM promotions
            WHERE (\(admin) OR shop_id = \(shopID))
              AND (\(pattern)::text IS NULL OR code LIKE \(pattern))
              AND (\(active)::boolean IS NULL OR \(active) = (deleted_at IS NULL AND starts_at <= now() AND (ends_at IS NULL OR ends_at > now())
                                                           AND (usage_limit IS NULL OR usage_count < usage_limit)))
              AND (\(page.after)::uuid IS NULL OR id < \(page.after))
            ORDER BY id DESC LIMIT \(page.limit + 1)
            """, logger: logger))
    }

    /// Applies `request` to a promotion the caller may manage.
    func update(_ id: UUID, _ request: UpdatePromotionRequest, shopID: UUID?, admin: Bool, logger: Logger) async throws -> PromotionRule? {
        try await client.withTransaction(logger: logger) { [outbox] connection in
            let rows = try await connection.query("""
                UPDATE promotions SET
                    ends_at = coalesce(\(request.endsAt), ends_at), usage_limit = coalesce(\(request.usageLimit), usage_limit),
                    per_customer_limit = coalesce(\(request.perCustomerLimit), per_customer_limit),
                    min_subtotal = coalesce(\(request.minSubtotal?.amount), min_subtotal),
                    max_discount = coalesce(\(request.maxDiscount?.amount), max_discount),
                    vip_only = coalesce(\(request.vipOnly), vip_only), updated_at = now()
                WHERE id = \(id) AND deleted_at IS NULL AND (\(admin) OR shop_id = \(shopID))
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            guard let rule = try await Self.decode(rows).first else { return nil }
            try await outbox.publish(PromotionEvent.changed, PromotionChanged(promotionId: id, code: rule.code), on: connection, logger: logger)
            return rule
        }
    }

    /// Ends a promotion (kept with its usage); `false` when the caller may not see it.
    func delete(_ id: UUID, shopID: UUID?, admin: Bool, logger: Logger) async throws -> Bool {
        try await client.withTransaction(logger: logger) { [outbox] connection in
            let rows = try await connection.query("""
                UPDATE promotions SET deleted_at = coalesce(deleted_at, now()), updated_at = now()
                WHERE id = \(id) AND (\(admin) OR shop_id = \(shopID)) RETURNING code
                """, logger: logger)
            var found: String?
            for try await code in rows.decode(String.self) { found = code }
            guard let code = found else { return false }
            try await outbox.publish(PromotionEvent.changed, PromotionChanged(promotionId: id, code: code), on: connection, logger: logger)
            return true
        }
    }

    // MARK: Redemptions

    /// Uses of `promotionID` by `customerID` that count (not given back).
    func uses(of promotionID: UUID, by customerID: UUID?, logger: Logger) async throws -> Int {
        guard let customerID else { return 0 }
        let rows = try await client.query("""
            SELECT count(*)::int FROM redemptions WHERE promotion_id = \(promotionID) AND customer_id = \(customerID) AND released_at IS NULL
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    /// Counts a use by a paid order. Every redemption of a promotion takes its row lock first, so the
    /// usage limit and the customer's limit hold however many orders are paid at once. The same
    /// order again returns its redemption unchanged.
    func redeem(_ request: RedeemRequest, logger: Logger) async throws -> RedemptionDTO {
        let code = PromotionEvaluation.normalized(request.code)
        return try await client.withTransaction(logger: logger) { connection in
            var found: (id: UUID, usage: Int, limit: Int?, perCustomer: Int?, deleted: Bool)?
            for try await row in try await connection.query("""
                SELECT id, usage_count, usage_limit, per_customer_limit, deleted_at IS NOT NULL FROM promotions WHERE code = \(code) FOR UPDATE
                """, logger: logger).decode((UUID, Int, Int?, Int?, Bool).self) { found = (row.0, row.1, row.2, row.3, row.4) }
            guard let promotion = found else { throw PromotionRefusal.notFound.problem }
            if let existing = try await Self.redemption(promotion.id, order: request.orderId, code: code, on: connection, logger: logger) {
                return existing
            }
            if let limit = promotion.limit, promotion.usage >= limit {
                throw ProblemError.conflict(PromotionRefusal.exhausted.rawValue, "This code has been used up.")
            }
            if let perCustomer = promotion.perCustomer {
                var used = 0
                for try await count in try await connection.query("""
                    SELECT count(*)::int FROM redemptions
                    WHERE promotion_id = \(promotion.id) AND customer_id = \(request.customerId) AND released_at IS NULL
                    """, logger: logger).decode(Int.self) { used = count }
                if used >= perCustomer {
                    throw ProblemError.conflict(PromotionRefusal.customerLimit.rawValue, "The customer has used this code as often as they may.")
                }
            }
            try await connection.query("""
                INSERT INTO redemptions (promotion_id, order_id, customer_id) VALUES (\(promotion.id), \(request.orderId), \(request.customerId))
                """, logger: logger)
            try await connection.query("UPDATE promotions SET usage_count = usage_count + 1 WHERE id = \(promotion.id)", logger: logger)
            guard let created = try await Self.redemption(promotion.id, order: request.orderId, code: code, on: connection, logger: logger) else {
                throw ProblemError(.internalServerError, code: "internal_error")
            }
            return created
        }
    }

    /// Gives back the use `orderID` made; `nil` when it made none.
    func release(orderID: UUID, logger: Logger) async throws -> RedemptionDTO? {
        try await client.withTransaction(logger: logger) { connection in try await Self.release(orderID: orderID, on: connection, logger: logger) }
    }

    static func release(orderID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> RedemptionDTO? {
        var target: (UUID, String)?
        for try await row in try await connection.query("""
            SELECT r.promotion_id, p.code FROM redemptions r JOIN promotions p ON p.id = r.promotion_id
            WHERE r.order_id = \(orderID) FOR UPDATE OF p
            """, logger: logger).decode((UUID, String).self) { target = row }
        guard let (promotionID, code) = target else { return nil }
        var released = false
        for try await _ in try await connection.query("""
            UPDATE redemptions SET released_at = now() WHERE promotion_id = \(promotionID) AND order_id = \(orderID) AND released_at IS NULL
            RETURNING 1
            """, logger: logger) { released = true }
        if released {
            try await connection.query("UPDATE promotions SET usage_count = greatest(usage_count - 1, 0) WHERE id = \(promotionID)", logger: logger)
        }
        return try await Self.redemption(promotionID, order: orderID, code: code, on: connection, logger: logger)
    }

    static func redemption(_ promotionID: UUID, order: UUID, code: String, on connection: PostgresConnection, logger: Logger) async throws -> RedemptionDTO? {
        for try await (customer, released, created) in try await connection.query("""
            SELECT customer_id, released_at, created_at FROM redemptions WHERE promotion_id = \(promotionID) AND order_id = \(order)
            """, logger: logger).decode((UUID, Date?, Date).self) {
            return RedemptionDTO(promotionId: promotionID, code: code, orderId: order, customerId: customer, releasedAt: released, createdAt: created)
        }
        return nil
    }

    /// Keeps the seller → shop directory from `shop.created` / `shop.updated`, and gives back the
    /// use of a cancelled order.
    var subscriptions: [EventSubscription] {
        let cancelled = EventSubscription.on(OrderEvent.cancelled) { event, connection, logger in
            _ = try await Self.release(orderID: event.data.orderId, on: connection, logger: logger)
        }
        return [cancelled] + [ShopEvent.created, ShopEvent.updated].map { type in
            EventSubscription.on(type) { event, connection, logger in
                try await connection.query("""
                    INSERT INTO shops (id, owner_id) VALUES (\(event.data.shopId), \(event.data.ownerId))
                    ON CONFLICT (id) DO UPDATE SET owner_id = EXCLUDED.owner_id
                    """, logger: logger)
            }
        }
    }
}
