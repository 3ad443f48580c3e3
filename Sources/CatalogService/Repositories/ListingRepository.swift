import CatalogAPI
import Foundation
import Logging
import PlexusKit
import PostgresNIO

/// Search and listing of published products. Every filter and sort is a fixed SQL fragment chosen
/// by a `switch`; every client value is a bind.
struct ListingRepository: Sendable {
    let client: PostgresClient
    let imageBase: String
    let currency: String

    func list(_ query: ListingQuery, logger: Logger) async throws -> ProductListDTO {
        async let page = items(query, logger: logger)
        async let facets = facets(query, logger: logger)
        let (items, next) = try await page
        return ProductListDTO(items: items, nextCursor: next, facets: try await facets)
    }

    // MARK: Filters

    /// Appends `WHERE …` for the query's filters.
    private func appendFilters(_ query: ListingQuery, to sql: inout SQLBuilder) throws {
        sql.append(" WHERE p.status = 'published'")
        if let text = query.text {
            let q = sql.bind(text)
            sql.append(" AND (p.search @@ websearch_to_tsquery('english', \(q)) OR \(q) <% p.name)")
        }
        switch query.category {
        case .id(let id):
            sql.append(" AND p.category_id IN (WITH RECURSIVE sub(id) AS (SELECT id FROM categories WHERE id = \(sql.bind(id))")
            sql.append(" UNION ALL SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id) SELECT id FROM sub)")
        case .slug(let slug):
            sql.append(" AND p.category_id IN (WITH RECURSIVE sub(id) AS (SELECT id FROM categories WHERE slug = \(sql.bind(slug))")
            sql.append(" UNION ALL SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id) SELECT id FROM sub)")
        case nil: break
        }
        if let shop = query.shop { sql.append(" AND p.shop_id = \(sql.bind(shop))") }
        if let min = query.minPrice { sql.append(" AND p.max_price >= \(sql.bind(min))") }
        if let max = query.maxPrice { sql.append(" AND p.min_price <= \(sql.bind(max))") }
        switch query.inStock {
        case true?: sql.append(" AND \(Self.inStock)")
        case false?: sql.append(" AND NOT \(Self.inStock)")
        case nil: break
        }
        if !query.attributes.isEmpty { sql.append(" AND p.attributes @> \(sql.bind(encodeJSON(query.attributes)))::jsonb") }
    }

    static let inStock = "EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id AND v.on_hand > v.reserved)"

    // MARK: Items

    private func items(_ query: ListingQuery, logger: Logger) async throws -> ([ProductSummaryDTO], String?) {
        var sql = SQLBuilder("""
            SELECT p.id, p.slug, p.name, p.shop_id, p.category_id, p.min_price, p.max_price, p.rating_count, p.rating_sum,
                   \(Self.inStock), img.media_id, img.url,
            """)
        let key: String
        switch query.sort {
        case .relevance, .newest: key = "0::bigint"
        case .price, .priceDescending: key = "p.min_price"
        case .bestSelling: key = "p.sold_count"
        case .rating: key = "p.rating_rank"
        }
        sql.append(" \(key) FROM products p LEFT JOIN LATERAL (SELECT i.media_id, i.url FROM product_images i WHERE i.product_id = p.id")
        sql.append(" ORDER BY i.position, i.created_at LIMIT 1) img ON true")
        try appendFilters(query, to: &sql)
        let cursor = query.cursor
        switch query.sort {
        case .relevance:
            let q = sql.bind(query.text ?? "")
            sql.append(" ORDER BY ts_rank(p.search, websearch_to_tsquery('english', \(q))) + word_similarity(\(q), p.name) DESC, p.id DESC LIMIT \(sql.bind(query.limit + 1)) OFFSET \(sql.bind(cursor?.offset ?? 0))")
        case .newest:
            if let id = cursor?.id { sql.append(" AND p.id < \(sql.bind(id))") }
            sql.append(" ORDER BY p.id DESC LIMIT \(sql.bind(query.limit + 1))")
        case .price:
            if let id = cursor?.id { sql.append(" AND (p.min_price, p.id) > (\(sql.bind(Int(cursor?.key ?? 0))), \(sql.bind(id)))") }
            sql.append(" ORDER BY p.min_price, p.id LIMIT \(sql.bind(query.limit + 1))")
        case .priceDescending, .bestSelling, .rating:
            if let id = cursor?.id { sql.append(" AND (\(key), p.id) < (\(sql.bind(Int(cursor?.key ?? 0))), \(sql.bind(id)))") }
            sql.append(" ORDER BY \(key) DESC, p.id DESC LIMIT \(sql.bind(query.limit + 1))")
        }
        var rows: [(ProductSummaryDTO, Int64)] = []
        for try await row in try await client.query(sql.query, logger: logger) {
            let (id, slug, name, shop, category, minPrice, maxPrice, ratingCount, ratingSum, inStock, mediaID, url, sortKey)
                = try row.decode((UUID, String, String, UUID, UUID, Int, Int, Int, Int, Bool, UUID?, String?, Int64).self)
            let image = url ?? mediaID.map { ImageURL.url(mediaID: $0, base: imageBase) }
            rows.append((ProductSummaryDTO(id: id, slug: slug, name: name, shopId: shop, categoryId: category,
                                           priceRange: PriceRange(min: Money(amount: minPrice, currency: currency), max: Money(amount: maxPrice, currency: currency)),
                                           imageURL: image, rating: RatingSummary.make(count: ratingCount, sum: ratingSum), inStock: inStock), sortKey))
        }
        let shown = Array(rows.prefix(query.limit))
        guard rows.count > query.limit, let last = shown.last else { return (shown.map(\.0), nil) }
        let next = query.sort == .relevance
            ? ListingCursor(offset: (cursor?.offset ?? 0) + query.limit)
            : ListingCursor(key: last.1, id: last.0.id)
        return (shown.map(\.0), next.encoded)
    }

    // MARK: Facets

    /// Category and price-band counts over every match, in one grouped query.
    private func facets(_ query: ListingQuery, logger: Logger) async throws -> FacetsDTO {
        var sql = SQLBuilder()
        let bounds = try sql.bindThrowing(PriceBands.bounds.map(Int64.init))
        let band = "width_bucket(p.min_price, \(bounds)::bigint[]) - 1"
        sql.append("SELECT GROUPING(p.category_id)::int, p.category_id, c.name, (\(band))::int, count(*)::int FROM products p")
        sql.append(" JOIN categories c ON c.id = p.category_id")
        try appendFilters(query, to: &sql)
        sql.append(" GROUP BY GROUPING SETS ((p.category_id, c.name), (\(band)))")
        var categories: [FacetsDTO.CategoryCount] = []
        var bands = [Int](repeating: 0, count: PriceBands.bounds.count)
        for try await (groupedOut, categoryID, name, bandIndex, count) in try await client.query(sql.query, logger: logger)
            .decode((Int, UUID?, String?, Int?, Int).self) {
            if groupedOut == 0, let categoryID, let name {
                categories.append(.init(id: categoryID, name: name, count: count))
            } else if let bandIndex, bands.indices.contains(bandIndex) {
                bands[bandIndex] += count
            }
        }
        let priceBands = PriceBands.bounds.enumerated().map { index, lower in
            FacetsDTO.PriceBand(min: Money(amount: lower, currency: currency),
                                max: index + 1 < PriceBands.bounds.count ? Money(amount: PriceBands.bounds[index + 1], currency: currency) : nil,
                                count: bands[index])
        }
        return FacetsDTO(categories: categories.sorted { ($0.count, $1.name) > ($1.count, $0.name) }, priceBands: priceBands)
    }
}
