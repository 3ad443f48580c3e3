import Foundation
import PlexusContract

/// Where an order stands (`pending_payment → paid → shipped → delivered`; `pending_payment → cancelled`;
/// `paid → cancelled → refunded`).
public enum OrderStatus: String, Codable, Sendable, CaseIterable, SchemaEnumeration {
    case pendingPayment = "pending_payment"
    case paid, shipped, delivered, cancelled, refunded
}

/// Where one shop's part of an order stands.
public enum FulfilmentStatus: String, Codable, Sendable, CaseIterable, SchemaEnumeration {
    case pending, shipped, delivered, cancelled
}

/// A shipping address as the order keeps it.
public typealias ShippingAddress = PostalAddress

/// One line of an order: a snapshot taken at checkout.
public struct OrderLineDTO: Codable, Sendable, Equatable {
    public var variantId: UUID
    public var productId: UUID
    public var productName: String
    public var sku: String
    public var options: [String: String]
    public var shopId: UUID
    public var unitPrice: Money
    public var quantity: Int
    /// `unitPrice × quantity`.
    public var lineTotal: Money
    /// This line's share of the promotion's discount.
    public var discount: Money

    /// Creates the value.
    public init(variantId: UUID, productId: UUID, productName: String, sku: String, options: [String: String], shopId: UUID, unitPrice: Money,
                quantity: Int, lineTotal: Money, discount: Money) {
        self.variantId = variantId
        self.productId = productId
        self.productName = productName
        self.sku = sku
        self.options = options
        self.shopId = shopId
        self.unitPrice = unitPrice
        self.quantity = quantity
        self.lineTotal = lineTotal
        self.discount = discount
    }
}

/// One shop's part of an order.
public struct FulfilmentDTO: Codable, Sendable, Equatable {
    public var shopId: UUID
    public var status: FulfilmentStatus
    public var carrier: String?
    public var trackingNumber: String?
    public var shippedAt: Date?
    public var deliveredAt: Date?

    /// Creates the value.
    public init(shopId: UUID, status: FulfilmentStatus, carrier: String? = nil, trackingNumber: String? = nil, shippedAt: Date? = nil,
                deliveredAt: Date? = nil) {
        self.shopId = shopId
        self.status = status
        self.carrier = carrier
        self.trackingNumber = trackingNumber
        self.shippedAt = shippedAt
        self.deliveredAt = deliveredAt
    }
}

/// One recorded transition.
public struct OrderHistoryEntry: Codable, Sendable, Equatable {
    /// The status it moved to.
    public var status: OrderStatus
    public var at: Date
    /// `customer:<id>`, `admin:<id>`, `seller:<id>`, `payment`, `system`.
    public var actor: String
    /// Why (`payment_window_expired`, `shipped by <shop>`, …).
    public var reason: String?

    /// Creates the value.
    public init(status: OrderStatus, at: Date, actor: String, reason: String? = nil) {
        self.status = status
        self.at = at
        self.actor = actor
        self.reason = reason
    }
}

/// An order.
public struct OrderDTO: Codable, Sendable, Equatable {
    public var id: UUID
    /// Human-readable, e.g. `PLX-000123`.
    public var number: String
    public var version: Int
    public var status: OrderStatus
    public var customerId: UUID
    public var lines: [OrderLineDTO]
    public var fulfilments: [FulfilmentDTO]
    public var subtotal: Money
    public var discount: Money
    public var shipping: Money
    public var total: Money
    /// Refunded so far.
    public var refundedAmount: Money
    public var shippingAddress: ShippingAddress
    public var note: String?
    public var promotionCode: String?
    /// The payment (absent while the payment service could not be reached; it opens when it returns).
    public var paymentId: UUID?
    /// When an unpaid order is cancelled.
    public var payBefore: Date?
    public var history: [OrderHistoryEntry]
    public var createdAt: Date
    public var updatedAt: Date

    /// Creates the value.
    public init(id: UUID, number: String, version: Int, status: OrderStatus, customerId: UUID, lines: [OrderLineDTO], fulfilments: [FulfilmentDTO],
                subtotal: Money, discount: Money, shipping: Money, total: Money, refundedAmount: Money, shippingAddress: ShippingAddress,
                note: String?, promotionCode: String?, paymentId: UUID?, payBefore: Date?, history: [OrderHistoryEntry], createdAt: Date, updatedAt: Date) {
        self.id = id
        self.number = number
        self.version = version
        self.status = status
        self.customerId = customerId
        self.lines = lines
        self.fulfilments = fulfilments
        self.subtotal = subtotal
        self.discount = discount
        self.shipping = shipping
        self.total = total
        self.refundedAmount = refundedAmount
        self.shippingAddress = shippingAddress
        self.note = note
        self.promotionCode = promotionCode
        self.paymentId = paymentId
        self.payBefore = payBefore
        self.history = history
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A seller's view of an order: only their lines, their fulfilment and where to ship.
public struct SellerOrderDTO: Codable, Sendable, Equatable {
    public var id: UUID
    public var number: String
    public var status: OrderStatus
    public var lines: [OrderLineDTO]
    public var fulfilment: FulfilmentDTO
    public var shippingAddress: ShippingAddress
    public var createdAt: Date

    /// Creates the value.
    public init(id: UUID, number: String, status: OrderStatus, lines: [OrderLineDTO], fulfilment: FulfilmentDTO, shippingAddress: ShippingAddress,
                createdAt: Date) {
        self.id = id
        self.number = number
        self.status = status
        self.lines = lines
        self.fulfilment = fulfilment
        self.shippingAddress = shippingAddress
        self.createdAt = createdAt
    }
}

/// A line of a "buy now" checkout.
public struct CheckoutItem: Codable, Sendable, Equatable {
    public var variantId: UUID
    /// 1–99.
    public var quantity: Int

    /// Creates the value.
    public init(variantId: UUID, quantity: Int) {
        self.variantId = variantId
        self.quantity = quantity
    }
}

/// `POST /api/v1/orders/checkout`: the cart (or `items`, "buy now") becomes an order.
public struct CheckoutRequest: Codable, Sendable, Equatable {
    /// An address from the caller's address book…
    public var shippingAddressId: UUID?
    /// …or one given here.
    public var shippingAddress: ShippingAddress?
    /// A note for the sellers (at most 500 characters).
    public var note: String?
    /// "Buy now": these lines instead of the cart (which stays as it is).
    public var items: [CheckoutItem]?
    /// Where the hosted payment page sends the customer afterwards (http or https).
    public var returnUrl: String?

    /// Creates the request.
    public init(shippingAddressId: UUID? = nil, shippingAddress: ShippingAddress? = nil, note: String? = nil, items: [CheckoutItem]? = nil,
                returnUrl: String? = nil) {
        self.shippingAddressId = shippingAddressId
        self.shippingAddress = shippingAddress
        self.note = note
        self.items = items
        self.returnUrl = returnUrl
    }
}

/// The payment a checkout opened.
public struct CheckoutPayment: Codable, Sendable, Equatable {
    public var id: UUID
    /// `requires_confirmation` for a new payment.
    public var status: String
    public var amount: Money
    public var clientSecret: String?
    /// The hosted payment page.
    public var payUrl: String?

    /// Creates the value.
    public init(id: UUID, status: String, amount: Money, clientSecret: String?, payUrl: String?) {
        self.id = id
        self.status = status
        self.amount = amount
        self.clientSecret = clientSecret
        self.payUrl = payUrl
    }
}

/// What a checkout answers.
public struct CheckoutResult: Codable, Sendable, Equatable {
    public var order: OrderDTO
    /// `null` when the payment service could not be reached: the order waits in `pending_payment`
    /// and its payment opens when the service returns (`paymentId` on the order).
    public var payment: CheckoutPayment?

    /// Creates the value.
    public init(order: OrderDTO, payment: CheckoutPayment?) {
        self.order = order
        self.payment = payment
    }
}

/// `POST /api/v1/orders/{id}/ship`.
public struct ShipRequest: Codable, Sendable, Equatable {
    /// The carrier (1–60 characters).
    public var carrier: String
    /// The tracking number (1–100 characters).
    public var trackingNumber: String
    /// Which shop's part (admins only; a seller ships their own).
    public var shopId: UUID?

    /// Creates the request.
    public init(carrier: String, trackingNumber: String, shopId: UUID? = nil) {
        self.carrier = carrier
        self.trackingNumber = trackingNumber
        self.shopId = shopId
    }
}

/// `POST /api/v1/orders/{id}/deliver`.
public struct DeliverRequest: Codable, Sendable, Equatable {
    /// Which shop's part (admins only).
    public var shopId: UUID?

    /// Creates the request.
    public init(shopId: UUID? = nil) {
        self.shopId = shopId
    }
}

/// A line as order events carry it.
public struct OrderEventLine: Codable, Sendable, Equatable {
    public var variantId: UUID
    public var productId: UUID
    public var productName: String
    public var shopId: UUID
    public var quantity: Int
    public var unitPrice: Money
    /// After the line's discount.
    public var netTotal: Money

    /// Creates the value.
    public init(variantId: UUID, productId: UUID, productName: String, shopId: UUID, quantity: Int, unitPrice: Money, netTotal: Money) {
        self.variantId = variantId
        self.productId = productId
        self.productName = productName
        self.shopId = shopId
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.netTotal = netTotal
    }
}

/// `order.placed`, `order.paid`, `order.delivered`, `order.cancelled`: the order as consumers need it.
public struct OrderEventData: Codable, Sendable, Equatable {
    public var orderId: UUID
    public var number: String
    public var customerId: UUID
    public var status: OrderStatus
    public var lines: [OrderEventLine]
    public var subtotal: Money
    public var discount: Money
    public var shipping: Money
    public var total: Money
    public var promotionCode: String?
    /// Why, for `order.cancelled`.
    public var reason: String?
    /// Whether its payment had been captured (a cancelled paid order is refunded).
    public var wasPaid: Bool
    /// When it happened.
    public var at: Date

    /// Creates the value.
    public init(orderId: UUID, number: String, customerId: UUID, status: OrderStatus, lines: [OrderEventLine], subtotal: Money, discount: Money,
                shipping: Money, total: Money, promotionCode: String?, reason: String?, wasPaid: Bool = false, at: Date) {
        self.wasPaid = wasPaid
        self.orderId = orderId
        self.number = number
        self.customerId = customerId
        self.status = status
        self.lines = lines
        self.subtotal = subtotal
        self.discount = discount
        self.shipping = shipping
        self.total = total
        self.promotionCode = promotionCode
        self.reason = reason
        self.at = at
    }
}

/// `order.fulfilment_shipped`.
public struct FulfilmentShipped: Codable, Sendable, Equatable {
    public var orderId: UUID
    public var number: String
    public var customerId: UUID
    public var shopId: UUID
    public var carrier: String
    public var trackingNumber: String
    /// The lines of this shop's part.
    public var lines: [OrderEventLine]
    public var at: Date

    /// Creates the value.
    public init(orderId: UUID, number: String, customerId: UUID, shopId: UUID, carrier: String, trackingNumber: String, lines: [OrderEventLine], at: Date) {
        self.orderId = orderId
        self.number = number
        self.customerId = customerId
        self.shopId = shopId
        self.carrier = carrier
        self.trackingNumber = trackingNumber
        self.lines = lines
        self.at = at
    }
}
