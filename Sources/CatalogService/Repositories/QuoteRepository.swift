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
        var quotes: [VariantQuote] = []
        for try await row in try await client.execute(QuoteVariants(parameter: ids), logger: logger) {
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

/// The quote's one statement, prepared (parsed and planned once per connection: the category
/// path's recursive query made planning a large part of a cart read's PostgreSQL time). Each row
/// is found by its key (`LATERAL … OFFSET 0`): a connection keeps its plan, and one made while
/// the tables were small must not scan them whole once they are large.
struct QuoteVariants: OneParameterStatement {
    static let sql = """
        SELECT v.id, p.id, p.name, p.slug, v.sku, v.options::text, p.shop_id, s.owner_id,
               (WITH RECURSIVE up(id, parent_id, depth) AS (
                    SELECT c.id, c.parent_id, 0 FROM categories c WHERE c.id = p.category_id
                    UNION ALL
                    SELECT c.id, c.parent_id, up.depth + 1 FROM categories c JOIN up ON c.id = up.parent_id WHERE up.depth < 32
                ) SELECT array_agg(up.id ORDER BY up.depth) FROM up),
               i.media_id, i.url, v.price, p.currency, v.on_hand - v.reserved, p.status
        FROM (SELECT DISTINCT id FROM unnest($1::uuid[]) AS u(id)) k
        CROSS JOIN LATERAL (SELECT * FROM variants WHERE id = k.id OFFSET 0) v
        CROSS JOIN LATERAL (SELECT * FROM products WHERE id = v.product_id OFFSET 0) p
        LEFT JOIN LATERAL (SELECT owner_id FROM shops WHERE id = p.shop_id OFFSET 0) s ON true
        LEFT JOIN LATERAL (SELECT media_id, coalesce(thumbnails->>'small', url) AS url FROM product_images WHERE product_id = p.id ORDER BY position LIMIT 1) i ON true
        """
    var parameter: [UUID]
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

extension QuoteRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["variantIds"]
    public func validate() -> [FieldError] {
        (1...100).contains(variantIds.count) ? [] : [FieldError(field: "variantIds", code: "count", message: "Give 1 to 100 variant ids.")]
    }
}
