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
import PostgresNIO
import ShopAPI
import Testing

/// A real catalog router over a fresh database cloned from the migrated template.
struct CatalogHarness: Sendable {
    let client: DatabaseClient
    let url: DatabaseURL
    let issuer: TestIssuer
    let invalidator: CacheInvalidator?

    /// Whether this instance's cache listener is connected.
    var cacheListening: Bool { invalidator?.isListening ?? false }

    static func configuration(_ url: DatabaseURL, cacheSize: Int = 1000) -> CatalogConfiguration {
        CatalogConfiguration(common: .test(.catalog, database: url), cacheSize: cacheSize, reservationHold: 900, askShopService: false)
    }

    static func makeDatabase() async throws -> DatabaseURL {
        try await TestPostgres.shared.makeDatabase(try CatalogService.migrations.filter { $0.component != "kit" })
    }

    /// One catalog instance over `url` (a new one when nil), with its cache listener running.
    static func with<T: Sendable>(url given: DatabaseURL? = nil, issuer: TestIssuer? = nil, cacheSize: Int = 1000,
                                  _ body: @Sendable (CatalogHarness, any TestClientProtocol) async throws -> T) async throws -> T {
        let url: DatabaseURL
        if let given { url = given } else { url = try await makeDatabase() }
        let issuer = try issuer ?? TestIssuer()
        let database = Database(url: url, maxConnections: 60, logger: testLogger())
        return try await database.client.withRunning { client in
            let parts = try await TestServices.assemble(CatalogService.self, configuration: configuration(url, cacheSize: cacheSize), database: database,
                                                        verifier: issuer.verifier).parts
            let invalidator = parts.companions.compactMap { $0 as? CacheInvalidator }.first
            let harness = CatalogHarness(client: client, url: url, issuer: issuer, invalidator: invalidator)
            let app = Application(router: parts.router.router)
            return try await withServices(parts.companions) {
                try await app.test(.router) { http in try await body(harness, http) }
            }
        }
    }

    func adminToken() async throws -> String { try await issuer.token(roles: [.customer, .admin]) }

    /// Delivers `shop.created` for a new shop (as the shop service would) and returns the owner's
    /// seller token and the shop id.
    func openShop(_ http: any TestClientProtocol, name: String = "Shop \(UUID().uuidString.prefix(6))") async throws -> (token: String, shop: UUID) {
        let owner = UUID.v7()
        let shop = UUID.v7()
        let event = EventEnvelope(ShopEvent.created, data: ShopChanged(shopId: shop, ownerId: owner, name: name, slug: Slug.make(from: name)))
        let serviceToken = try TestServiceKeys.token(from: .shop, to: .catalog)
        let delivered = try await http.execute(uri: "/internal/events", method: .post, headers: TestHeaders.json(token: serviceToken), body: .json(event)) { $0 }
        #expect(delivered.status == .ok)
        return (try await issuer.token(user: owner, roles: [.customer, .seller]), shop)
    }

    /// A category (admin route), under `parent` when given.
    func category(_ http: any TestClientProtocol, _ name: String, parent: UUID? = nil) async throws -> UUID {
        let response = try await http.send(.post, "/api/v1/categories", CreateCategoryRequest(name: name, parentId: parent), token: try await adminToken())
        #expect(response.status == .created)
        return try response.decode(CategoryDTO.self).id
    }

    func serviceToken() async throws -> String {
        try TestServiceKeys.token(from: .order, to: .catalog)
    }
}

func usd(_ amount: Int) -> Money { Money(amount: amount, currency: "USD") }

func product(_ name: String, category: UUID, sku: String, price: Int = 1999, stock: Int = 5, status: ProductStatus = .published,
             attributes: [String: String] = [:], options: [String: String] = ["colour": "Black"]) -> CreateProductRequest {
    CreateProductRequest(name: name, description: "A fine \(name.lowercased()).", categoryId: category, status: status, attributes: attributes,
                         variants: [CreateVariantRequest(sku: sku, options: options, price: usd(price), stock: stock)])
}

extension TestClientProtocol {
    /// Creates a product as `token` and returns it (expecting 201).
    func create(_ request: CreateProductRequest, token: String) async throws -> ProductDTO {
        let response = try await send(.post, "/api/v1/products", request, token: token)
        #expect(response.status == .created, "\(response.text)")
        return try response.decode(ProductDTO.self)
    }
}
