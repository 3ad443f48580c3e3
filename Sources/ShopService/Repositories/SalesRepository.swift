import Foundation
import Logging
import OrderAPI
import PlexusKit
import PostgresNIO
import ShopAPI

/// Reads the sales projection (paid order lines of a shop).
struct SalesRepository: Sendable {
    let client: DatabaseClient
    let currency: String

    func report(shopID: UUID, period: SalesPeriod, logger: Logger) async throws -> SalesReportDTO {
        let start = period.from
        let end = SalesPeriod.calendar.date(byAdding: .day, value: 1, to: period.to)!
        var days: [SalesReportDTO.Day] = []
        let dayRows = try await client.query("""
            SELECT to_char(paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), sum(revenue)::bigint, count(DISTINCT order_id)::int, sum(quantity)::int
            FROM sales_lines WHERE shop_id = \(shopID) AND paid_at >= \(start) AND paid_at < \(end) AND currency = \(currency)
            GROUP BY 1 ORDER BY 1
            """, logger: logger)
        for try await (day, revenue, orders, units) in dayRows.decode((String, Int, Int, Int).self) {
            days.append(.init(date: day, revenue: Money(amount: revenue, currency: currency), orders: orders, units: units))
        }
        var top: [SalesReportDTO.TopProduct] = []
        let topRows = try await client.query("""
            SELECT product_id, (array_agg(product_name ORDER BY paid_at DESC))[1], sum(quantity)::int, sum(revenue)::bigint
            FROM sales_lines WHERE shop_id = \(shopID) AND paid_at >= \(start) AND paid_at < \(end) AND currency = \(currency)
            GROUP BY product_id ORDER BY 3 DESC, 4 DESC LIMIT 10
            """, logger: logger)
        for try await (product, name, quantity, amount) in topRows.decode((UUID, String, Int, Int).self) {
            top.append(.init(productId: product, productName: name, units: quantity, revenue: Money(amount: amount, currency: currency)))
        }
        // Totals are the days' sums: an order is paid at one moment, so it falls on exactly one day
        // and the per-day distinct order counts add up to the period's.
        return SalesReportDTO(from: SalesPeriod.format(period.from), to: SalesPeriod.format(period.to),
                              revenue: Money(amount: days.reduce(0) { $0 + $1.revenue.amount }, currency: currency),
                              orders: days.reduce(0) { $0 + $1.orders }, units: days.reduce(0) { $0 + $1.units }, days: days, topProducts: top)
    }

    /// The projection: a paid order's lines become sales of their shops; a paid order that is
    /// cancelled (and refunded) is no sale any more.
    static var subscriptions: [EventSubscription] {
        [
            .on(OrderEvent.paid) { event, connection, logger in
                for line in event.data.lines {
                    try await connection.query("""
                        INSERT INTO sales_lines (order_id, variant_id, shop_id, product_id, product_name, quantity, revenue, currency, paid_at)
                        VALUES (\(event.data.orderId), \(line.variantId), \(line.shopId), \(line.productId), \(line.productName), \(line.quantity),
                                \(line.netTotal.amount), \(line.netTotal.currency), \(event.data.at))
                        ON CONFLICT (order_id, variant_id) DO NOTHING
                        """, logger: logger)
                }
            },
            .on(OrderEvent.cancelled) { event, connection, logger in
                try await connection.query("DELETE FROM sales_lines WHERE order_id = \(event.data.orderId)", logger: logger)
            },
        ]
    }
}
