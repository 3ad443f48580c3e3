import CatalogAPI
import Foundation
import MediaAPI
import Logging
import PlexusKit
import PostgresNIO

/// The buyer's view of variants (for carts and orders): one statement for any number of them.
struct QuoteRepository: Sendable {
    let client: DatabaseClient
    /// Base of image addresses (the public URL).
    let imageBase: String

    /// Quotes for the variants of `ids` that exist, in no particular order.
    func quote(_ ids: [UUID], logger: Logger) async throws -> [VariantQuote] {
        let rows = try await client.query("""
            SELECT v.id, p.id, p.name, p.slug, v.sku, v.options::text, p.shop_id, s.owner_id,
                   (WITH RECURSIVE up(id, parent_id, depth) AS (
                        SELECT c.id, c.parent_id, 0 FROM categories c WHERE c.id = p.category_id
                        UNION ALL
                        SELECT c.id, c.parent_id, up.depth + 1 FROM categories c JOIN up ON c.id = up.parent_id WHERE up.depth < 32
                    ) SELECT array_agg(up.id ORDER BY up.depth) FROM up),
                   i.media_id, i.url, v.price, p.currency, v.on_hand - v.reserved, p.status
            FROM variants v
            JOIN products p ON p.id = v.product_id
            LEFT JOIN shops s ON s.id = p.shop_id
            LEFT JOIN LATERAL (SELECT media_id, coalesce(thumbnails->>'small', url) AS url FROM product_images WHERE product_id = p.id ORDER BY position LIMIT 1) i ON true
            WHERE v.id = ANY(\(ids))
            """, logger: logger)
        var quotes: [VariantQuote] = []
        for try await row in rows {
            let (variant, product, name, slug, sku, options, shop, owner, categories, mediaID, url, price, currency, available, status)
                = try row.decode((UUID, UUID, String, String, String, String, UUID, UUID?, [UUID]?, UUID?, String?, Int, String, Int, String).self)
            quotes.append(VariantQuote(
                variantId: variant, productId: product, productName: name, productSlug: slug, sku: sku,
                options: (try? JSON.decoder.decode([String: String].self, from: Data(options.utf8))) ?? [:],
                shopId: shop, shopOwnerId: owner, categoryIds: categories ?? [],
                image: url ?? mediaID.map { MediaLinks.file($0, base: imageBase) },
                unitPrice: Money(amount: price, currency: currency), available: max(available, 0),
                status: ProductStatus(rawValue: status) ?? .archived))
        }
        return quotes
    }
}

extension QuoteRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["variantIds"]
    public func validate() -> [FieldError] {
        (1...100).contains(variantIds.count) ? [] : [FieldError(field: "variantIds", code: "count", message: "Give 1 to 100 variant ids.")]
    }
}
