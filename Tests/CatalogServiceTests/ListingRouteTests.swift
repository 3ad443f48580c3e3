import CatalogAPI
import CatalogService
import Foundation
import HummingbirdTesting
import PlexusKit
import PlexusKitTesting
import PostgresNIO
import ShopAPI
import Testing

/// Listing tests run over the deterministic demo catalogue.
func withDemoCatalog<T: Sendable>(products: Int = 300, _ body: @Sendable (CatalogHarness, any TestClientProtocol, [ShopChanged]) async throws -> T) async throws -> T {
    try await CatalogHarness.with { harness, http in
        let shops = (1...3).map { ShopChanged(shopId: .v7(), ownerId: .v7(), name: "Shop \($0)", slug: "shop-\($0)") }
        let summary = try await CatalogService.seedDemo(client: harness.client, shops: shops, seed: 7, count: products, currency: "USD", logger: testLogger())
        #expect(summary?.products == products)
        return try await body(harness, http, shops)
    }
}

extension TestClientProtocol {
    func list(_ query: String) async throws -> ProductListDTO {
        let response = try await get("/api/v1/products?\(query)")
        #expect(response.status == .ok, "\(query) → \(response.text)")
        return try response.decode(ProductListDTO.self)
    }

    /// Every page of a listing, following cursors.
    func all(_ query: String, limit: Int = 37) async throws -> [ProductSummaryDTO] {
        var items: [ProductSummaryDTO] = []
        var cursor: String?
        repeat {
            let page = try await list(query + "&limit=\(limit)" + (cursor.map { "&cursor=\($0)" } ?? ""))
            items += page.items
            cursor = page.nextCursor
        } while cursor != nil && items.count < 2000
        return items
    }
}

@Suite("Catalog: search and listing")
struct ListingRouteTests {
    @Test("a typo-ridden search still finds the product, best match first")
    func typoTolerantSearch() async throws {
        try await withDemoCatalog { _, http, _ in
            let found = try await http.list("q=wireles%20hedphones")
            #expect(!found.items.isEmpty)
            #expect(found.items.allSatisfy { $0.name.contains("Wireless Headphones") }, "\(found.items.map(\.name))")
            let exact = try await http.list("q=headphones")
            #expect(!exact.items.isEmpty)
            #expect(exact.items.allSatisfy { $0.name.contains("Headphones") })
            // a word only in the attributes (brand) finds products too
            let brand = try await http.list("q=sonora&limit=100")
            #expect(brand.items.allSatisfy { $0.name.hasPrefix("Sonora") })
            #expect(!brand.items.isEmpty)
        }
    }

    @Test("filters: category with sub-categories, shop, price range, stock, attributes")
    func filters() async throws {
        try await withDemoCatalog { harness, http, shops in
            // category by slug includes its sub-categories
            let electronics = try await http.all("category=electronics")
            let leaves = Set(try await harness.client.column("""
                SELECT c.id FROM categories c JOIN categories parent ON parent.id = c.parent_id WHERE parent.slug = 'electronics'
                """, as: UUID.self))
            #expect(!electronics.isEmpty)
            #expect(electronics.allSatisfy { leaves.contains($0.categoryId) })
            let expected = try await harness.client.column("""
                SELECT count(*)::int FROM products p WHERE p.status = 'published' AND p.category_id = ANY(\(Array(leaves))::uuid[])
                """, as: Int.self)
            #expect([electronics.count] == expected)
            #expect(Set(electronics.map(\.id)).count == electronics.count)

            // shop
            let ofShop = try await http.all("shop=\(shops[1].shopId)")
            #expect(!ofShop.isEmpty && ofShop.allSatisfy { $0.shopId == shops[1].shopId })

            // price range overlaps [20.00, 50.00]
            let priced = try await http.all("minPrice=2000&maxPrice=5000")
            #expect(!priced.isEmpty)
            #expect(priced.allSatisfy { $0.priceRange.max.amount >= 2000 && $0.priceRange.min.amount <= 5000 })

            // stock
            let inStock = try await http.all("inStock=true")
            let outOfStock = try await http.all("inStock=false")
            #expect(inStock.allSatisfy(\.inStock) && outOfStock.allSatisfy { !$0.inStock })
            #expect(inStock.count + outOfStock.count == 300)

            // attributes
            let brand = try await http.all("attr.brand=Sonora&attr.material=Leather")
            let details = try await harness.client.column("""
                SELECT count(*)::int FROM products WHERE attributes @> '{"brand":"Sonora","material":"Leather"}'
                """, as: Int.self)
            #expect([brand.count] == details)
        }
    }

    @Test("sorts order the whole result, and cursors walk it without gaps or repeats")
    func sortsAndCursors() async throws {
        try await withDemoCatalog { _, http, _ in
            let ascending = try await http.all("sort=price")
            #expect(ascending.count == 300)
            #expect(Set(ascending.map(\.id)).count == 300)
            #expect(zip(ascending, ascending.dropFirst()).allSatisfy { $0.priceRange.min.amount <= $1.priceRange.min.amount })
            let descending = try await http.all("sort=-price&category=fashion")
            #expect(zip(descending, descending.dropFirst()).allSatisfy { $0.priceRange.min.amount >= $1.priceRange.min.amount })
            let newest = try await http.all("sort=newest", limit: 100)
            #expect(newest.map(\.id) == newest.map(\.id).sorted { $0.uuidString > $1.uuidString })
            // counters are zero until orders and reviews exist: these sorts still page through everything
            #expect(Set(try await http.all("sort=bestSelling").map(\.id)).count == 300)
            #expect(Set(try await http.all("sort=rating").map(\.id)).count == 300)
            let relevance = try await http.all("q=speaker&sort=relevance", limit: 5)
            #expect(Set(relevance.map(\.id)).count == relevance.count)
        }
    }

    @Test("facets count the whole result by category and price band")
    func facets() async throws {
        try await withDemoCatalog { _, http, _ in
            let page = try await http.list("category=electronics&limit=5")
            let total = try await http.all("category=electronics").count
            #expect(page.facets.categories.reduce(0) { $0 + $1.count } == total)
            #expect(page.facets.priceBands.reduce(0) { $0 + $1.count } == total)
            #expect(Set(page.facets.categories.map(\.name)).isSubset(of: ["Audio", "Computers", "Phones", "Cameras"]))
            #expect(page.facets.priceBands.first?.min == usd(0))
            #expect(page.facets.priceBands.last?.max == nil)
        }
    }

    @Test("bad query strings are 400s, hostile ones are harmless, never a 500")
    func hostileQueries() async throws {
        try await withDemoCatalog(products: 30) { harness, http, _ in
            for query in ["limit=1000000", "limit=0", "limit=abc", "sort=name", "sort=price;DROP TABLE products", "minPrice=-1", "minPrice=1.5",
                          "inStock=maybe", "cursor=garbage", "colour=red", "shop=not-a-uuid", "category=Not%20A%20Slug", "minPrice=500&maxPrice=100",
                          "attr.=x"] {
                let response = try await http.get("/api/v1/products?\(query)")
                #expect(response.status == .badRequest, "\(query) → \(response.status)")
                #expect(try response.problem().code == "invalid_query")
            }
            for q in ["'; DROP TABLE products; --", "%27%20OR%201%3D1--", "%5C%5C%00", "!!!", "a%20%26%20%7C%20!b", "%22unterminated", "*:*",
                      String(repeating: "x", count: 199)] {
                let response = try await http.get("/api/v1/products?q=\(q)")
                #expect(response.status == .ok, "q=\(q) → \(response.status) \(response.text)")
            }
            #expect(try await harness.client.column("SELECT count(*)::int FROM products", as: Int.self) == [30])
            #expect(try await http.get("/api/v1/products?q=\(String(repeating: "x", count: 201))").status == .badRequest)
            #expect(try await http.get("/api/v1/products/%27%3B--").status == .notFound)
        }
    }

    @Test("a listing that counts facets runs on the sessions kept for counting; a page alone on the main pool; both answer alike")
    func countingSessions() async throws {
        try await CatalogHarness.with(cacheSize: 0) { harness, http in
            let counting: PostgresQuery = "SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'plexus catalog: listing counts'"
            #expect(try await harness.client.column(counting, as: Int.self) == [0])
            // caches off: every listing counts its facets, and answers the same once its text is prepared
            let first = try await http.get("/api/v1/products?sort=price&inStock=true&limit=5").text
            for _ in 0..<6 { #expect(try await http.get("/api/v1/products?sort=price&inStock=true&limit=5").text == first) }
            #expect(try await harness.client.column(counting, as: Int.self).first ?? 0 >= 1)
        }
    }
}
