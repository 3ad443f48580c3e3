import Foundation
import Logging
import PlexusKit
import PostgresNIO
import ShopAPI

/// What a demo seeding produced.
public struct DemoCatalogSummary: Sendable {
    /// Categories (top level and leaves).
    public var categories: Int
    /// Products.
    public var products: Int
    /// Variants.
    public var variants: Int
}

/// Column arrays for bulk `INSERT … SELECT FROM unnest(…)`.
struct DemoRows {
    var productIDs: [UUID] = [], shopIDs: [UUID] = [], categoryIDs: [UUID] = [], slugs: [String] = [], names: [String] = []
    var descriptions: [String] = [], attributes: [String] = []
    var variantIDs: [UUID] = [], variantProducts: [UUID] = [], skus: [String] = [], options: [String] = []
    var prices: [Int] = [], compareAt: [Int] = [], stock: [Int] = []
    var imageProducts: [UUID] = [], imageIDs: [UUID] = [], imagePositions: [Int] = []
}

extension CatalogService {
    /// Whether the catalogue has no products yet (the demo seeder's precondition).
    public static func isEmpty(client: DatabaseClient, logger: Logger) async throws -> Bool {
        try await client.query("SELECT NOT EXISTS (SELECT 1 FROM products)", logger: logger).decode(Bool.self).reduce(true) { $0 && $1 }
    }

    /// Creates the demo catalogue (category tree, `count` published products with variants, stock
    /// and placeholder images over `shops`) deterministically from `seed`, with a few bulk
    /// statements. Returns `nil` when the catalogue already has products.
    public static func seedDemo(client: DatabaseClient, shops: [ShopChanged], seed: UInt64, count: Int, currency: String, images: [UUID] = [],
                                logger: Logger) async throws -> DemoCatalogSummary? {
        precondition(!shops.isEmpty, "the demo catalogue needs at least one shop")
        return try await client.withTransaction(logger: logger) { connection -> DemoCatalogSummary? in
            for try await existing in try await connection.query("SELECT count(*)::int FROM products", logger: logger).decode(Int.self) where existing > 0 {
                return nil
            }
            let directory = ShopDirectory(client: client, shops: nil)
            for shop in shops { try await directory.upsert(shop, connection, logger: logger) }
            var random = SeededGenerator(seed: seed)
            let base: UInt64 = 1_767_225_600_000 // 2026-01-01T00:00:00Z
            var leaves: [(UUID, DemoVocabulary.Leaf)] = []
            var categoryCount = 0
            for (topIndex, (topName, children)) in DemoVocabulary.tree.enumerated() {
                let topID = try await upsertCategory(random.uuid(milliseconds: base), name: topName, parent: nil, position: topIndex, connection, logger: logger)
                categoryCount += 1
                for (childIndex, leaf) in children.enumerated() {
                    let id = try await upsertCategory(random.uuid(milliseconds: base), name: leaf.name, parent: topID, position: childIndex, connection, logger: logger)
                    leaves.append((id, leaf))
                    categoryCount += 1
                }
            }
            var rows = DemoRows()
            for index in 0..<count {
                generateProduct(index: index, leaf: leaves[index % leaves.count], shop: shops[index % shops.count].shopId,
                                milliseconds: base + UInt64(index) * 60_000, images: images, random: &random, into: &rows)
            }
            try await insert(rows, currency: currency, connection, logger: logger)
            // Fresh statistics, so the planner sees a thousand rows rather than an empty table.
            try await connection.query("ANALYZE categories, products, variants, product_images, search_terms", logger: logger)
            try await CatalogCache.notifyCategories(on: connection, logger: logger)
            return DemoCatalogSummary(categories: categoryCount, products: rows.productIDs.count, variants: rows.variantIDs.count)
        }
    }

    private static func upsertCategory(_ id: UUID, name: String, parent: UUID?, position: Int, _ connection: PostgresConnection, logger: Logger) async throws -> UUID {
        let rows = try await connection.query("""
            INSERT INTO categories (id, parent_id, name, slug, position) VALUES (\(id), \(parent), \(name), \(Slug.make(from: name)), \(position))
            ON CONFLICT ON CONSTRAINT categories_slug_key DO UPDATE SET name = EXCLUDED.name RETURNING id
            """, logger: logger)
        for try await id in rows.decode(UUID.self) { return id }
        return id
    }

    static func generateProduct(index: Int, leaf: (UUID, DemoVocabulary.Leaf), shop: UUID, milliseconds: UInt64, images: [UUID] = [],
                                random: inout SeededGenerator, into rows: inout DemoRows) {
        let (categoryID, vocabulary) = leaf
        let brand = DemoVocabulary.brands.randomElement(using: &random)!
        let adjective = vocabulary.adjectives.randomElement(using: &random)!
        let noun = vocabulary.nouns.randomElement(using: &random)!
        let material = vocabulary.material.randomElement(using: &random)!
        let name = "\(brand) \(adjective) \(noun)"
        let id = random.uuid(milliseconds: milliseconds)
        let slug = Slug.make(from: name) + "-\(index + 1)"
        rows.productIDs.append(id)
        rows.shopIDs.append(shop)
        rows.categoryIDs.append(categoryID)
        rows.slugs.append(slug)
        rows.names.append(name)
        rows.descriptions.append("The \(name.lowercased()) from \(brand): \(adjective.lowercased()) \(material.lowercased()) \(noun.lowercased()) for \(vocabulary.name.lowercased()) lovers. Demo item \(index + 1).")
        rows.attributes.append(encodeJSON(["brand": brand, "material": material]))
        let basePrice = Int.random(in: vocabulary.priceRange, using: &random) / 100 * 100 + 99
        // Up to two option axes, a few values of each.
        var combinations: [[String: String]] = [[:]]
        for (option, values) in vocabulary.options.prefix(2) {
            let picked = Array(values.shuffled(using: &random).prefix(Int.random(in: 1...min(3, values.count), using: &random)))
            combinations = combinations.flatMap { partial in picked.map { partial.merging([option: $0]) { $1 } } }
        }
        for (variantIndex, combination) in combinations.prefix(6).enumerated() {
            rows.variantIDs.append(random.uuid(milliseconds: milliseconds))
            rows.variantProducts.append(id)
            rows.skus.append("DEMO-\(index + 1)-\(variantIndex + 1)")
            rows.options.append(encodeJSON(combination))
            let price = basePrice + (variantIndex % 3) * 500
            rows.prices.append(price)
            rows.compareAt.append(Int.random(in: 0..<5, using: &random) == 0 ? price + price / 5 : -1)
            rows.stock.append(Int.random(in: 0..<10, using: &random) == 0 ? 0 : Int.random(in: 1...60, using: &random))
        }
        for position in 0..<Int.random(in: 1...3, using: &random) {
            _ = random.uuid(milliseconds: milliseconds)  // drawn as before, so a seed keeps giving the same catalogue
            guard images.count >= 3 else { continue }
            rows.imageProducts.append(id)
            rows.imageIDs.append(images[(index * 3 + position) % images.count])
            rows.imagePositions.append(position)
        }
    }

    private static func insert(_ rows: DemoRows, currency: String, _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO products (id, shop_id, category_id, slug, name, description, attributes, status, currency)
            SELECT id, shop, category, slug, name, description, attributes::jsonb, 'published', \(currency)
            FROM unnest(\(rows.productIDs)::uuid[], \(rows.shopIDs)::uuid[], \(rows.categoryIDs)::uuid[], \(rows.slugs)::text[], \(rows.names)::text[],
                        \(rows.descriptions)::text[], \(rows.attributes)::text[]) AS t(id, shop, category, slug, name, description, attributes)
            """, logger: logger)
        try await connection.query("""
            INSERT INTO variants (id, product_id, sku, options, price, compare_at_price, on_hand)
            SELECT id, product, sku, options::jsonb, price, nullif(compare_at, -1), stock
            FROM unnest(\(rows.variantIDs)::uuid[], \(rows.variantProducts)::uuid[], \(rows.skus)::text[], \(rows.options)::text[],
                        \(rows.prices)::bigint[], \(rows.compareAt)::bigint[], \(rows.stock)::int[]) AS t(id, product, sku, options, price, compare_at, stock)
            """, logger: logger)
        try await connection.query("""
            UPDATE products p SET min_price = r.low, max_price = r.high
            FROM (SELECT product_id, min(price) AS low, max(price) AS high FROM variants GROUP BY product_id) r WHERE r.product_id = p.id
            """, logger: logger)
        try await connection.query("""
            INSERT INTO product_images (product_id, media_id, position)
            SELECT * FROM unnest(\(rows.imageProducts)::uuid[], \(rows.imageIDs)::uuid[], \(rows.imagePositions)::int[])
            """, logger: logger)
    }
}
