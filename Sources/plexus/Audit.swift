import ArgumentParser
import Foundation
import Logging
import PlexusKit
import PostgresNIO

/// `plexus audit`: checks that stock, money, coupon uses and memberships add up across the
/// catalogue, order, payment, promotion and identity databases, prints every discrepancy and exits with 1 if there is one.
///
/// It reads the services' databases directly (read-only, like a backup would): the invariants
/// span services, and asking each service's API would audit the services with themselves.
/// Changes still settling (an event on its way) are given `--settle` seconds before they count.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check that stock, money, coupon uses and memberships add up across services (exit 1 on any discrepancy).")

    @Option(help: "Seconds a change may take to reach every service before a difference counts.") var settle: Int = 60

    func run() async throws {
        let reader = ConfigReader()
        let logger = bootstrapLogging(reader: reader, service: .gateway)
        let report = try await Auditor(settle: settle, logger: logger).run(
            catalog: try databaseURL(for: .catalog, reader: reader), orders: try databaseURL(for: .order, reader: reader),
            payments: try databaseURL(for: .payment, reader: reader), promotions: try databaseURL(for: .promotion, reader: reader),
            identity: try databaseURL(for: .identity, reader: reader))
        for line in report.discrepancies { print("✗ " + line) }
        print(report.summary)
        if !report.discrepancies.isEmpty { throw ExitCode(1) }
    }
}

/// The audit's checks.
struct Auditor: Sendable {
    let settle: Int
    let logger: Logger

    struct Report {
        var discrepancies: [String] = []
        var summary = ""
    }

    struct OrderFacts: Sendable {
        var number: String
        var status: String
        var total: Int
        var promotionCode: String?
        var settled: Bool
    }

    func run(catalog: DatabaseURL, orders: DatabaseURL, payments: DatabaseURL, promotions: DatabaseURL, identity: DatabaseURL) async throws -> Report {
        let settledBefore = Date().addingTimeInterval(-Double(settle))
        let known = try await read(orders) { client in try await orderFacts(client, settledBefore: settledBefore) }
        let (stock, variants) = try await read(catalog) { client in try await auditStock(client, known: known, settledBefore: settledBefore) }
        let (money, paymentCount) = try await read(payments) { client in try await auditMoney(client, known: known, settledBefore: settledBefore) }
        let (coupons, codes) = try await read(promotions) { client in try await auditCoupons(client, known: known) }
        let vip = try await read(identity) { client in
            var members = Set<UUID>()
            for try await id in try await client.query("SELECT id FROM users WHERE 'vip' = ANY(roles)", logger: logger).decode(UUID.self) { members.insert(id) }
            return members
        }
        let (members, memberships) = try await read(payments) { client in try await auditMemberships(client, vip: vip, settledBefore: settledBefore) }
        var report = Report(discrepancies: stock + money + coupons + members)
        report.summary = report.discrepancies.isEmpty
            ? "audit clean: \(variants) variants, \(known.count) orders, \(paymentCount) payments, \(codes) promotions, \(memberships) memberships"
            : "\(report.discrepancies.count) discrepancies"
        return report
    }

    static let sold: Set<String> = ["paid", "shipped", "delivered"]
    static let live: Set<String> = ["placing", "pending_payment"]

    /// Status, total and code of every order that left the checkout.
    func orderFacts(_ client: DatabaseClient, settledBefore: Date) async throws -> [UUID: OrderFacts] {
        var known: [UUID: OrderFacts] = [:]
        for try await (id, number, status, total, code, updated) in try await client.query("""
            SELECT id, number, status, total, promotion_code, updated_at FROM orders
            """, logger: logger).decode((UUID, String, String, Int, String?, Date).self) {
            known[id] = OrderFacts(number: number, status: status, total: total, promotionCode: code, settled: updated < settledBefore)
        }
        return known
    }

    static func label(_ id: UUID, _ known: [UUID: OrderFacts]) -> String {
        known[id].map { "\($0.number) (\($0.status))" } ?? "order \(id.uuidString.lowercased())"
    }

    /// Every variant's reserved units are exactly its live holds and never above what is on hand;
    /// held stock belongs to an order waiting for its payment, sold stock to a paid one; each
    /// product's sold counter is its sold units.
    func auditStock(_ client: DatabaseClient, known: [UUID: OrderFacts], settledBefore: Date) async throws -> ([String], Int) {
        var found: [String] = []
        var variants = 0
        for try await (id, sku, onHand, reserved, held) in try await client.query("""
            SELECT v.id, v.sku, v.on_hand, v.reserved,
                   coalesce((SELECT sum(l.quantity) FROM reservation_lines l JOIN reservations r ON r.order_id = l.order_id
                             WHERE l.variant_id = v.id AND r.status = 'reserved'), 0)::int
            FROM variants v
            """, logger: logger).decode((UUID, String, Int, Int, Int).self) {
            variants += 1
            if reserved != held { found.append("stock: variant \(sku) (\(id.uuidString.lowercased())) has \(reserved) reserved but its holds add up to \(held)") }
            if reserved < 0 || reserved > onHand || onHand < 0 { found.append("stock: variant \(sku) has \(reserved) reserved of \(onHand) on hand (oversold)") }
        }
        var reservations: [UUID: String] = [:]
        for try await (order, status, updated) in try await client.query("SELECT order_id, status, updated_at FROM reservations", logger: logger)
            .decode((UUID, String, Date).self) {
            reservations[order] = status
            guard updated < settledBefore else { continue }
            let orderStatus = known[order]?.status
            if status == "reserved", orderStatus.map({ !Self.live.contains($0) }) ?? true {
                found.append("stock: \(Self.label(order, known)) still holds stock")
            }
            if status == "committed", orderStatus.map({ !Self.sold.contains($0) }) ?? true {
                found.append("stock: \(Self.label(order, known)) has sold stock but is not paid")
            }
        }
        for (id, facts) in known where Self.sold.contains(facts.status) && facts.settled && reservations[id] != "committed" {
            found.append("stock: \(facts.number) is \(facts.status) but its stock is \(reservations[id] ?? "not reserved")")
        }
        for try await (name, counted, committed) in try await client.query("""
            SELECT p.name, p.sold_count, coalesce((SELECT sum(l.quantity) FROM reservation_lines l JOIN reservations r ON r.order_id = l.order_id
                                                  WHERE l.product_id = p.id AND r.status = 'committed'), 0)::bigint
            FROM products p
            """, logger: logger).decode((String, Int, Int).self) where counted != committed {
            found.append("stock: product \(name) counts \(counted) sold but \(committed) units were sold")
        }
        return (found, variants)
    }

    /// A paid order captured its total; a cancelled one got everything back; nothing is captured
    /// without an order; refunds never exceed the capture and match their records.
    func auditMoney(_ client: DatabaseClient, known: [UUID: OrderFacts], settledBefore: Date) async throws -> ([String], Int) {
        var found: [String] = []
        var count = 0
        for try await (id, order, status, amount, captured, refunded, refundRows, updated) in try await client.query("""
            SELECT p.id, p.order_id, p.status, p.amount, p.captured, p.refunded,
                   coalesce((SELECT sum(amount) FROM refunds r WHERE r.payment_id = p.id), 0)::bigint, p.updated_at
            FROM payments p
            """, logger: logger).decode((UUID, UUID, String, Int, Int, Int, Int, Date).self) {
            count += 1
            let payment = "payment \(id.uuidString.lowercased())"
            if refunded > captured { found.append("money: \(payment) refunded \(refunded), more than the \(captured) captured") }
            if refunded != refundRows { found.append("money: \(payment) records \(refunded) refunded but its refunds add up to \(refundRows)") }
            guard let facts = known[order] else {
                if captured > 0 { found.append("money: \(payment) captured \(captured) for \(Self.label(order, known)), which does not exist") }
                continue
            }
            if amount != facts.total { found.append("money: \(payment) is for \(amount) but \(facts.number) totals \(facts.total)") }
            guard updated < settledBefore && facts.settled else { continue }
            if Self.sold.contains(facts.status) && captured != facts.total {
                found.append("money: \(facts.number) is \(facts.status) but \(captured) of \(facts.total) was captured (\(status))")
            }
            if ["cancelled", "refunded"].contains(facts.status) && captured != refunded {
                found.append("money: \(facts.number) is \(facts.status) but keeps \(captured - refunded) of the customer's money")
            }
            if Self.live.contains(facts.status) && captured > 0 { found.append("money: \(facts.number) is \(facts.status) though \(captured) was captured") }
        }
        return (found, count)
    }

    /// A code's use count is its redemptions not given back, each held by an order still alive
    /// (the checkout takes the use; a cancellation gives it back).
    func auditCoupons(_ client: DatabaseClient, known: [UUID: OrderFacts]) async throws -> ([String], Int) {
        var found: [String] = []
        var count = 0
        for try await (code, usage, redeemed) in try await client.query("""
            SELECT p.code, p.usage_count, (SELECT count(*) FROM redemptions r WHERE r.promotion_id = p.id AND r.released_at IS NULL)::int
            FROM promotions p
            """, logger: logger).decode((String, Int, Int).self) {
            count += 1
            if usage != redeemed { found.append("coupons: \(code) counts \(usage) uses but \(redeemed) orders hold one") }
        }
        var holding = Set<UUID>()
        for try await (code, order, released) in try await client.query("""
            SELECT p.code, r.order_id, r.released_at IS NOT NULL FROM redemptions r JOIN promotions p ON p.id = r.promotion_id
            """, logger: logger).decode((String, UUID, Bool).self) {
            if !released { holding.insert(order) }
            guard let facts = known[order], facts.settled else { continue }
            let alive = Self.live.contains(facts.status) || Self.sold.contains(facts.status)
            if alive && released { found.append("coupons: \(facts.number) uses \(code) but the use was given back") }
            if !alive && !released { found.append("coupons: \(facts.number) is \(facts.status) but still counts as a use of \(code)") }
        }
        for (id, facts) in known where facts.settled && facts.promotionCode != nil && !holding.contains(id)
            && (Self.live.contains(facts.status) || Self.sold.contains(facts.status)) && facts.status != "placing" {
            found.append("coupons: \(facts.number) uses \(facts.promotionCode ?? "") but holds no use of it")
        }
        return (found, count)
    }

    /// A membership's paid periods are its receipts; a current member is VIP at identity; a renewal
    /// is not left overdue (the billing job looks every minute).
    func auditMemberships(_ client: DatabaseClient, vip: Set<UUID>, settledBefore: Date) async throws -> ([String], Int) {
        var found: [String] = []
        var count = 0
        for try await (id, user, status, paid, receipts, next, cancelling, updated) in try await client.query("""
            SELECT m.id, m.user_id, m.status, m.periods_paid,
                   (SELECT count(*) FROM membership_charges c WHERE c.membership_id = m.id AND c.status = 'succeeded')::int,
                   m.next_attempt_at, m.cancel_at_period_end, m.updated_at
            FROM memberships m
            """, logger: logger).decode((UUID, UUID, String, Int, Int, Date?, Bool, Date).self) {
            count += 1
            let membership = "membership \(id.uuidString.lowercased())"
            if paid != receipts { found.append("memberships: \(membership) counts \(paid) paid periods but has \(receipts) successful charges") }
            guard updated < settledBefore else { continue }
            if ["active", "past_due"].contains(status) && !vip.contains(user) {
                found.append("memberships: \(membership) is \(status) but its member \(user.uuidString.lowercased()) is not VIP")
            }
            if status == "active", !cancelling, let next, next < settledBefore.addingTimeInterval(-300) {
                found.append("memberships: \(membership) was due for billing at \(next) and is still waiting")
            }
        }
        return (found, count)
    }

    func read<T: Sendable>(_ url: DatabaseURL, _ body: @escaping @Sendable (DatabaseClient) async throws -> T) async throws -> T {
        try await url.makeClient(maxConnections: 1, logger: logger).withRunning { client in try await body(client) }
    }
}
