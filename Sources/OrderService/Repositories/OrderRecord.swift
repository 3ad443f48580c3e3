import Foundation
import OrderAPI
import PlexusKit
import PostgresNIO

/// A stored line with what only the order service keeps (the shop's owner).
struct StoredLine: Sendable {
    var line: OrderLineDTO
    var shopOwnerID: UUID?
}

/// A stored fulfilment.
struct StoredFulfilment: Sendable {
    var dto: FulfilmentDTO
    var shopOwnerID: UUID?
}

/// An order as stored, saga fields included.
struct OrderRecord: Sendable {
    var id: UUID
    var number: String
    var customerID: UUID
    var status: String
    var sagaStep: String
    var source: String
    var requestedItems: [CheckoutItem]?
    var vip: Bool
    var version: Int
    var currency: String
    var subtotal: Int
    var discount: Int
    var shipping: Int
    var total: Int
    var captured: Int
    var refunded: Int
    var shippingAddress: ShippingAddress
    var note: String?
    var promotionCode: String?
    var paymentID: UUID?
    var returnURL: String?
    var payBefore: Date?
    var createdAt: Date
    var updatedAt: Date
    var lines: [StoredLine] = []
    var fulfilments: [StoredFulfilment] = []
    var history: [OrderHistoryEntry] = []

    static let columns = """
        o.id, o.number, o.customer_id, o.status, o.saga_step, o.source, o.requested_items::text, o.vip, o.version, o.currency, o.subtotal,
        o.discount, o.shipping, o.total, o.captured, o.refunded, o.shipping_address::text, o.note, o.promotion_code, o.payment_id, o.return_url,
        o.pay_before, o.created_at, o.updated_at
        """

    init(row: PostgresRow) throws {
        let (id, number, customer, status, step, source, items, vip, version, currency, subtotal, discount, shipping, total, captured, refunded,
             address, note, code, payment, returnURL, payBefore, created, updated)
            = try row.decode((UUID, String, UUID, String, String, String, String?, Bool, Int, String, Int, Int, Int, Int, Int, Int,
                              String, String?, String?, UUID?, String?, Date?, Date, Date).self)
        self.id = id
        self.number = number
        self.customerID = customer
        self.status = status
        self.sagaStep = step
        self.source = source
        self.requestedItems = try items.map { try JSON.decoder.decode([CheckoutItem].self, from: Data($0.utf8)) }
        self.vip = vip
        self.version = version
        self.currency = currency
        self.subtotal = subtotal
        self.discount = discount
        self.shipping = shipping
        self.total = total
        self.captured = captured
        self.refunded = refunded
        self.shippingAddress = try JSON.decoder.decode(ShippingAddress.self, from: Data(address.utf8))
        self.note = note
        self.promotionCode = code
        self.paymentID = payment
        self.returnURL = returnURL
        self.payBefore = payBefore
        self.createdAt = created
        self.updatedAt = updated
    }

    /// The public status; `nil` while placing or after a failed checkout.
    var orderStatus: OrderStatus? { OrderStatus(rawValue: status) }

    /// The machine's view.
    var machineState: OrderMachine.State? {
        orderStatus.map { status in
            OrderMachine.State(status: status, fulfilments: Dictionary(fulfilments.map { ($0.dto.shopId, $0.dto.status) }, uniquingKeysWith: { a, _ in a }))
        }
    }

    func money(_ amount: Int) -> Money { Money(amount: amount, currency: currency) }

    var dto: OrderDTO {
        OrderDTO(id: id, number: number, version: version, status: orderStatus ?? .pendingPayment, customerId: customerID, lines: lines.map(\.line),
                 fulfilments: fulfilments.map(\.dto), subtotal: money(subtotal), discount: money(discount), shipping: money(shipping),
                 total: money(total), refundedAmount: money(refunded), shippingAddress: shippingAddress, note: note, promotionCode: promotionCode,
                 paymentId: paymentID, payBefore: orderStatus == .pendingPayment ? payBefore : nil, history: history, createdAt: createdAt,
                 updatedAt: updatedAt)
    }

    /// The payload of order events.
    func event(reason: String? = nil) -> OrderEventData {
        OrderEventData(orderId: id, number: number, customerId: customerID, status: orderStatus ?? .pendingPayment,
                       lines: lines.map { stored in
                           let line = stored.line
                           return OrderEventLine(variantId: line.variantId, productId: line.productId, productName: line.productName,
                                                 shopId: line.shopId, quantity: line.quantity, unitPrice: line.unitPrice,
                                                 netTotal: money(line.lineTotal.amount - line.discount.amount))
                       },
                       subtotal: money(subtotal), discount: money(discount), shipping: money(shipping), total: money(total),
                       promotionCode: promotionCode, reason: reason, wasPaid: captured > 0, at: Date())
    }
}
