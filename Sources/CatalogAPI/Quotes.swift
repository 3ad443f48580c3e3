import Foundation
import PlexusContract

/// `POST /internal/variants/quote`: the catalogue's current facts about some variants, for a cart
/// or an order to price (prices are always the catalogue's).
public struct QuoteRequest: Codable, Sendable, Equatable {
    /// The variants (1…100, duplicates ignored).
    public var variantIds: [UUID]

    /// Creates the request.
    public init(variantIds: [UUID]) {
        self.variantIds = variantIds
    }
}

/// One variant as a buyer sees it now.
public struct VariantQuote: Codable, Sendable, Equatable {
    /// The variant.
    public var variantId: UUID
    /// Its product.
    public var productId: UUID
    /// The product's name.
    public var productName: String
    /// The product's slug.
    public var productSlug: String
    /// The variant's SKU.
    public var sku: String
    /// The variant's options (`{"size": "M"}`).
    public var options: [String: String]
    /// The shop selling it.
    public var shopId: UUID
    /// The shop's owner, when the catalogue knows the shop.
    public var shopOwnerId: UUID?
    /// The product's category and every ancestor of it, nearest first.
    public var categoryIds: [UUID]
    /// The main image's URL.
    public var image: String?
    /// The unit price now.
    public var unitPrice: Money
    /// Units that can be bought now (on hand minus reserved).
    public var available: Int
    /// The product's status; only `published` products can be bought.
    public var status: ProductStatus

    /// Creates a quote.
    public init(variantId: UUID, productId: UUID, productName: String, productSlug: String, sku: String, options: [String: String],
                shopId: UUID, shopOwnerId: UUID?, categoryIds: [UUID], image: String?, unitPrice: Money, available: Int, status: ProductStatus) {
        self.variantId = variantId
        self.productId = productId
        self.productName = productName
        self.productSlug = productSlug
        self.sku = sku
        self.options = options
        self.shopId = shopId
        self.shopOwnerId = shopOwnerId
        self.categoryIds = categoryIds
        self.image = image
        self.unitPrice = unitPrice
        self.available = available
        self.status = status
    }

    /// Whether it can be bought at all (published; stock aside).
    public var isPurchasable: Bool { status == .published }
}

/// The answer: one quote per variant that exists (a deleted variant is simply absent).
public struct QuoteList: Codable, Sendable, Equatable {
    /// The quotes.
    public var items: [VariantQuote]

    /// Creates the list.
    public init(items: [VariantQuote]) {
        self.items = items
    }
}
