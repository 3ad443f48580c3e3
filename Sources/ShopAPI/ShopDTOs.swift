import Foundation
import PlexusContract

/// A shop as the API shows it.
public struct ShopDTO: Codable, Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// Display name.
    public var name: String
    /// URL slug (unique).
    public var slug: String
    /// Free-text description.
    public var description: String
    /// The user who owns it.
    public var ownerId: UUID
    /// Created.
    public var createdAt: Date
    /// Last changed.
    public var updatedAt: Date

    /// Creates a shop DTO.
    public init(id: UUID, name: String, slug: String, description: String, ownerId: UUID, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.name = name
        self.slug = slug
        self.description = description
        self.ownerId = ownerId
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// `GET /api/v1/shops/{idOrSlug}`: the shop and a first page of its published products.
public struct ShopPageDTO: Codable, Sendable {
    /// The shop's fields.
    public var shop: ShopDTO
    /// Its newest published products, or `nil` when the catalogue could not be reached.
    public var products: [ShopProductSummary]?

    /// Creates the page.
    public init(shop: ShopDTO, products: [ShopProductSummary]?) {
        self.shop = shop
        self.products = products
    }

    enum CodingKeys: String, CodingKey { case products }

    /// Reads the flattened form.
    public init(from decoder: any Decoder) throws {
        shop = try ShopDTO(from: decoder)
        products = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent([ShopProductSummary].self, forKey: .products)
    }

    /// Flattens the shop's fields beside `products`.
    public func encode(to encoder: any Encoder) throws {
        try shop.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(products, forKey: .products)
    }
}

/// The few product fields a shop page shows (decoded from the catalogue's listing).
public struct ShopProductSummary: Codable, Sendable, Equatable {
    /// Product id.
    public var id: UUID
    /// Product slug.
    public var slug: String
    /// Product name.
    public var name: String
    /// Whether any variant is available.
    public var inStock: Bool

    /// Creates the value.
    public init(id: UUID, slug: String, name: String, inStock: Bool) {
        self.id = id
        self.slug = slug
        self.name = name
        self.inStock = inStock
    }
}

/// `POST /api/v1/shops`.
public struct CreateShopRequest: Codable, Sendable {
    /// Display name (2–100 characters).
    public var name: String
    /// Description (up to 2,000 characters).
    public var description: String?

    /// Creates the request.
    public init(name: String, description: String? = nil) {
        self.name = name
        self.description = description
    }
}

/// `PATCH /api/v1/shops/me`.
public struct UpdateShopRequest: Codable, Sendable {
    /// New name.
    public var name: String?
    /// New description.
    public var description: String?

    /// Creates the request.
    public init(name: String? = nil, description: String? = nil) {
        self.name = name
        self.description = description
    }
}

/// `GET /api/v1/shops/me/sales`: paid orders of the seller's shop, per day.
public struct SalesReportDTO: Codable, Sendable, Equatable {
    /// One day's totals.
    public struct Day: Codable, Sendable, Equatable {
        /// The day (`YYYY-MM-DD`, UTC).
        public var date: String
        /// Revenue of the shop's lines.
        public var revenue: Money
        /// Distinct paid orders.
        public var orders: Int
        /// Units sold.
        public var units: Int

        /// Creates the value.
        public init(date: String, revenue: Money, orders: Int, units: Int) {
            self.date = date
            self.revenue = revenue
            self.orders = orders
            self.units = units
        }
    }

    /// A best-selling product over the period.
    public struct TopProduct: Codable, Sendable, Equatable {
        /// Product id.
        public var productId: UUID
        /// Name as sold.
        public var productName: String
        /// Units sold.
        public var units: Int
        /// Revenue.
        public var revenue: Money

        /// Creates the value.
        public init(productId: UUID, productName: String, units: Int, revenue: Money) {
            self.productId = productId
            self.productName = productName
            self.units = units
            self.revenue = revenue
        }
    }

    /// First day included.
    public var from: String
    /// Last day included.
    public var to: String
    /// Revenue over the period.
    public var revenue: Money
    /// Paid orders over the period.
    public var orders: Int
    /// Units over the period.
    public var units: Int
    /// Days with sales.
    public var days: [Day]
    /// Up to ten products by units.
    public var topProducts: [TopProduct]

    /// Creates the value.
    public init(from: String, to: String, revenue: Money, orders: Int, units: Int, days: [Day], topProducts: [TopProduct]) {
        self.from = from
        self.to = to
        self.revenue = revenue
        self.orders = orders
        self.units = units
        self.days = days
        self.topProducts = topProducts
    }
}
