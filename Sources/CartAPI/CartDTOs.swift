import Foundation
import PlexusContract

/// A cart as its owner sees it: every price and total computed by the server from the catalogue's
/// current prices.
public struct CartDTO: Codable, Sendable, Equatable {
    /// The cart.
    public var id: UUID
    /// Changes with every write; send it back as `If-Match: "<version>"` to refuse a stale write.
    public var version: Int
    /// The lines, oldest first.
    public var lines: [CartLineDTO]
    /// The promotion applied, if any.
    public var promotion: AppliedPromotionDTO?
    /// The sum of the purchasable lines.
    public var subtotal: Money
    /// The promotion's discount.
    public var discount: Money
    /// What checkout would charge before shipping.
    public var total: Money
    /// Units in the purchasable lines.
    public var itemCount: Int
    /// Whether every line can be bought as it stands.
    public var readyForCheckout: Bool
    /// What the buyer should know about the cart as a whole ("The code SAVE5 no longer applies: …").
    public var notices: [String]
    /// When the cart was made.
    public var createdAt: Date
    /// When it last changed.
    public var updatedAt: Date

    /// Creates the DTO.
    public init(id: UUID, version: Int, lines: [CartLineDTO], promotion: AppliedPromotionDTO?, subtotal: Money, discount: Money, total: Money,
                itemCount: Int, readyForCheckout: Bool, notices: [String] = [], createdAt: Date, updatedAt: Date) {
        self.id = id
        self.version = version
        self.lines = lines
        self.promotion = promotion
        self.subtotal = subtotal
        self.discount = discount
        self.total = total
        self.itemCount = itemCount
        self.readyForCheckout = readyForCheckout
        self.notices = notices
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Whether a line can be bought as it stands.
public enum CartLineAvailability: String, Codable, Sendable, CaseIterable, SchemaEnumeration {
    /// Enough units are available.
    case available
    /// Fewer units are available than the line asks for (`available` says how many).
    case limited
    /// The product was archived or unpublished, the variant removed, or no unit is left.
    case unavailable
}

/// One line of a cart.
public struct CartLineDTO: Codable, Sendable, Equatable {
    /// The line (for `PATCH`/`DELETE /api/v1/cart/items/{lineId}`).
    public var id: UUID
    /// The variant.
    public var variantId: UUID
    /// Its product.
    public var productId: UUID
    /// The product's name (as last known, if the product is gone).
    public var productName: String
    /// The product's slug, when the product still exists.
    public var productSlug: String?
    /// The variant's SKU.
    public var sku: String
    /// The variant's options.
    public var options: [String: String]
    /// The main image's URL.
    public var image: String?
    /// The shop selling it.
    public var shopId: UUID?
    /// The catalogue's unit price now.
    public var unitPrice: Money
    /// Units wanted.
    public var quantity: Int
    /// `unitPrice × quantity`.
    public var lineTotal: Money
    /// Units that can be bought now.
    public var available: Int
    /// Whether the line can be bought as it stands.
    public var availability: CartLineAvailability
    /// The unit price when the line was added, present only when it has changed since.
    public var priceChangedFrom: Money?
    /// What the buyer should know, in words ("Only 2 left.", "No longer available.", "The price
    /// changed from 19.99 to 17.99 since you added it.").
    public var notices: [String]

    /// Creates a line.
    public init(id: UUID, variantId: UUID, productId: UUID, productName: String, productSlug: String?, sku: String, options: [String: String],
                image: String?, shopId: UUID?, unitPrice: Money, quantity: Int, lineTotal: Money, available: Int,
                availability: CartLineAvailability, priceChangedFrom: Money?, notices: [String]) {
        self.id = id
        self.variantId = variantId
        self.productId = productId
        self.productName = productName
        self.productSlug = productSlug
        self.sku = sku
        self.options = options
        self.image = image
        self.shopId = shopId
        self.unitPrice = unitPrice
        self.quantity = quantity
        self.lineTotal = lineTotal
        self.available = available
        self.availability = availability
        self.priceChangedFrom = priceChangedFrom
        self.notices = notices
    }
}

/// A promotion applied to a cart.
public struct AppliedPromotionDTO: Codable, Sendable, Equatable {
    /// The code.
    public var code: String
    /// What it takes off.
    public var discount: Money

    /// Creates it.
    public init(code: String, discount: Money) {
        self.code = code
        self.discount = discount
    }
}

/// `POST /api/v1/cart/items`: add units of a variant (the price is the catalogue's, never the client's).
public struct AddCartItemRequest: Codable, Sendable, Equatable {
    /// The variant.
    public var variantId: UUID
    /// Units to add (1–99; the line never exceeds 99 or what is available).
    public var quantity: Int

    /// Creates the request.
    public init(variantId: UUID, quantity: Int = 1) {
        self.variantId = variantId
        self.quantity = quantity
    }
}

/// `PATCH /api/v1/cart/items/{lineId}`: set a line's quantity.
public struct UpdateCartItemRequest: Codable, Sendable, Equatable {
    /// Units (1–99, within what is available).
    public var quantity: Int

    /// Creates the request.
    public init(quantity: Int) {
        self.quantity = quantity
    }
}

/// `PUT /api/v1/cart/promotion`: apply a code (one per cart; applying another replaces it).
public struct ApplyPromotionRequest: Codable, Sendable, Equatable {
    /// The code (case does not matter).
    public var code: String

    /// Creates the request.
    public init(code: String) {
        self.code = code
    }
}

/// `POST /api/v1/cart/merge`: move a guest cart into the signed-in user's cart.
public struct MergeCartRequest: Codable, Sendable, Equatable {
    /// The guest cart's token (`X-Cart-Token`).
    public var cartToken: String

    /// Creates the request.
    public init(cartToken: String) {
        self.cartToken = cartToken
    }
}

/// `POST /internal/carts/claims` (order): hold a user's cart for one checkout.
public struct ClaimCartRequest: Codable, Sendable, Equatable {
    public var userId: UUID
    /// The order the checkout creates; claiming again for it is harmless.
    public var orderId: UUID

    /// Creates the request.
    public init(userId: UUID, orderId: UUID) {
        self.userId = userId
        self.orderId = orderId
    }
}

/// A line of a claimed cart.
public struct ClaimedLine: Codable, Sendable, Equatable {
    public var variantId: UUID
    public var quantity: Int

    /// Creates the value.
    public init(variantId: UUID, quantity: Int) {
        self.variantId = variantId
        self.quantity = quantity
    }
}

/// What a checkout takes from the cart: its lines and code (prices are the catalogue's, asked again).
public struct CartClaimDTO: Codable, Sendable, Equatable {
    public var cartId: UUID
    public var orderId: UUID
    public var lines: [ClaimedLine]
    public var promotionCode: String?

    /// Creates the value.
    public init(cartId: UUID, orderId: UUID, lines: [ClaimedLine], promotionCode: String?) {
        self.cartId = cartId
        self.orderId = orderId
        self.lines = lines
        self.promotionCode = promotionCode
    }
}
