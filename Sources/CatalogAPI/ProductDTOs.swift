import Foundation
import PlexusContract

/// A product's lifecycle: drafts are seen only by their seller; archived products stay readable
/// (old orders link to them) but are not listed or sold.
public enum ProductStatus: String, Codable, Sendable, CaseIterable {
    /// Being prepared.
    case draft
    /// Listed and sold.
    case published
    /// Withdrawn.
    case archived
}

/// Lowest and highest variant price.
public struct PriceRange: Codable, Sendable, Equatable {
    /// Lowest.
    public var min: Money
    /// Highest.
    public var max: Money

    /// Creates a range.
    public init(min: Money, max: Money) {
        self.min = min
        self.max = max
    }
}

/// Average rating and number of published reviews.
public struct RatingSummaryDTO: Codable, Sendable, Equatable {
    /// Average stars (0 when unrated).
    public var average: Double
    /// Number of ratings.
    public var count: Int
    /// On a product's detail: `"1"` … `"5"` → number of published reviews with that many stars.
    public var histogram: [String: Int]?

    /// Creates a summary.
    public init(average: Double, count: Int, histogram: [String: Int]? = nil) {
        self.average = average
        self.count = count
        self.histogram = histogram
    }
}

/// An image attached to a product.
public struct ProductImageDTO: Codable, Sendable, Equatable {
    /// The media id.
    public var mediaId: UUID
    /// Where to fetch it.
    public var url: String
    /// Order (0 first; the first is the main image).
    public var position: Int
    /// WebP thumbnails, once the media service has made them.
    public var thumbnails: MediaThumbnails?

    /// Creates an image DTO.
    public init(mediaId: UUID, url: String, position: Int, thumbnails: MediaThumbnails? = nil) {
        self.mediaId = mediaId
        self.url = url
        self.position = position
        self.thumbnails = thumbnails
    }
}

/// A sellable variant.
public struct VariantDTO: Codable, Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// Its product.
    public var productId: UUID
    /// Stock-keeping unit (unique, case-insensitive).
    public var sku: String
    /// Option values such as size and colour.
    public var options: [String: String]
    /// Price.
    public var price: Money
    /// The "was" price shown struck through.
    public var compareAtPrice: Money?
    /// Units that can be bought now (`onHand − reserved`).
    public var available: Int
    /// `available > 0`.
    public var inStock: Bool
    /// Created.
    public var createdAt: Date
    /// Last changed.
    public var updatedAt: Date

    /// Creates a variant DTO.
    public init(id: UUID, productId: UUID, sku: String, options: [String: String], price: Money, compareAtPrice: Money?,
                available: Int, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.productId = productId
        self.sku = sku
        self.options = options
        self.price = price
        self.compareAtPrice = compareAtPrice
        self.available = available
        self.inStock = available > 0
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A product with its variants.
public struct ProductDTO: Codable, Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// URL slug.
    public var slug: String
    /// Name.
    public var name: String
    /// Description.
    public var description: String
    /// The selling shop.
    public var shopId: UUID
    /// Its category.
    public var categoryId: UUID
    /// Lifecycle status.
    public var status: ProductStatus
    /// Free-form attributes (brand, material…).
    public var attributes: [String: String]
    /// Images by position.
    public var images: [ProductImageDTO]
    /// Lowest and highest variant price.
    public var priceRange: PriceRange
    /// Rating summary.
    public var rating: RatingSummaryDTO
    /// Variants.
    public var variants: [VariantDTO]
    /// Created.
    public var createdAt: Date
    /// Last changed.
    public var updatedAt: Date

    /// Creates a product DTO.
    public init(id: UUID, slug: String, name: String, description: String, shopId: UUID, categoryId: UUID, status: ProductStatus,
                attributes: [String: String], images: [ProductImageDTO], priceRange: PriceRange, rating: RatingSummaryDTO,
                variants: [VariantDTO], createdAt: Date, updatedAt: Date) {
        self.id = id
        self.slug = slug
        self.name = name
        self.description = description
        self.shopId = shopId
        self.categoryId = categoryId
        self.status = status
        self.attributes = attributes
        self.images = images
        self.priceRange = priceRange
        self.rating = rating
        self.variants = variants
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A product in a listing.
public struct ProductSummaryDTO: Codable, Sendable, Equatable {
    /// The main image's address.
    public struct Image: Codable, Sendable, Equatable {
        /// Where to fetch it: its medium thumbnail once made, the upload until then.
        public var url: String
    }

    /// Its id.
    public var id: UUID
    /// URL slug.
    public var slug: String
    /// Name.
    public var name: String
    /// The selling shop.
    public var shopId: UUID
    /// Its category.
    public var categoryId: UUID
    /// Lowest and highest variant price.
    public var priceRange: PriceRange
    /// The main image.
    public var image: Image?
    /// Rating summary.
    public var rating: RatingSummaryDTO
    /// Whether any variant is available.
    public var inStock: Bool

    /// Creates a summary.
    public init(id: UUID, slug: String, name: String, shopId: UUID, categoryId: UUID, priceRange: PriceRange, imageURL: String?,
                rating: RatingSummaryDTO, inStock: Bool) {
        self.id = id
        self.slug = slug
        self.name = name
        self.shopId = shopId
        self.categoryId = categoryId
        self.priceRange = priceRange
        self.image = imageURL.map { Image(url: $0) }
        self.rating = rating
        self.inStock = inStock
    }
}

/// Facet counts over the whole result (not only the page).
public struct FacetsDTO: Codable, Sendable, Equatable {
    /// Matching products per category they are filed in.
    public struct CategoryCount: Codable, Sendable, Equatable {
        /// Category id.
        public var id: UUID
        /// Category name.
        public var name: String
        /// Matching products.
        public var count: Int

        /// Creates the value.
        public init(id: UUID, name: String, count: Int) {
            self.id = id
            self.name = name
            self.count = count
        }
    }

    /// Matching products whose lowest price falls in a band.
    public struct PriceBand: Codable, Sendable, Equatable {
        /// Inclusive lower bound.
        public var min: Money
        /// Exclusive upper bound; `nil` for the last band.
        public var max: Money?
        /// Matching products.
        public var count: Int

        /// Creates the value.
        public init(min: Money, max: Money?, count: Int) {
            self.min = min
            self.max = max
            self.count = count
        }
    }

    /// By category, largest first.
    public var categories: [CategoryCount]
    /// By price band, cheapest first (empty bands included).
    public var priceBands: [PriceBand]

    /// Creates the value.
    public init(categories: [CategoryCount], priceBands: [PriceBand]) {
        self.categories = categories
        self.priceBands = priceBands
    }
}

/// `GET /api/v1/products`.
public struct ProductListDTO: Codable, Sendable, Equatable {
    /// This page.
    public var items: [ProductSummaryDTO]
    /// The next page's cursor, or `nil`.
    public var nextCursor: String?
    /// Facet counts.
    public var facets: FacetsDTO

    enum CodingKeys: String, CodingKey { case items, nextCursor, facets }

    /// Creates a list.
    public init(items: [ProductSummaryDTO], nextCursor: String?, facets: FacetsDTO) {
        self.items = items
        self.nextCursor = nextCursor
        self.facets = facets
    }

    /// Writes `nextCursor: null` explicitly at the end.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
        try container.encode(facets, forKey: .facets)
    }
}

extension ProductStatus: SchemaEnumeration {}

/// What the catalogue's demo seeding leaves for later services.
public enum CatalogDemo {
    /// The published demo products.
    public static let products = DemoKey<[DemoProduct]>("catalog.products")
}

/// A demo product as later seeding needs it.
public struct DemoProduct: Sendable, Equatable {
    public var id: UUID
    public var shopId: UUID
    public var name: String

    public init(id: UUID, shopId: UUID, name: String) {
        self.id = id
        self.shopId = shopId
        self.name = name
    }
}
