import CatalogAPI
import Foundation
import PlexusKit
import PlexusKitTesting
import Testing

@Suite("Catalog: product changes")
struct ProductWriteTests {
    @Test("a seller creates, edits, re-prices, stocks and archives their own product")
    func sellerLifecycle() async throws {
        try await CatalogHarness.with { harness, http in
            // setup
            let category = try await harness.category(http, "Audio")
            let (seller, shop) = try await harness.openShop(http)

            // act: create with two variants
            var request = product("Wireless Headphones", category: category, sku: "WH-1", price: 4999, stock: 3, attributes: ["brand": "Sonora"])
            request.variants.append(CreateVariantRequest(sku: "WH-2", options: ["colour": "White"], price: usd(5999), compareAtPrice: usd(6999), stock: 0))
            let created = try await http.create(request, token: seller)

            // assert
            #expect(created.shopId == shop)
            #expect(created.slug == "wireless-headphones")
            #expect(created.priceRange == PriceRange(min: usd(4999), max: usd(5999)))
            #expect(created.variants.map(\.available).sorted() == [0, 3])
            #expect(created.variants.first { $0.sku == "WH-2" }?.inStock == false)
            #expect(created.attributes == ["brand": "Sonora"])

            // edit, re-price, stock
            let edited = try await http.send(.patch, "/api/v1/products/\(created.id)", UpdateProductRequest(name: "Studio Headphones"), token: seller)
            #expect(try edited.decode(ProductDTO.self).name == "Studio Headphones")
            let variant = try #require(created.variants.first { $0.sku == "WH-1" })
            let repriced = try await http.send(.patch, "/api/v1/variants/\(variant.id)", UpdateVariantRequest(price: usd(3999)), token: seller)
            #expect(try repriced.decode(ProductDTO.self).priceRange.min == usd(3999))
            let stocked = try await http.send(.put, "/api/v1/variants/\(variant.id)/stock", SetStockRequest(onHand: 10), token: seller)
            #expect(try stocked.decode(ProductDTO.self).variants.first { $0.id == variant.id }?.available == 10)
            let cleared = try await http.sendRaw(.patch, "/api/v1/variants/\(created.variants.first { $0.sku == "WH-2" }!.id)", #"{"compareAtPrice": null}"#, token: seller)
            #expect(try cleared.decode(ProductDTO.self).variants.allSatisfy { $0.compareAtPrice == nil })

            // add a variant, attach an image, delete a variant; the last one stays
            let added = try await http.send(.post, "/api/v1/products/\(created.id)/variants", CreateVariantRequest(sku: "WH-3", price: usd(100)), token: seller)
            #expect(added.status == .created)
            // attaching asks the media service, which is not running here: a clear 503 and nothing attached
            // (the system test attaches real uploads through the gateway)
            let media = UUID.v7()
            let withImage = try await http.send(.post, "/api/v1/products/\(created.id)/images", AttachImageRequest(mediaId: media, position: 0), token: seller)
            #expect(withImage.status == .serviceUnavailable, "\(withImage.text)")
            // another shop's product is not found before the media service is asked (it would mark the upload attached)
            let (otherSeller, _) = try await harness.openShop(http)
            let notTheirs = try await http.send(.post, "/api/v1/products/\(created.id)/images", AttachImageRequest(mediaId: media), token: otherSeller)
            #expect(notTheirs.status == .notFound, "\(notTheirs.text)")
            #expect(try await http.get("/api/v1/products/\(created.id)").decode(ProductDTO.self).images.isEmpty)
            let all = try await http.get("/api/v1/products/\(created.id)").decode(ProductDTO.self).variants
            #expect(all.count == 3)
            for extra in all.dropFirst() { #expect(try await http.delete("/api/v1/variants/\(extra.id)", token: seller).status == .noContent) }
            let last = try await http.delete("/api/v1/variants/\(all[0].id)", token: seller)
            #expect(last.status == .conflict)
            #expect(try last.problem().code == "last_variant")

            // archive: still readable, no longer listed
            #expect(try await http.delete("/api/v1/products/\(created.id)", token: seller).status == .noContent)
            #expect(try await http.get("/api/v1/products/\(created.id)").decode(ProductDTO.self).status == .archived)
            #expect(try await http.get("/api/v1/products").decode(ProductListDTO.self).items.isEmpty)
        }
    }

    @Test("customers, strangers and other sellers cannot touch a product (403 / 401 / 404)")
    func ownership() async throws {
        try await CatalogHarness.with { harness, http in
            let category = try await harness.category(http, "Audio")
            let (owner, _) = try await harness.openShop(http)
            let (other, _) = try await harness.openShop(http)
            let created = try await http.create(product("Speaker", category: category, sku: "SP-1"), token: owner)
            let variant = created.variants[0].id
            let customer = try await harness.issuer.token(roles: [.customer])
            let sellerWithoutShop = try await harness.issuer.token(roles: [.customer, .seller])

            #expect(try await http.send(.post, "/api/v1/products", product("X", category: category, sku: "X-1"), token: customer).status == .forbidden)
            #expect(try await http.send(.post, "/api/v1/products", product("X", category: category, sku: "X-1")).status == .unauthorized)
            let noShop = try await http.send(.post, "/api/v1/products", product("X", category: category, sku: "X-1"), token: sellerWithoutShop)
            #expect(noShop.status == .forbidden)
            #expect(try noShop.problem().code == "no_shop")

            #expect(try await http.send(.patch, "/api/v1/products/\(created.id)", UpdateProductRequest(name: "Mine"), token: other).status == .notFound)
            #expect(try await http.delete("/api/v1/products/\(created.id)", token: other).status == .notFound)
            #expect(try await http.send(.put, "/api/v1/variants/\(variant)/stock", SetStockRequest(onHand: 0), token: other).status == .notFound)
            #expect(try await http.send(.patch, "/api/v1/variants/\(variant)", UpdateVariantRequest(price: usd(1)), token: other).status == .notFound)
            #expect(try await http.delete("/api/v1/variants/\(variant)", token: other).status == .notFound)
            #expect(try await http.send(.post, "/api/v1/products/\(created.id)/variants", CreateVariantRequest(sku: "Z", price: usd(1)), token: other).status == .notFound)
            #expect(try await http.send(.patch, "/api/v1/products/\(created.id)", UpdateProductRequest(name: "X"), token: customer).status == .forbidden)

            // nothing changed
            let after = try await http.get("/api/v1/products/\(created.id)").decode(ProductDTO.self)
            #expect(after.name == "Speaker" && after.status == .published && after.variants.map(\.available) == [5])

            // an admin may change it, and must name a shop to create one
            let admin = try await harness.adminToken()
            #expect(try await http.send(.patch, "/api/v1/products/\(created.id)", UpdateProductRequest(name: "Admin Edit"), token: admin).status == .ok)
            #expect(try await http.send(.post, "/api/v1/products", product("Y", category: category, sku: "Y-1"), token: admin).status == .unprocessableContent)
            var named = product("Y", category: category, sku: "Y-1")
            named.shopId = created.shopId
            #expect(try await http.send(.post, "/api/v1/products", named, token: admin).status == .created)
        }
    }

    @Test("invalid products are refused with field errors and store nothing")
    func validation() async throws {
        try await CatalogHarness.with { harness, http in
            let category = try await harness.category(http, "Audio")
            let (seller, _) = try await harness.openShop(http)
            let base = product("Thing", category: category, sku: "T-1")
            _ = try await http.create(base, token: seller)

            func variant(_ json: String) -> String {
                #"{"name":"Other","categoryId":"\#(category)","variants":[\#(json)]}"#
            }
            let cases: [(String, Int, String)] = [
                (variant(#"{"sku":"N-1","price":{"amount":-1,"currency":"USD"}}"#), 422, "variants[0].price.amount"),
                (variant(#"{"sku":"N-1","price":{"amount":19.99,"currency":"USD"}}"#), 400, "variants[0].price.amount"),
                (variant(#"{"sku":"N-1","price":{"amount":100,"currency":"EUR"}}"#), 422, "variants[0].price.currency"),
                (variant(#"{"sku":"N-1","price":{"amount":100,"currency":"usd"}}"#), 422, "variants[0].price.currency"),
                (variant(#"{"sku":"N-1","price":{"amount":100,"currency":"USD"},"compareAtPrice":{"amount":50,"currency":"USD"}}"#), 422, "variants[0].compareAtPrice"),
                (variant(#"{"sku":"bad sku!","price":{"amount":100,"currency":"USD"}}"#), 422, "variants[0].sku"),
                (variant(#"{"sku":"N-1","price":{"amount":100,"currency":"USD"},"stock":-3}"#), 422, "variants[0].stock"),
                (variant(#"{"sku":"N-1","price":{"amount":100,"currency":"USD"},"reserved":3}"#), 400, "variants[0]"),
                (#"{"name":"Other","categoryId":"\#(category)","variants":[]}"#, 422, "variants"),
                (#"{"name":"Other","categoryId":"\#(category)","variants":[{"sku":"D-1","price":{"amount":1,"currency":"USD"}},{"sku":"d-1","price":{"amount":1,"currency":"USD"}}]}"#, 422, "variants[1].sku"),
                (#"{"name":"Other","categoryId":"\#(UUID.v7())","variants":[{"sku":"C-1","price":{"amount":1,"currency":"USD"}}]}"#, 422, "categoryId"),
                (#"{"name":"Other","categoryId":"\#(category)","price":5,"variants":[{"sku":"C-1","price":{"amount":1,"currency":"USD"}}]}"#, 400, "price"),
                (#"{"name":"","categoryId":"\#(category)","variants":[{"sku":"C-1","price":{"amount":1,"currency":"USD"}}]}"#, 422, "name"),
                (#"{"name":"Other","categoryId":"\#(category)","status":"archived","variants":[{"sku":"C-1","price":{"amount":1,"currency":"USD"}}]}"#, 422, "status"),
            ]
            for (body, status, field) in cases {
                let response = try await http.sendRaw(.post, "/api/v1/products", body, token: seller)
                #expect(Int(response.status.code) == status, "\(body) → \(response.text)")
                #expect(try response.problem().errors?.contains { $0.field.hasPrefix(field) } == true, "\(body) → \(response.text)")
            }
            // the same SKU as an existing variant (any case)
            let duplicate = try await http.send(.post, "/api/v1/products", product("Other", category: category, sku: "t-1"), token: seller)
            #expect(duplicate.status == .conflict)
            #expect(try duplicate.problem().code == "sku_taken")
            // the same explicit slug
            var slugged = product("Other", category: category, sku: "S-1")
            slugged.slug = "thing"
            #expect(try await http.send(.post, "/api/v1/products", slugged, token: seller).status == .conflict)
            // a derived slug that is taken gets a suffix
            let second = try await http.create(product("Thing", category: category, sku: "T-2"), token: seller)
            #expect(second.slug.hasPrefix("thing-") && second.slug != "thing")

            #expect(try await harness.client.column("SELECT count(*)::int FROM products", as: Int.self) == [2])
            #expect(try await harness.client.column("SELECT count(*)::int FROM variants", as: Int.self) == [2])
        }
    }

    @Test("drafts are visible only to their seller and admins")
    func drafts() async throws {
        try await CatalogHarness.with { harness, http in
            let category = try await harness.category(http, "Audio")
            let (seller, _) = try await harness.openShop(http)
            let (other, _) = try await harness.openShop(http)
            let draft = try await http.create(product("Secret", category: category, sku: "S-1", status: .draft), token: seller)
            #expect(try await http.get("/api/v1/products/\(draft.id)").status == .notFound)
            #expect(try await http.get("/api/v1/products/\(draft.slug)", token: other).status == .notFound)
            let own = try await http.get("/api/v1/products/\(draft.slug)", token: seller)
            #expect(own.status == .ok)
            #expect(own.headers[.cacheControl] == "private, no-store")
            #expect(try await http.get("/api/v1/products/\(draft.id)", token: try await harness.adminToken()).status == .ok)
            #expect(try await http.get("/api/v1/products").decode(ProductListDTO.self).items.isEmpty)
            // publishing lists it
            _ = try await http.send(.patch, "/api/v1/products/\(draft.id)", UpdateProductRequest(status: .published), token: seller)
            #expect(try await http.get("/api/v1/products").decode(ProductListDTO.self).items.map(\.id) == [draft.id])
            #expect(try await http.get("/api/v1/products/\(draft.id)").status == .ok)
        }
    }
}
