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

    @Test("listings that differ only in sort or page share their facet counts; a product change recounts them")
    func sharedFacets() async throws {
        try await withDemoCatalog(products: 60) { harness, http, _ in
            #expect(try await eventually(timeout: .seconds(5)) { harness.cacheListening })
            // the seeding's announcements (one per product) arrive within milliseconds; each empties
            // the listing caches, so let them pass before caching anything
            try await Task.sleep(for: .seconds(1))
            let first = try await http.list("category=electronics&sort=price&limit=5")
            let gone = try #require(first.items.first)
            // a product archived behind the service's back (no cache message): only a recount sees it
            try await harness.client.query("UPDATE products SET status = 'archived' WHERE id = \(gone.id)", logger: testLogger())
            let reordered = try await http.list("category=electronics&sort=newest&limit=7")
            #expect(!reordered.items.contains { $0.id == gone.id }) // the page itself is read afresh
            #expect(reordered.facets == first.facets)                // its facet counts are the first listing's
            let nextPage = try await http.list("category=electronics&sort=price&limit=5&cursor=\(try #require(first.nextCursor))")
            #expect(nextPage.facets == first.facets)
            // a change announced as the service announces it recounts them
            try await harness.client.query("SELECT pg_notify('catalog_cache', \(gone.id.uuidString))", logger: testLogger())
            let total = first.facets.categories.reduce(0) { $0 + $1.count }
            #expect(try await eventually(timeout: .seconds(2)) {
                try await http.list("category=electronics&sort=rating&limit=3").facets.categories.reduce(0) { $0 + $1.count } == total - 1
            })
        }
    }

    @Test("held units that leave some available keep cached listings (only the detail changes); a sale drops the best-selling order; the last units drop them all")
    func stockAndListings() async throws {
        try await CatalogHarness.with { harness, http in
            #expect(try await eventually(timeout: .seconds(5)) { harness.cacheListening })
            let category = try await harness.category(http, "Audio")
            let (seller, _) = try await harness.openShop(http)
            let created = try await http.create(product("Speaker", category: category, sku: "SP-1", stock: 3), token: seller)
            let variant = created.variants[0].id
            let token = try await harness.serviceToken()
            let newest = "category=\(category)", bestSelling = "category=\(category)&sort=bestSelling"
            #expect(try await http.list(newest).items.map(\.name) == ["Speaker"])
            #expect(try await http.list(bestSelling).items.map(\.name) == ["Speaker"])
            #expect(try await http.get("/api/v1/products/\(created.id)").decode(ProductDTO.self).variants[0].available == 3)
            // a rename behind the service's back (no cache message) shows only where a listing is read afresh
            try await harness.client.query("UPDATE products SET name = 'Renamed' WHERE id = \(created.id)", logger: testLogger())

            // one of three units held: the detail follows, the listings stay
            let order = UUID.v7()
            #expect(try await http.reserve(order, [(variant, 1)], token: token).status == .created)
            #expect(try await eventually(timeout: .seconds(2)) {
                try await http.get("/api/v1/products/\(created.id)").decode(ProductDTO.self).variants[0].available == 2
            })
            #expect(try await http.list(newest).items.map(\.name) == ["Speaker"])
            #expect(try await http.list(bestSelling).items.map(\.name) == ["Speaker"])

            // sold: the best-selling order may change, so those listings go; the others stay
            #expect(try await http.send(.post, CatalogEndpoints.commit.path(["orderId": order.uuidString]), [String: String](), token: token).status == .ok)
            #expect(try await eventually(timeout: .seconds(2)) { try await http.list(bestSelling).items.map(\.name) == ["Renamed"] })
            #expect(try await http.list(newest).items.map(\.name) == ["Speaker"])

            // the last two units held: out of stock, every listing goes
            let last = UUID.v7()
            #expect(try await http.reserve(last, [(variant, 2)], token: token).status == .created)
            #expect(try await eventually(timeout: .seconds(2)) { try await http.list(newest).items.map(\.inStock) == [false] })
            #expect(try await http.list(newest).items.map(\.name) == ["Renamed"])
            #expect(try await http.list("category=\(category)&inStock=true").items.isEmpty)

            // released from none available: in stock again, every listing goes
            #expect(try await http.send(.post, CatalogEndpoints.release.path(["orderId": last.uuidString]), [String: String](), token: token).status == .ok)
            #expect(try await eventually(timeout: .seconds(2)) { try await http.list(newest).items.map(\.inStock) == [true] })
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

    @Test("stored documents: with the memory cache off a read is the product's stored document while its rows are unchanged; a change to the product, a variant or an image is seen at once")
    func storedDocuments() async throws {
        try await CatalogHarness.with(cacheSize: 0) { harness, http in
            let category = try await harness.category(http, "Lighting")
            let (seller, _) = try await harness.openShop(http)
            let created = try await http.create(product("Lamp", category: category, sku: "LP-1", stock: 5), token: seller)
            let sql = harness.client
            let id = created.id
            func detail(_ name: String) async throws -> ProductDTO { try await http.get("/api/v1/products/\(name)").decode(ProductDTO.self) }
            // A document whose stamp still matches is served as stored: replacing its bytes shows which one was served.
            func tamper() async throws {
                try await sql.query("UPDATE product_documents SET body = convert_to('{\"tampered\":true}', 'UTF8') WHERE product_id = \(id)", logger: testLogger())
            }

            let first = try await http.get("/api/v1/products/\(created.slug)")
            var stored: (String, String)?
            for try await row in try await sql.query("SELECT etag, convert_from(body, 'UTF8') FROM product_documents WHERE product_id = \(id)", logger: testLogger()) {
                stored = try row.decode((String, String).self)
            }
            #expect(stored?.0 == first.headers[.eTag] && stored?.1 == first.text, "the read stored what it served, with its tag")
            try await tamper()
            #expect(try await http.get("/api/v1/products/\(created.slug)").text == #"{"tampered":true}"#)
            #expect(try await http.get("/api/v1/products/\(id)").text == #"{"tampered":true}"#)

            // units held (a variant row changes, not the product row): rebuilt, then served from the new document
            try await sql.query("UPDATE variants SET reserved = reserved + 2 WHERE product_id = \(id)", logger: testLogger())
            #expect(try await detail(created.slug).variants[0].available == 3)
            try await tamper()
            #expect(try await http.get("/api/v1/products/\(id)").text == #"{"tampered":true}"#)
            // an image attached, then its thumbnails filled in
            let media = UUID.v7()
            try await sql.query("INSERT INTO product_images (product_id, media_id, position) VALUES (\(id), \(media), 0)", logger: testLogger())
            #expect(try await detail(created.slug).images.map(\.mediaId) == [media])
            try await tamper()
            try await sql.query("UPDATE product_images SET thumbnails = '{\"small\": \"s.webp\"}' WHERE product_id = \(id)", logger: testLogger())
            #expect(try await detail("\(id)").images.first?.thumbnails?.small == "s.webp")
            // a second variant added, then deleted
            try await tamper()
            _ = try await http.send(.post, "/api/v1/products/\(id)/variants", CreateVariantRequest(sku: "LP-2", price: usd(500)), token: seller)
            #expect(try await detail(created.slug).variants.count == 2)
            try await tamper()
            try await sql.query("DELETE FROM variants WHERE sku = 'LP-2'", logger: testLogger())
            #expect(try await detail(created.slug).variants.map(\.sku) == ["LP-1"])
            // the product row itself
            try await tamper()
            try await sql.query("UPDATE products SET name = 'Desk Lamp' WHERE id = \(id)", logger: testLogger())
            #expect(try await detail(created.slug).name == "Desk Lamp")
            // a document stored by a release that encoded details differently is not served
            try await tamper()
            try await sql.query("UPDATE product_documents SET stamp = 'older-format/' || split_part(stamp, '/', 2) || '/' || split_part(stamp, '/', 3) || '/' || split_part(stamp, '/', 4) WHERE product_id = \(id)",
                                logger: testLogger())
            #expect(try await detail(created.slug).name == "Desk Lamp")
        }
    }
}
