import Foundation
import PlexusContract

/// A variant in `POST /api/v1/products` and `POST /api/v1/products/{id}/variants`.
public struct CreateVariantRequest: Codable, Sendable {
    /// Stock-keeping unit: 1–64 of letters, digits, `.`, `_`, `-`; unique.
    public var sku: String
    /// Option values (up to 10).
    public var options: [String: String]?
    /// Price (≥ 0, the catalogue's currency).
    public var price: Money
    /// Optional "was" price (≥ price).
    public var compareAtPrice: Money?
    /// Initial units on hand (0 by default).
    public var stock: Int?

    /// Creates the request.
    public init(sku: String, options: [String: String]? = nil, price: Money, compareAtPrice: Money? = nil, stock: Int? = nil) {
        self.sku = sku
        self.options = options
        self.price = price
        self.compareAtPrice = compareAtPrice
        self.stock = stock
    }
}

/// `POST /api/v1/products`.
public struct CreateProductRequest: Codable, Sendable {
    /// Name (1–200 characters).
    public var name: String
    /// Description (up to 20,000 characters).
    public var description: String?
    /// Its category.
    public var categoryId: UUID
    /// `draft` (default) or `published`.
    public var status: ProductStatus?
    /// Slug; derived from the name when absent.
    public var slug: String?
    /// Free-form attributes (up to 30).
    public var attributes: [String: String]?
    /// At least one variant.
    public var variants: [CreateVariantRequest]
    /// The shop; admins only (a seller's product always belongs to their own shop).
    public var shopId: UUID?

    /// Creates the request.
    public init(name: String, description: String? = nil, categoryId: UUID, status: ProductStatus? = nil, slug: String? = nil,
                attributes: [String: String]? = nil, variants: [CreateVariantRequest], shopId: UUID? = nil) {
        self.name = name
        self.description = description
        self.categoryId = categoryId
        self.status = status
        self.slug = slug
        self.attributes = attributes
        self.variants = variants
        self.shopId = shopId
    }
}

/// `PATCH /api/v1/products/{id}`.
public struct UpdateProductRequest: Codable, Sendable {
    /// New name.
    public var name: String?
    /// New description.
    public var description: String?
    /// New category.
    public var categoryId: UUID?
    /// New status.
    public var status: ProductStatus?
    /// New slug.
    public var slug: String?
    /// Replaces the attributes.
    public var attributes: [String: String]?

    /// Creates the request.
    public init(name: String? = nil, description: String? = nil, categoryId: UUID? = nil, status: ProductStatus? = nil,
                slug: String? = nil, attributes: [String: String]? = nil) {
        self.name = name
        self.description = description
        self.categoryId = categoryId
        self.status = status
        self.slug = slug
        self.attributes = attributes
    }
}

/// `PATCH /api/v1/variants/{id}`. `compareAtPrice: null` removes the "was" price.
public struct UpdateVariantRequest: Codable, Sendable {
    /// New SKU.
    public var sku: String?
    /// Replaces the options.
    public var options: [String: String]?
    /// New price.
    public var price: Money?
    /// `.some(nil)` clears, `.some(money)` sets, `nil` keeps.
    public var compareAtPrice: Money??

    enum CodingKeys: String, CodingKey, CaseIterable { case sku, options, price, compareAtPrice }

    /// Creates the request.
    public init(sku: String? = nil, options: [String: String]? = nil, price: Money? = nil, compareAtPrice: Money?? = nil) {
        self.sku = sku
        self.options = options
        self.price = price
        self.compareAtPrice = compareAtPrice
    }

    /// Tells an explicit `null` apart from an absent field.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sku = try container.decodeIfPresent(String.self, forKey: .sku)
        options = try container.decodeIfPresent([String: String].self, forKey: .options)
        price = try container.decodeIfPresent(Money.self, forKey: .price)
        if container.contains(.compareAtPrice) {
            compareAtPrice = .some(try container.decodeNil(forKey: .compareAtPrice) ? nil : try container.decode(Money.self, forKey: .compareAtPrice))
        } else {
            compareAtPrice = nil
        }
    }

    /// Writes an explicit `null` to clear.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(sku, forKey: .sku)
        try container.encodeIfPresent(options, forKey: .options)
        try container.encodeIfPresent(price, forKey: .price)
        if let compareAtPrice { try container.encode(compareAtPrice, forKey: .compareAtPrice) }
    }
}

/// `PUT /api/v1/variants/{id}/stock`.
public struct SetStockRequest: Codable, Sendable {
    /// Units physically on hand (0…1,000,000, not below what is reserved).
    public var onHand: Int

    /// Creates the request.
    public init(onHand: Int) { self.onHand = onHand }
}

/// `POST /api/v1/products/{id}/images`.
public struct AttachImageRequest: Codable, Sendable {
    /// An uploaded media id.
    public var mediaId: UUID
    /// Position (0 is the main image).
    public var position: Int?

    /// Creates the request.
    public init(mediaId: UUID, position: Int? = nil) {
        self.mediaId = mediaId
        self.position = position
    }
}
