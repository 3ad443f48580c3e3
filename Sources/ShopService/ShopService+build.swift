import CatalogAPI
import Foundation
import Hummingbird
import Logging
import PlexusKit
import PostgresNIO
import ServiceLifecycle
import ShopAPI

/// Shop: seller shops, shop pages, and sales reports over a projection of order events.
public enum ShopService {
    /// Shop's own migrations (after the kit's).
    public static var migrations: [MigrationSet] {
        get throws { try MigrationSet.service("shop", bundle: .module) }
    }

    /// Builds the router. `catalog` fills shop pages with products (nil: pages without products).
    public static func buildRouter(configuration: ShopConfiguration, database: Database, verifier: any AccessTokenVerifier,
                                   catalog: CatalogClient?, logger: Logger) async throws -> Router<PlexusContext> {
        let router = ServiceRuntime.makeRouter(verifier: verifier, ready: ServiceRuntime.databaseReadiness(database, migrations: try migrations, logger: logger))
        router.add(middleware: IdempotencyMiddleware(client: database.client))
        let shops = ShopRepository(client: database.client, outbox: configuration.outbox)
        let tokens = await ServiceTokens(serviceName: "shop", secret: configuration.common.internalSecret)
        ShopsController(shops: shops, sales: SalesRepository(client: database.client, currency: configuration.currency), catalog: catalog)
            .addRoutes(to: router)
        InternalShopsController(shops: shops, tokens: tokens).addRoutes(to: router)
        return router
    }

    /// The worker that delivers shop events.
    public static func worker(configuration: ShopConfiguration, database: Database, http: ServiceClient, logger: Logger) async -> JobWorker {
        let tokens = await ServiceTokens(serviceName: "shop", secret: configuration.common.internalSecret)
        return JobWorker(client: database.client,
                         handlers: [Outbox.deliveryKind: configuration.outbox.deliveryHandler(client: database.client, http: http, tokens: tokens)],
                         logger: logger)
    }

    /// Builds the whole service.
    public static func buildApplication(configuration: ShopConfiguration, verifier: any AccessTokenVerifier, http: ServiceClient,
                                        logger: Logger) async throws -> some ApplicationProtocol {
        let database = Database(url: configuration.common.database, logger: logger)
        let catalog = CatalogClient(client: http, baseURL: configuration.common.serviceURLs[.catalog] ?? "http://127.0.0.1:\(ServiceName.catalog.defaultPort)")
        let router = try await buildRouter(configuration: configuration, database: database, verifier: verifier, catalog: catalog, logger: logger)
        var services: [any Service] = [database.client]
        if configuration.runWorkers { services.append(await worker(configuration: configuration, database: database, http: http, logger: logger)) }
        return ServiceRuntime.makeApplication(router: router, name: "shop", host: configuration.common.host,
                                              port: configuration.common.port, services: services, logger: logger)
    }
}
