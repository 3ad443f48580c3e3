import CatalogAPI
import CatalogService
import Foundation
import PlexusKit
import PlexusKitTesting
import ShopAPI
import Testing

/// The catalogue's typed client against the catalogue's real router on a socket.
@Suite("Catalog: typed client contract")
struct CatalogClientContractTests {
    @Test("CatalogClient lists a shop's newest published products through the declared endpoint")
    func productsOfAShop() async throws {
        // setup: a demo catalogue over two shops, served for real
        let url = try await CatalogHarness.makeDatabase()
        let database = Database(url: url, logger: testLogger())
        try await database.client.withRunning { client in
            let shops = (1...2).map { ShopChanged(shopId: .v7(), ownerId: .v7(), name: "Shop \($0)", slug: "shop-\($0)") }
            _ = try await CatalogService.seedDemo(client: client, shops: shops, seed: 11, count: 40, currency: "USD", logger: testLogger())
            let parts = try await TestServices.assemble(CatalogService.self, configuration: CatalogHarness.configuration(url), database: database,
                                                        verifier: try TestIssuer().verifier).parts
            // (its companions run as the host runs them: listings count facets over a pool of their own)
            let companions = parts.companions
            try await withLiveServer(parts.router.router) { port in
                try await withServices(companions) {
                    let catalog = CatalogClient(ServiceConnection(callee: .catalog, baseURL: "http://127.0.0.1:\(port)",
                                                                  http: ServiceClient(http: .plexus), tokens: nil))
                    // act
                    let page = try await catalog.products(ofShop: shops[0].shopId, limit: 5, logger: testLogger())
                    let none = try await catalog.products(ofShop: UUID.v7(), limit: 5, logger: testLogger())
                    // expect
                    let expected = try await client.column("""
                        SELECT count(*)::int FROM products WHERE shop_id = \(shops[0].shopId) AND status = 'published'
                        """, as: Int.self)[0]
                    #expect(page.items.count == min(5, expected) && expected > 0)
                    #expect(page.items.allSatisfy { $0.shopId == shops[0].shopId })
                    #expect(zip(page.items, page.items.dropFirst()).allSatisfy { $0.id > $1.id }, "newest first")
                    #expect(none.items.isEmpty)
                }
            }
        }
    }
}
