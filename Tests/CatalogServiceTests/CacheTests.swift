import CatalogAPI
import Foundation
import HummingbirdTesting
import PlexusKit
import PlexusKitTesting
import Testing

@Suite("Catalog: caching across replicas")
struct CacheTests {
    @Test("two instances on one database: a price change on one is seen by the other at once")
    func crossReplicaInvalidation() async throws {
        let url = try await CatalogHarness.makeDatabase()
        let issuer = try TestIssuer()
        try await CatalogHarness.with(url: url, issuer: issuer) { first, a in
            try await CatalogHarness.with(url: url, issuer: issuer) { second, b in
                // setup: a product, read through B so B caches it
                let category = try await first.category(a, "Audio")
                let (seller, _) = try await first.openShop(a)
                let created = try await a.create(product("Speaker", category: category, sku: "SP-1", price: 1000), token: seller)
                #expect(try await b.get("/api/v1/products/\(created.slug)").decode(ProductDTO.self).variants[0].price == usd(1000))
                #expect(try await b.get("/api/v1/products/\(created.slug)").decode(ProductDTO.self).variants[0].price == usd(1000))
                #expect(try await b.get("/api/v1/products?q=speaker").decode(ProductListDTO.self).items.map(\.priceRange.min) == [usd(1000)])
                #expect(try await eventually(timeout: .seconds(5)) { second.cacheListening })

                // act: change the price through A
                let changed = try await a.send(.patch, "/api/v1/variants/\(created.variants[0].id)", UpdateVariantRequest(price: usd(1500)), token: seller)
                #expect(changed.status == .ok)

                // assert: B serves the new price as soon as the NOTIFY arrives (milliseconds)
                let seen = try await eventually(timeout: .seconds(2)) {
                    try await b.get("/api/v1/products/\(created.slug)").decode(ProductDTO.self).variants[0].price == usd(1500)
                }
                #expect(seen)
                #expect(try await b.get("/api/v1/products?q=speaker").decode(ProductListDTO.self).items.map(\.priceRange.min) == [usd(1500)])
                // and the category tree too
                _ = try await first.category(a, "Books")
                #expect(try await eventually(timeout: .seconds(2)) { try await b.get("/api/v1/categories").decode([CategoryDTO].self).count == 2 })
            }
        }
    }

    @Test("product detail carries ETag and Cache-Control; If-None-Match answers 304; a change gives a new tag")
    func conditionalDetail() async throws {
        try await CatalogHarness.with { harness, http in
            let category = try await harness.category(http, "Audio")
            let (seller, _) = try await harness.openShop(http)
            let created = try await http.create(product("Speaker", category: category, sku: "SP-1"), token: seller)
            let first = try await http.get("/api/v1/products/\(created.id)")
            let etag = try #require(first.headers[.eTag])
            #expect(first.headers[.cacheControl] == "public, max-age=60")
            let again = try await http.get("/api/v1/products/\(created.id)", headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)
            _ = try await http.send(.put, "/api/v1/variants/\(created.variants[0].id)/stock", SetStockRequest(onHand: 9), token: seller)
            let changed = try await http.get("/api/v1/products/\(created.id)", headers: [.ifNoneMatch: etag])
            #expect(changed.status == .ok)
            #expect(changed.headers[.eTag] != etag)
        }
    }

    @Test("with the cache off every read goes to the database and is still correct")
    func uncached() async throws {
        try await CatalogHarness.with(cacheSize: 0) { harness, http in
            let category = try await harness.category(http, "Audio")
            let (seller, _) = try await harness.openShop(http)
            let created = try await http.create(product("Speaker", category: category, sku: "SP-1"), token: seller)
            try await harness.client.query("UPDATE products SET name = 'Renamed' WHERE id = \(created.id)", logger: testLogger())
            #expect(try await http.get("/api/v1/products/\(created.id)").decode(ProductDTO.self).name == "Renamed")
        }
    }
}
