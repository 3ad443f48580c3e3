import Foundation
import PlexusContract

/// How a promotion takes money off.
public enum PromotionKind: String, Codable, Sendable, CaseIterable, SchemaEnumeration {
    /// A percentage of the eligible lines (1–100), optionally capped by `maxDiscount`.
    case percentage
    /// A fixed amount, spread over the eligible lines by their own amounts.
    case fixed
}

/// A promotion (a coupon code and its rules).
public struct PromotionDTO: Codable, Sendable, Equatable {
    public var id: UUID
    /// The code buyers type, upper case.
    public var code: String
    public var kind: PromotionKind
    /// For `percentage`: 1–100.
    public var percentage: Int?
    /// For `fixed`: the amount.
    public var amount: Money?
    /// The most a `percentage` promotion takes off.
    public var maxDiscount: Money?
    /// The eligible lines must add up to at least this.
    public var minSubtotal: Money?
    public var startsAt: Date
    public var endsAt: Date?
    /// Redemptions allowed in all (paid orders).
    public var usageLimit: Int?
    /// Redemptions allowed per customer.
    public var perCustomerLimit: Int?
    /// Only these products are eligible (with the other filters).
    public var productIds: [UUID]?
    /// Only these shops' products are eligible.
    public var shopIds: [UUID]?
    /// Only products in these categories (or below them) are eligible.
    public var categoryIds: [UUID]?
    /// Only customers with the `vip` role may use it.
    public var vipOnly: Bool
    /// For a seller's promotion: the seller's shop (it applies to that shop's products only).
    public var shopId: UUID?
    /// Redemptions so far.
    public var usageCount: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: UUID, code: String, kind: PromotionKind, percentage: Int?, amount: Money?, maxDiscount: Money?, minSubtotal: Money?,
                startsAt: Date, endsAt: Date?, usageLimit: Int?, perCustomerLimit: Int?, productIds: [UUID]?, shopIds: [UUID]?,
                categoryIds: [UUID]?, vipOnly: Bool, shopId: UUID?, usageCount: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.code = code
        self.kind = kind
        self.percentage = percentage
        self.amount = amount
        self.maxDiscount = maxDiscount
        self.minSubtotal = minSubtotal
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.usageLimit = usageLimit
        self.perCustomerLimit = perCustomerLimit
        self.productIds = productIds
        self.shopIds = shopIds
        self.categoryIds = categoryIds
        self.vipOnly = vipOnly
        self.shopId = shopId
        self.usageCount = usageCount
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// `POST /api/v1/promotions`.
public struct CreatePromotionRequest: Codable, Sendable, Equatable {
    public var code: String
    public var kind: PromotionKind
    public var percentage: Int?
    public var amount: Money?
    public var maxDiscount: Money?
    public var minSubtotal: Money?
    /// Now when absent.
    public var startsAt: Date?
    public var endsAt: Date?
    public var usageLimit: Int?
    public var perCustomerLimit: Int?
    public var productIds: [UUID]?
    public var shopIds: [UUID]?
    public var categoryIds: [UUID]?
    public var vipOnly: Bool?

    public init(code: String, kind: PromotionKind, percentage: Int? = nil, amount: Money? = nil, maxDiscount: Money? = nil, minSubtotal: Money? = nil,
                startsAt: Date? = nil, endsAt: Date? = nil, usageLimit: Int? = nil, perCustomerLimit: Int? = nil, productIds: [UUID]? = nil,
                shopIds: [UUID]? = nil, categoryIds: [UUID]? = nil, vipOnly: Bool? = nil) {
        self.code = code
        self.kind = kind
        self.percentage = percentage
        self.amount = amount
        self.maxDiscount = maxDiscount
        self.minSubtotal = minSubtotal
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.usageLimit = usageLimit
        self.perCustomerLimit = perCustomerLimit
        self.productIds = productIds
        self.shopIds = shopIds
        self.categoryIds = categoryIds
        self.vipOnly = vipOnly
    }
}

/// `PATCH /api/v1/promotions/{id}`: the fields given change (the code and kind stay).
public struct UpdatePromotionRequest: Codable, Sendable, Equatable {
    public var endsAt: Date?
    public var usageLimit: Int?
    public var perCustomerLimit: Int?
    public var minSubtotal: Money?
    public var maxDiscount: Money?
    public var vipOnly: Bool?

    public init(endsAt: Date? = nil, usageLimit: Int? = nil, perCustomerLimit: Int? = nil, minSubtotal: Money? = nil, maxDiscount: Money? = nil,
                vipOnly: Bool? = nil) {
        self.endsAt = endsAt
        self.usageLimit = usageLimit
        self.perCustomerLimit = perCustomerLimit
        self.minSubtotal = minSubtotal
        self.maxDiscount = maxDiscount
        self.vipOnly = vipOnly
    }
}

/// A line as the promotion service judges it (facts from the catalogue, passed by the caller).
public struct EvaluationLine: Codable, Sendable, Equatable {
    public var variantId: UUID
    public var productId: UUID
    public var shopId: UUID
    /// The product's category and its ancestors.
    public var categoryIds: [UUID]
    /// Unit price × quantity, as charged.
    public var amount: Money

    public init(variantId: UUID, productId: UUID, shopId: UUID, categoryIds: [UUID], amount: Money) {
        self.variantId = variantId
        self.productId = productId
        self.shopId = shopId
        self.categoryIds = categoryIds
        self.amount = amount
    }
}

/// `POST /internal/promotions/evaluate`: what `code` takes off these lines for this customer.
public struct EvaluationRequest: Codable, Sendable, Equatable {
    public var code: String
    /// The customer (absent for a guest: per-customer limits and VIP codes then do not apply).
    public var customerId: UUID?
    /// Whether the customer's verified token carries the `vip` role.
    public var vip: Bool
    public var lines: [EvaluationLine]

    public init(code: String, customerId: UUID?, vip: Bool, lines: [EvaluationLine]) {
        self.code = code
        self.customerId = customerId
        self.vip = vip
        self.lines = lines
    }
}

/// The discount of one line.
public struct LineDiscount: Codable, Sendable, Equatable {
    public var variantId: UUID
    public var discount: Money

    public init(variantId: UUID, discount: Money) {
        self.variantId = variantId
        self.discount = discount
    }
}

/// What a code takes off: in all, and per eligible line (the parts add up to the whole).
public struct EvaluationResult: Codable, Sendable, Equatable {
    public var promotionId: UUID
    public var code: String
    public var discount: Money
    public var lines: [LineDiscount]

    public init(promotionId: UUID, code: String, discount: Money, lines: [LineDiscount]) {
        self.promotionId = promotionId
        self.code = code
        self.discount = discount
        self.lines = lines
    }
}

/// `POST /internal/promotions/redemptions`: count one use of a code by a paid order.
public struct RedeemRequest: Codable, Sendable, Equatable {
    public var code: String
    public var orderId: UUID
    public var customerId: UUID

    public init(code: String, orderId: UUID, customerId: UUID) {
        self.code = code
        self.orderId = orderId
        self.customerId = customerId
    }
}

/// A counted use of a promotion.
public struct RedemptionDTO: Codable, Sendable, Equatable {
    public var promotionId: UUID
    public var code: String
    public var orderId: UUID
    public var customerId: UUID
    /// Set when the order was cancelled and the use given back.
    public var releasedAt: Date?
    public var createdAt: Date

    public init(promotionId: UUID, code: String, orderId: UUID, customerId: UUID, releasedAt: Date?, createdAt: Date) {
        self.promotionId = promotionId
        self.code = code
        self.orderId = orderId
        self.customerId = customerId
        self.releasedAt = releasedAt
        self.createdAt = createdAt
    }
}
