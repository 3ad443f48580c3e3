import CatalogAPI
import Foundation
import HummingbirdTesting
import PlexusKit
import PlexusKitTesting
import Testing

@Suite("Catalog: listing cache keys")
struct CacheKeyTests {
    @Test("a value holding an encoded & and = cannot store its page under another query's key")
    func encodedSeparatorsDoNotPoisonTheCache() async throws {
        try await CatalogHarness.with { harness, http in
            // setup
            let category = try await harness.category(http, "Audio")
            let (seller, _) = try await harness.openShop(http)
            _ = try await http.create(product("Studio Headphones", category: category, sku: "HP-1"), token: seller)
            // act: the attacker's query first (an empty page), then everyone else's
            let poisoned = try await http.get("/api/v1/products?q=headphones%26sort%3Dprice").decode(ProductListDTO.self)
            let honest = try await http.get("/api/v1/products?q=headphones&sort=price")
            // expect
            #expect(poisoned.items.isEmpty)
            #expect(try honest.decode(ProductListDTO.self).items.map(\.name) == ["Studio Headphones"])
        }
    }
}
