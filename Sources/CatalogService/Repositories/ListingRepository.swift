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
    /// The statements that count facets run here: sessions that keep one generic plan per prepared
    /// statement. Such a statement reads every match whatever the filters (the counts need them), so
    /// its generic plan is the plan PostgreSQL would choose anyway, at any catalogue size (measured on
    /// 100 000 products), and planning each run was a third of PostgreSQL's time per listing. A page
    /// alone keeps the main pool, where PostgreSQL plans per run: its best plan depends on how many
    /// products the asked category holds (a generic plan walked the price index for a small one, 30×
    /// slower).
    let countingClient: DatabaseClient
    let imageBase: String
    let currency: String
    let cache: CatalogCache

    /// The sessions of ``countingClient``.
    static let countingSessionSettings = [(name: "plan_cache_mode", value: "force_generic_plan"),
                                          (name: "application_name", value: "plexus catalog: listing counts")]
    /// How many connections ``countingClient`` opens at most.
    static let countingConnections = 8

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
        let (items, next, facets) = try await page(resolved, knownFacets: known, logger: logger)
        if known == nil { cache.store(ifUnchangedSince: generation) { cache.facets.set(query.filterKey, facets) } }
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
        for try await id in try await client.queryPrepared(sql.query, logger: logger).decode(UUID.self) { ids.append(id) }
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
        case true?: sql.append(" AND p.stocked_variants > 0")
        case false?: sql.append(" AND p.stocked_variants = 0")
        case nil: break
        }
        if let rating = query.minRating { sql.append(" AND p.rating_count > 0 AND p.rating_rank >= \(sql.bind(rating))") }
        if !query.attributes.isEmpty { sql.append(" AND p.attributes @> \(sql.bind(encodeJSON(query.attributes)))::jsonb") }
    }

    // MARK: Page and facets

    /// One statement, run prepared (its text depends only on which filters, sort and paging are
    /// used): the page's products and, unless `knownFacets` has them, the category and price-band
    /// counts over every match. The matches are found once (`m`): the page is the first rows of
    /// them in the listing's order (after the cursor), and only those rows are joined to their
    /// display columns and main image; the counts group all of them. Without counts `m` is inlined,
    /// so the planner can walk an index in the listing's order and stop after a page.
    private func page(_ resolved: Resolved, knownFacets: FacetsDTO?, logger: Logger)
        async throws -> (items: [ProductSummaryDTO], next: String?, facets: FacetsDTO) {
        let query = resolved.query
        let countingFacets = knownFacets == nil
        let key: String
        switch query.sort {
        case .relevance, .newest: key = "0::bigint"
        case .price, .priceDescending: key = "p.min_price"
        case .bestSelling: key = "p.sold_count"
        case .rating: key = "p.rating_rank"
        }
        var sql = SQLBuilder("WITH m AS \(countingFacets ? "MATERIALIZED " : "")(SELECT p.id, p.category_id, p.min_price, \(key) AS sort_key, ")
        if query.sort == .relevance, let tsquery = resolved.tsquery, !tsquery.isEmpty {
            sql.append("ts_rank(p.search, \(sql.bind(tsquery))::tsquery)")
        } else {
            sql.append("0::real")
        }
        sql.append(" AS rank FROM products p")
        try appendFilters(resolved, to: &sql)
        let cursor = query.cursor
        let order: String
        var after = ""
        switch query.sort {
        case .relevance:
            order = "rank DESC, id DESC"
        case .newest:
            order = "id DESC"
            if let id = cursor?.id { after = " WHERE id < \(sql.bind(id))" }
        case .price:
            order = "sort_key, id"
            if let id = cursor?.id { after = " WHERE (sort_key, id) > (\(sql.bind(cursor?.key ?? 0)), \(sql.bind(id)))" }
        case .priceDescending, .bestSelling, .rating:
            order = "sort_key DESC, id DESC"
            if let id = cursor?.id { after = " WHERE (sort_key, id) < (\(sql.bind(cursor?.key ?? 0)), \(sql.bind(id)))" }
        }
        sql.append("), page AS (SELECT id, sort_key, row_number() OVER (ORDER BY \(order)) AS ord FROM m\(after) ORDER BY \(order)")
        sql.append(" LIMIT \(sql.bind(query.limit + 1))")
        if query.sort == .relevance { sql.append(" OFFSET \(sql.bind(cursor?.offset ?? 0))") }
        sql.append("""
            ) SELECT 0 AS kind, page.ord, q.id, q.slug, q.name, q.shop_id, q.category_id, q.min_price, q.max_price, q.rating_count, q.rating_sum,
                     page.sort_key, q.stocked_variants > 0, img.media_id, img.url, NULL::int AS band, NULL::int AS count
            FROM page JOIN products q ON q.id = page.id
            LEFT JOIN LATERAL (SELECT i.media_id, coalesce(i.thumbnails->>'medium', i.url) AS url FROM product_images i WHERE i.product_id = q.id
                               ORDER BY i.position, i.created_at LIMIT 1) img ON true
            """)
        if countingFacets {
            let bounds = try sql.bindThrowing(PriceBands.bounds.map(Int64.init))
            let band = "width_bucket(m.min_price, \(bounds)::bigint[]) - 1"
            sql.append("""
                 UNION ALL
                SELECT 1 + GROUPING(m.category_id), 0, m.category_id, NULL, c.name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                       (\(band))::int, count(*)::int
                FROM m JOIN categories c ON c.id = m.category_id GROUP BY GROUPING SETS ((m.category_id, c.name), (\(band)))
                """)
        }
        sql.append(" ORDER BY kind, ord")
        var rows: [(ProductSummaryDTO, Int64)] = []
        var categories: [FacetsDTO.CategoryCount] = []
        var bands = [Int](repeating: 0, count: PriceBands.bounds.count)
        for try await row in try await (countingFacets ? countingClient : client).queryPrepared(sql.query, logger: logger) {
            let (kind, _, id, slug, name, shop, category, minPrice, maxPrice, ratingCount, ratingSum, sortKey, inStock, mediaID, url, bandIndex, count)
                = try row.decode((Int, Int64, UUID?, String?, String?, UUID?, UUID?, Int?, Int?, Int?, Int?, Int64?, Bool?, UUID?, String?, Int?, Int?).self)
            switch kind {
            case 0:
                guard let id, let slug, let name, let shop, let category, let minPrice, let maxPrice, let ratingCount, let ratingSum, let sortKey, let inStock
                else { continue }
                let image = url ?? mediaID.map { MediaLinks.file($0, base: imageBase) }
                rows.append((ProductSummaryDTO(id: id, slug: slug, name: name, shopId: shop, categoryId: category,
                                               priceRange: PriceRange(min: Money(amount: minPrice, currency: currency), max: Money(amount: maxPrice, currency: currency)),
                                               imageURL: image, rating: RatingSummary.make(count: ratingCount, sum: ratingSum), inStock: inStock), sortKey))
            case 1:
                if let id, let name, let count { categories.append(.init(id: id, name: name, count: count)) }
            default:
                if let bandIndex, let count, bands.indices.contains(bandIndex) { bands[bandIndex] += count }
            }
        }
        let shown = Array(rows.prefix(query.limit))
        let facets = knownFacets ?? facets(categories: categories, bands: bands)
        guard rows.count > query.limit, let last = shown.last else { return (shown.map(\.0), nil, facets) }
        let next = query.sort == .relevance
            ? ListingCursor(offset: (cursor?.offset ?? 0) + query.limit)
            : ListingCursor(key: last.1, id: last.0.id)
        return (shown.map(\.0), next.encoded, facets)
    }

    /// The facets of counted categories and price bands (by band index), categories largest first.
    private func facets(categories: [FacetsDTO.CategoryCount], bands: [Int]) -> FacetsDTO {
        let priceBands = PriceBands.bounds.enumerated().map { index, lower in
            FacetsDTO.PriceBand(min: Money(amount: lower, currency: currency),
                                max: index + 1 < PriceBands.bounds.count ? Money(amount: PriceBands.bounds[index + 1], currency: currency) : nil,
                                count: bands[index])
        }
        return FacetsDTO(categories: categories.sorted { ($0.count, $1.name) > ($1.count, $0.name) }, priceBands: priceBands)
    }
}
