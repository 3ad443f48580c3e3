import CatalogAPI
import Foundation
import MediaAPI
import Logging
import PlexusKit
import PostgresNIO

/// Search and listing of published products. Every filter and sort is a fixed SQL fragment chosen
/// by a `switch`; every client value is a bind.
struct ListingRepository: Sendable {
    let client: DatabaseClient
    let imageBase: String
    let currency: String
    let cache: CatalogCache

    /// A listing query with its search text turned into a full-text query and its category into
    /// the ids of its subtree.
    struct Resolved: Sendable {
        var query: ListingQuery
        var tsquery: String?
        var categories: [UUID]?
    }

    func list(_ query: ListingQuery, logger: Logger) async throws -> ProductListDTO {
        let generation = cache.generation
        let known = cache.facets.get(query.filterKey)
        async let tsquery: String? = { if let text = query.text { try await self.tsquery(for: text, logger: logger) } else { nil } }()
        async let categories: [UUID]? = { if let category = query.category { try await self.subtree(of: category, logger: logger) } else { nil } }()
        let resolved = Resolved(query: query, tsquery: try await tsquery, categories: try await categories)
        if let known {
            let (shown, next) = try await self.items(resolved, logger: logger)
            return ProductListDTO(items: shown, nextCursor: next, facets: known)
        }
        async let page = items(resolved, logger: logger)
        async let counted = facets(resolved, logger: logger)
        let (items, next) = try await page
        let facets = try await counted
        cache.store(ifUnchangedSince: generation) { cache.facets.set(query.filterKey, facets) }
        return ProductListDTO(items: items, nextCursor: next, facets: facets)
    }

    // MARK: Resolution

    /// The full-text query for a search text: each word, or any of up to three vocabulary words
    /// that look like it (trigram similarity), so "wireles hedphones" searches
    /// `(wirel | wireless) & (hedphon | headphon)`. Cached per text.
    func tsquery(for text: String, logger: Logger) async throws -> String {
        let key = text.lowercased()
        if let cached = cache.searchQueries.get(key) { return cached }
        let rows = try await client.query("""
            WITH words AS (
                SELECT ord, word FROM regexp_split_to_table(\(key), '[^[:alnum:]]+') WITH ORDINALITY AS t(word, ord) WHERE word <> '' AND ord <= 12
            ), alternatives AS (
                SELECT w.ord, w.word AS term FROM words w
                UNION
                SELECT w.ord, s.term FROM words w
                CROSS JOIN LATERAL (SELECT term FROM search_terms WHERE term % w.word ORDER BY term <-> w.word LIMIT 3) s
            )
            SELECT coalesce(to_tsquery('english', string_agg(alternatives, ' & ' ORDER BY ord))::text, '')
            FROM (SELECT ord, '(' || string_agg(quote_literal(term), ' | ') || ')' AS alternatives FROM alternatives GROUP BY ord) grouped
            """, logger: logger)
        var result = ""
        for try await tsquery in rows.decode(String.self) { result = tsquery }
        cache.searchQueries.set(key, result)
        return result
    }

    /// The ids of a category and all its descendants (empty for an unknown category). Cached until
    /// the tree changes.
    func subtree(of category: IDOrSlug, logger: Logger) async throws -> [UUID] {
        if let cached = cache.subtrees.get(category.key) { return cached }
        var sql = SQLBuilder("WITH RECURSIVE sub(id) AS (SELECT id FROM categories WHERE ")
        switch category {
        case .id(let id): sql.append("id = \(sql.bind(id))")
        case .slug(let slug): sql.append("slug = \(sql.bind(slug))")
        }
        let generation = cache.generation
        sql.append(" UNION SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id) SELECT id FROM sub")
        var ids: [UUID] = []
        for try await id in try await client.query(sql.query, logger: logger).decode(UUID.self) { ids.append(id) }
        cache.store(ifUnchangedSince: generation) { cache.subtrees.set(category.key, ids) }
        return ids
    }

    // MARK: Filters

    /// Appends `WHERE …` for the query's filters.
    private func appendFilters(_ resolved: Resolved, to sql: inout SQLBuilder) throws {
        let query = resolved.query
        sql.append(" WHERE p.status = 'published'")
        if let tsquery = resolved.tsquery {
            // A text without a single searchable word matches nothing.
            sql.append(tsquery.isEmpty ? " AND false" : " AND p.search @@ \(sql.bind(tsquery))::tsquery")
        }
        if let categories = resolved.categories { sql.append(" AND p.category_id = ANY(\(try sql.bindThrowing(categories))::uuid[])") }
        if let shop = query.shop { sql.append(" AND p.shop_id = \(sql.bind(shop))") }
        if let min = query.minPrice { sql.append(" AND p.max_price >= \(sql.bind(min))") }
        if let max = query.maxPrice { sql.append(" AND p.min_price <= \(sql.bind(max))") }
        switch query.inStock {
        case true?: sql.append(" AND \(Self.inStock("p"))")
        case false?: sql.append(" AND NOT \(Self.inStock("p"))")
        case nil: break
        }
        if let rating = query.minRating { sql.append(" AND p.rating_count > 0 AND p.rating_rank >= \(sql.bind(rating))") }
        if !query.attributes.isEmpty { sql.append(" AND p.attributes @> \(sql.bind(encodeJSON(query.attributes)))::jsonb") }
    }

    /// Whether the product aliased `table` has a variant with units available.
    static func inStock(_ table: String) -> String {
        "EXISTS (SELECT 1 FROM variants v WHERE v.product_id = \(table).id AND v.on_hand > v.reserved)"
    }

    // MARK: Items

    private func items(_ resolved: Resolved, logger: Logger) async throws -> ([ProductSummaryDTO], String?) {
        let query = resolved.query
        let key: String
        switch query.sort {
        case .relevance, .newest: key = "0::bigint"
        case .price, .priceDescending: key = "p.min_price"
        case .bestSelling: key = "p.sold_count"
        case .rating: key = "p.rating_rank"
        }
        // The page is chosen first (filters, order, limit) and only its rows get their stock flag and
        // main image: joining those for every candidate row made the planner do it before filtering.
        var sql = SQLBuilder("""
            SELECT q.id, q.slug, q.name, q.shop_id, q.category_id, q.min_price, q.max_price, q.rating_count, q.rating_sum, q.sort_key,
                   \(Self.inStock("q")), img.media_id, img.url
            FROM (SELECT p.id, p.slug, p.name, p.shop_id, p.category_id, p.min_price, p.max_price, p.rating_count, p.rating_sum,
            """)
        let rank: String
        if query.sort == .relevance, let tsquery = resolved.tsquery, !tsquery.isEmpty {
            rank = "ts_rank(p.search, \(sql.bind(tsquery))::tsquery)"
        } else {
            rank = "0::real"
        }
        sql.append(" \(key) AS sort_key, \(rank) AS rank FROM products p")
        try appendFilters(resolved, to: &sql)
        let cursor = query.cursor
        let order: String
        switch query.sort {
        case .relevance:
            order = "q.rank DESC, q.id DESC"
            sql.append(" ORDER BY rank DESC, p.id DESC LIMIT \(sql.bind(query.limit + 1)) OFFSET \(sql.bind(cursor?.offset ?? 0))")
        case .newest:
            order = "q.id DESC"
            if let id = cursor?.id { sql.append(" AND p.id < \(sql.bind(id))") }
            sql.append(" ORDER BY p.id DESC LIMIT \(sql.bind(query.limit + 1))")
        case .price:
            order = "q.sort_key, q.id"
            if let id = cursor?.id { sql.append(" AND (p.min_price, p.id) > (\(sql.bind(Int(cursor?.key ?? 0))), \(sql.bind(id)))") }
            sql.append(" ORDER BY p.min_price, p.id LIMIT \(sql.bind(query.limit + 1))")
        case .priceDescending, .bestSelling, .rating:
            order = "q.sort_key DESC, q.id DESC"
            if let id = cursor?.id { sql.append(" AND (\(key), p.id) < (\(sql.bind(Int(cursor?.key ?? 0))), \(sql.bind(id)))") }
            sql.append(" ORDER BY \(key) DESC, p.id DESC LIMIT \(sql.bind(query.limit + 1))")
        }
        sql.append(") q LEFT JOIN LATERAL (SELECT i.media_id, coalesce(i.thumbnails->>'medium', i.url) AS url FROM product_images i WHERE i.product_id = q.id")
        sql.append(" ORDER BY i.position, i.created_at LIMIT 1) img ON true ORDER BY \(order)")
        var rows: [(ProductSummaryDTO, Int64)] = []
        for try await row in try await client.query(sql.query, logger: logger) {
            let (id, slug, name, shop, category, minPrice, maxPrice, ratingCount, ratingSum, sortKey, inStock, mediaID, url)
                = try row.decode((UUID, String, String, UUID, UUID, Int, Int, Int, Int, Int64, Bool, UUID?, String?).self)
            let image = url ?? mediaID.map { MediaLinks.file($0, base: imageBase) }
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
    private func facets(_ resolved: Resolved, logger: Logger) async throws -> FacetsDTO {
        var sql = SQLBuilder()
        let bounds = try sql.bindThrowing(PriceBands.bounds.map(Int64.init))
        let band = "width_bucket(p.min_price, \(bounds)::bigint[]) - 1"
        sql.append("SELECT GROUPING(p.category_id)::int, p.category_id, c.name, (\(band))::int, count(*)::int FROM products p")
        sql.append(" JOIN categories c ON c.id = p.category_id")
        try appendFilters(resolved, to: &sql)
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
