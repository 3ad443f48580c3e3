import CatalogAPI
import Foundation
import MediaAPI
import PlexusKit
import PostgresNIO
import ReviewAPI

/// Who is changing the catalogue: an administrator, or the owner of one shop.
enum Writer: Sendable, Equatable {
    case admin
    case seller(shopID: UUID)

    /// The SQL condition binds: `(shop_id = $shop OR $isAdmin)`.
    var shopID: UUID? { if case .seller(let id) = self { id } else { nil } }
    var isAdmin: Bool { self == .admin }
}

/// A product row with its images.
struct ProductRecord: Sendable {
    var id: UUID
    var slug: String
    var name: String
    var description: String
    var shopID: UUID
    var categoryID: UUID
    var status: ProductStatus
    var attributes: [String: String]
    var currency: String
    var minPrice: Int
    var maxPrice: Int
    var ratingCount: Int
    var ratingSum: Int
    /// Published ratings by star, one-star first.
    var ratingStars: [Int]
    var createdAt: Date
    var updatedAt: Date
    var images: [ProductImageDTO]

    static let columns = """
        p.id, p.slug, p.name, p.description, p.shop_id, p.category_id, p.status, p.attributes::text, p.currency, p.min_price, p.max_price,
        p.rating_count, p.rating_sum, p.rating_stars, p.created_at, p.updated_at,
        coalesce((SELECT json_agg(json_build_array(i.media_id, i.url, i.position, i.thumbnails) ORDER BY i.position, i.created_at)::text
                  FROM product_images i WHERE i.product_id = p.id), '[]')
        """

    static func decode(_ row: PostgresRow, imageBase: String) throws -> ProductRecord {
        let (id, slug, name, description, shop, category, status, attributes, currency, minPrice, maxPrice, ratingCount, ratingSum, stars, created, updated,
             images) = try row.decode((UUID, String, String, String, UUID, UUID, String, String, String, Int, Int, Int, Int, [Int], Date, Date, String).self)
        return ProductRecord(
            id: id, slug: slug, name: name, description: description, shopID: shop, categoryID: category,
            status: ProductStatus(rawValue: status) ?? .draft, attributes: decodeJSON(attributes), currency: currency,
            minPrice: minPrice, maxPrice: maxPrice, ratingCount: ratingCount, ratingSum: ratingSum, ratingStars: stars, createdAt: created, updatedAt: updated,
            images: decodeImages(images, base: imageBase)
        )
    }

    static func decodeImages(_ json: String, base: String) -> [ProductImageDTO] {
        guard let rows = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[Any]] else { return [] }
        return rows.compactMap { row in
            guard row.count == 4, let idString = row[0] as? String, let id = UUID(uuidString: idString), let position = row[2] as? Int else { return nil }
            let thumbnails = (row[3] as? [String: Any]).map {
                MediaThumbnails(small: $0["small"] as? String, medium: $0["medium"] as? String, large: $0["large"] as? String)
            }
            return ProductImageDTO(mediaId: id, url: (row[1] as? String) ?? MediaLinks.file(id, base: base), position: position, thumbnails: thumbnails)
        }
    }

    /// The detail's rating: average, count and the histogram by star.
    var rating: RatingSummaryDTO {
        var rating = RatingSummary.make(count: ratingCount, sum: ratingSum)
        rating.histogram = ReviewSummary(stars: ratingStars).histogram
        return rating
    }

    func dto(variants: [VariantRecord]) -> ProductDTO {
        ProductDTO(id: id, slug: slug, name: name, description: description, shopId: shopID, categoryId: categoryID, status: status,
                   attributes: attributes, images: images,
                   priceRange: PriceRange(min: Money(amount: minPrice, currency: currency), max: Money(amount: maxPrice, currency: currency)),
                   rating: rating, variants: variants.map { $0.dto(currency: currency) }, createdAt: createdAt, updatedAt: updatedAt)
    }
}

/// A variant row.
struct VariantRecord: Sendable {
    var id: UUID
    var productID: UUID
    var sku: String
    var options: [String: String]
    var price: Int
    var compareAtPrice: Int?
    var onHand: Int
    var reserved: Int
    var createdAt: Date
    var updatedAt: Date

    static let columns = "v.id, v.product_id, v.sku, v.options::text, v.price, v.compare_at_price, v.on_hand, v.reserved, v.created_at, v.updated_at"

    static func decode(_ row: PostgresRow) throws -> VariantRecord {
        let (id, product, sku, options, price, compareAt, onHand, reserved, created, updated)
            = try row.decode((UUID, UUID, String, String, Int, Int?, Int, Int, Date, Date).self)
        return VariantRecord(id: id, productID: product, sku: sku, options: decodeJSON(options), price: price, compareAtPrice: compareAt,
                             onHand: onHand, reserved: reserved, createdAt: created, updatedAt: updated)
    }

    /// The API shape; prices are in the product's currency.
    func dto(currency: String) -> VariantDTO {
        VariantDTO(id: id, productId: productID, sku: sku, options: options, price: Money(amount: price, currency: currency),
                   compareAtPrice: compareAtPrice.map { Money(amount: $0, currency: currency) }, available: max(0, onHand - reserved),
                   createdAt: createdAt, updatedAt: updatedAt)
    }
}

/// Average stars from the counters, rounded to two decimals.
enum RatingSummary {
    static func make(count: Int, sum: Int) -> RatingSummaryDTO {
        RatingSummaryDTO(average: ReviewSummary.average(sum: sum, count: count), count: count)
    }
}


/// A `{String: String}` JSON object from a column; anything else reads as empty.
func decodeJSON(_ text: String) -> [String: String] {
    (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
}

/// A `{String: String}` dictionary as JSON text for a `jsonb` bind.
func encodeJSON(_ dictionary: [String: String]) -> String {
    String(decoding: (try? JSONEncoder().encode(dictionary)) ?? Data("{}".utf8), as: UTF8.self)
}

/// Stored product documents (`product_documents`): what their stamps are made of.
enum ProductDocument {
    /// Raise when the way a detail is built from its rows changes without changing its encoding.
    static let version = 1

    /// SQL naming the current rows of the product `p`: its own xmin, then its variants' and its
    /// images' (every insert, update or delete of those rows changes this text).
    static let rowsStamp = """
        (p.xmin::text || '/' || coalesce((SELECT string_agg(v.xmin::text, ',' ORDER BY v.id) FROM variants v WHERE v.product_id = p.id), '')
         || '/' || coalesce((SELECT string_agg(i.xmin::text, ',' ORDER BY i.media_id) FROM product_images i WHERE i.product_id = p.id), ''))
        """

    /// What a document's bytes depend on besides its rows: ``version``, the address images are served
    /// from, and the encoding of a detail itself (a field added, renamed or encoded differently by a
    /// new release changes a full sample's bytes, so every stored document is rebuilt).
    static func format(imageBase: String) -> String {
        let id = UUID(uuid: (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16))
        let money = Money(amount: 1234, currency: "EUR")
        let date = Date(timeIntervalSince1970: 1_800_000_000.5)
        let sample = ProductDTO(
            id: id, slug: "s", name: "n", description: "d", shopId: id, categoryId: id, status: .published, attributes: ["a": "b"],
            images: [ProductImageDTO(mediaId: id, url: "u", position: 1, thumbnails: MediaThumbnails(small: "s", medium: "m", large: "l"))],
            priceRange: PriceRange(min: money, max: money), rating: RatingSummaryDTO(average: 4.5, count: 2, histogram: ["5": 1, "4": 1]),
            variants: [VariantDTO(id: id, productId: id, sku: "k", options: ["o": "p"], price: money, compareAtPrice: money, available: 3,
                                  createdAt: date, updatedAt: date)],
            createdAt: date, updatedAt: date)
        let encoding = (try? CachedBody(json: sample).etag) ?? ""
        return CachedBody(bytes: ByteBuffer(string: "\(version)\n\(imageBase)\n\(encoding)")).etag.trimmingCharacters(in: ["\""]) + "/"
    }
}
