import CartAPI
import CartService
import CatalogAPI
import CatalogService
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PlexusKit
import PlexusKitTesting
import PromotionAPI
import PromotionService
import ShopAPI
import Testing

/// Counts the catalogue calls the cart makes (each is one quote of many variants).
final class CountingQuotes: VariantQuoting, @unchecked Sendable {
    // Safe: `calls` is only touched under `lock`.
    private let lock = NSLock()
    private var count = 0
    let base: any VariantQuoting

    init(_ base: any VariantQuoting) { self.base = base }

    var calls: Int { lock.withLock { count } }

    func quote(_ variantIDs: [UUID], logger: Logger) async throws -> [VariantQuote] {
        lock.withLock { count += 1 }
        return try await base.quote(variantIDs, logger: logger)
    }
}

/// A real catalogue on a socket (its own database) and a real cart router (its own database)
/// that prices through it with the cart's service token.
struct CartHarness: Sendable {
    let catalog: any TestClientProtocol
    /// The promotion service, served for real.
    let promotion: any TestClientProtocol
    let catalogDB: DatabaseClient
    let cartDB: DatabaseClient
    let issuer: TestIssuer
    let quotes: CountingQuotes
    /// The cart's job worker (run it with `runOnce()`).
    let worker: JobWorker

    static func with<T: Sendable>(quoteCacheTTL: Duration = .zero, _ body: @Sendable (CartHarness, any TestClientProtocol) async throws -> T) async throws -> T {
        let issuer = try TestIssuer()
        let catalogURL = try await TestPostgres.shared.makeDatabase(try CatalogService.migrations.filter { $0.component != "kit" })
        let cartURL = try await TestPostgres.shared.makeDatabase(try CartService.migrations.filter { $0.component != "kit" })
        let catalogDatabase = Database(url: catalogURL, maxConnections: 40, logger: testLogger())
        let cartDatabase = Database(url: cartURL, maxConnections: 40, logger: testLogger())
        return try await catalogDatabase.client.withRunning { catalogDB in
            try await cartDatabase.client.withRunning { cartDB in
                let promotionURL = try await TestPostgres.shared.makeDatabase(try PromotionService.migrations.filter { $0.component != "kit" })
                let promotionDatabase = Database(url: promotionURL, maxConnections: 20, logger: testLogger())
                return try await promotionDatabase.client.withRunning { _ in
                    let promotionRouter = try await TestServices.assemble(
                        PromotionService.self, configuration: PromotionConfiguration(common: .test(.promotion, database: promotionURL)),
                        database: promotionDatabase, verifier: issuer.verifier).parts.router.router
                    return try await Application(router: promotionRouter).test(.live) { promotion in
                        let catalogConfiguration = CatalogConfiguration(common: .test(.catalog, database: catalogURL), cacheSize: 0, reservationHold: 900,
                                                                        askShopService: false)
                        let catalogRouter = try await TestServices.assemble(CatalogService.self, configuration: catalogConfiguration, database: catalogDatabase,
                                                                           verifier: issuer.verifier).parts.router.router
                        return try await Application(router: catalogRouter).test(.live) { catalog in
                            let urls: [ServiceName: String] = [.catalog: "http://127.0.0.1:\(catalog.port!)", .promotion: "http://127.0.0.1:\(promotion.port!)"]
                            let configuration = CartConfiguration(common: .test(.cart, database: cartURL, serviceURLs: urls), quoteCacheTTL: quoteCacheTTL)
                            let environment = ServiceHost.environment(for: CartService.self, configuration: configuration,
                                                                      topology: Topology([CartService.self, PromotionService.self]),
                                                                      http: ServiceClient(http: .plexus),
                                                                      database: cartDatabase, verifier: issuer.verifier, logger: testLogger())
                            let quotes = CountingQuotes(CatalogClient(environment.connection(to: .catalog)))
                            let parts = try ServiceHost.complete(CartService.self, parts: try await CartService.build(
                                configuration: configuration, environment: environment, catalog: quotes,
                                promotions: PromotionClient(environment.connection(to: .promotion))), environment: environment)
                            let worker = ServiceHost.worker(CartService.self, parts: parts, environment: environment)
                            let harness = CartHarness(catalog: catalog, promotion: promotion, catalogDB: catalogDB, cartDB: cartDB, issuer: issuer,
                                                      quotes: quotes, worker: worker)
                            return try await Application(router: parts.router.router).test(.router) { http in try await body(harness, http) }
                        }
                    }
                }
            }
        }
    }

    /// A shop the catalogue knows (as after `shop.created`), its owner's seller token, and a category.
    func openShop() async throws -> (owner: UUID, token: String, shop: UUID, category: UUID) {
        let owner = UUID.v7()
        let shop = UUID.v7()
        let name = "Shop \(UUID().uuidString.prefix(6))"
        let event = EventEnvelope(ShopEvent.created, data: ShopChanged(shopId: shop, ownerId: owner, name: name, slug: Slug.make(from: name)))
        let delivered = try await catalog.execute(uri: "/internal/events", method: .post,
                                                  headers: TestHeaders.json(token: try TestServiceKeys.token(from: .shop, to: .catalog)), body: .json(event)) { $0 }
        #expect(delivered.status == .ok)
        let admin = try await issuer.token(roles: [.customer, .admin])
        let category = try await catalog.send(.post, "/api/v1/categories", CreateCategoryRequest(name: "Category \(UUID().uuidString.prefix(6))"), token: admin)
        #expect(category.status == .created)
        return (owner, try await issuer.token(user: owner, roles: [.customer, .seller]), shop, try category.decode(CategoryDTO.self).id)
    }

    /// A published product with one variant; returns the product and its variant.
    func product(_ name: String, price: Int, stock: Int, seller: (token: String, category: UUID)) async throws -> (product: UUID, variant: UUID) {
        let request = CreateProductRequest(name: name, description: "A fine \(name.lowercased()).", categoryId: seller.category, status: .published,
                                           variants: [CreateVariantRequest(sku: "SKU-\(UUID().uuidString.prefix(8))", options: ["colour": "Black"],
                                                                           price: Money(amount: price, currency: "USD"), stock: stock)])
        let response = try await catalog.send(.post, "/api/v1/products", request, token: seller.token)
        #expect(response.status == .created, "\(response.text)")
        let product = try response.decode(ProductDTO.self)
        return (product.id, product.variants[0].id)
    }
}

extension TestClientProtocol {
    /// A cart call with the guest token and/or bearer token and If-Match when given.
    func cart(_ method: HTTPRequest.Method, _ uri: String, _ body: (some Encodable)? = Optional<String>.none, token: String? = nil,
              cartToken: String? = nil, ifMatch: String? = nil) async throws -> TestResponse {
        var extra: [HTTPField.Name: String] = [:]
        if let cartToken { extra[HTTPField.Name("X-Cart-Token")!] = cartToken }
        if let ifMatch { extra[.ifMatch] = ifMatch }
        return try await execute(uri: uri, method: method, headers: TestHeaders.json(token: token, extra: extra), body: body.map { .json($0) }) { $0 }
    }
}

extension TestResponse {
    var cartToken: String? { headers[HTTPField.Name("X-Cart-Token")!] }
}
