import AsyncHTTPClient
import CatalogAPI
import CatalogService
import Foundation
import Hummingbird
import NIOCore
import HummingbirdTesting
import PlexusKit
import PlexusKitTesting
import ShopAPI
import ShopService
import Testing

@Suite("Catalog: shop ownership without the event")
struct ShopFallbackTests {
    @Test("a new seller whose shop.created has not reached catalog yet is looked up in the shop service")
    func asksTheShopService() async throws {
        // setup: a real shop service on a socket, and a shop opened there (its events go nowhere)
        let issuer = try TestIssuer()
        let shopURL = try await TestPostgres.shared.makeDatabase(try ShopService.migrations.filter { $0.component != "kit" })
        let shopDatabase = Database(url: shopURL, logger: testLogger())
        try await shopDatabase.client.withRunning { _ in
            let shopConfiguration = ShopConfiguration(common: .test(.shop, database: shopURL), showProducts: false)
            let shopRouter = try await TestServices.assemble(ShopService.self, configuration: shopConfiguration, database: shopDatabase,
                                                             verifier: issuer.verifier).parts.router.router
            try await withLiveServer(shopRouter) { port in
                let owner = UUID.v7()
                let token = try await issuer.token(user: owner, roles: [.customer, .seller])
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/shops")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
                request.body = .bytes(.json(CreateShopRequest(name: "Late Event Shop")))
                let opened = try await HTTPClient.plexus.execute(request, timeout: .seconds(10))
                #expect(opened.status == .created)
                let shop = try JSON.decoder.decode(ShopDTO.self, from: Data(buffer: try await opened.body.collect(upTo: 1 << 20)))

                // act: create a product on a catalog that has never heard of the shop
                let catalogURL = try await CatalogHarness.makeDatabase()
                let catalogDatabase = Database(url: catalogURL, logger: testLogger())
                try await catalogDatabase.client.withRunning { client in
                    var configuration = CatalogHarness.configuration(catalogURL)
                    configuration.askShopService = true
                    configuration.common.serviceURLs[.shop] = "http://127.0.0.1:\(port)"
                    let parts = try await TestServices.assemble(CatalogService.self, configuration: configuration, database: catalogDatabase,
                                                                verifier: issuer.verifier).parts
                    try await Application(router: parts.router.router).test(.router) { http in
                        let harness = CatalogHarness(client: client, url: catalogURL, issuer: issuer, invalidator: nil)
                        let category = try await harness.category(http, "Decor")
                        let created = try await http.create(product("Lamp", category: category, sku: "L-1"), token: token)

                        // assert: the product belongs to the shop, and catalog kept the owner for next time
                        #expect(created.shopId == shop.id)
                        #expect(try await client.column("SELECT owner_id FROM shops", as: UUID.self) == [owner])
                        // someone without a shop is still refused, after asking
                        let stranger = try await issuer.token(roles: [.customer, .seller])
                        #expect(try await http.send(.post, "/api/v1/products", product("X", category: category, sku: "X-1"), token: stranger).status == .forbidden)
                    }
                }
            }
        }
    }
}
