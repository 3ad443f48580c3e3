import CatalogAPI
import Foundation
import Hummingbird
import Logging
import PlexusKit
import PostgresNIO
import ServiceLifecycle
import ShopAPI

/// Catalog: categories, products, variants, stock and reservations, search.
public enum CatalogService {
    /// Catalog's own migrations (after the kit's).
    public static var migrations: [MigrationSet] {
        get throws { try MigrationSet.service("catalog", bundle: .module) }
    }

    /// The router plus the services that must run beside it (the cache's invalidation listener).
    public struct Parts {
        /// The router.
        public let router: Router<PlexusContext>
        /// Long-running companions: run them in the application's service group.
        public let services: [any Service]
    }

    /// Builds the router over a running database client. `shops` is the fallback used when a
    /// seller's shop event has not arrived yet (nil: events only).
    public static func buildRouter(configuration: CatalogConfiguration, database: Database, verifier: any AccessTokenVerifier,
                                   shops: ShopClient?, logger: Logger) async throws -> Parts {
        let router = ServiceRuntime.makeRouter(verifier: verifier, ready: ServiceRuntime.databaseReadiness(database, migrations: try migrations, logger: logger))
        let client = database.client
        let cache = CatalogCache(capacity: configuration.cacheSize, ttl: configuration.cacheTTL)
        let directory = ShopDirectory(client: client, shops: shops)
        let tokens = await ServiceTokens(serviceName: "catalog", secret: configuration.common.internalSecret)
        router.add(middleware: IdempotencyMiddleware(client: client))
        EventConsumer(client: client, handlers: directory.eventHandlers).addRoute(to: router, tokens: tokens)
        CategoriesController(categories: CategoryRepository(client: client), cache: cache, maxAge: configuration.publicMaxAge).addRoutes(to: router)
        ProductsController(
            products: ProductRepository(client: client, imageBase: configuration.common.publicURL),
            listing: ListingRepository(client: client, imageBase: configuration.common.publicURL, currency: configuration.currency, cache: cache),
            directory: directory, cache: cache, currency: configuration.currency, maxAge: configuration.publicMaxAge
        ).addRoutes(to: router)
        ReservationsController(reservations: ReservationRepository(client: client), tokens: tokens, defaultHold: configuration.reservationHold)
            .addRoutes(to: router)
        return Parts(router: router, services: [cache.invalidator(client: client, logger: logger)])
    }

    /// The job worker: lapses reservations nobody settled.
    public static func worker(database: Database, logger: Logger) -> JobWorker {
        let reservations = ReservationRepository(client: database.client)
        let expire: JobHandler = { _, logger in
            var lapsed = 0
            repeat {
                lapsed = try await reservations.expire(logger: logger)
                if lapsed > 0 { logger.info("reservations lapsed", metadata: ["count": .stringConvertible(lapsed)]) }
            } while lapsed >= 500
        }
        return JobWorker(client: database.client, handlers: [expireReservationsKind: expire],
                         periodic: [PeriodicJob(kind: expireReservationsKind, interval: .seconds(30))], logger: logger)
    }

    /// The periodic job that returns the stock of lapsed reservations.
    public static let expireReservationsKind = "catalog.expire_reservations"

    /// Builds the whole service.
    public static func buildApplication(configuration: CatalogConfiguration, verifier: any AccessTokenVerifier, shops: ShopClient?,
                                        logger: Logger) async throws -> some ApplicationProtocol {
        let database = Database(url: configuration.common.database, logger: logger)
        let parts = try await buildRouter(configuration: configuration, database: database, verifier: verifier, shops: shops, logger: logger)
        var services: [any Service] = [database.client] + parts.services
        if configuration.runWorkers { services.append(worker(database: database, logger: logger)) }
        return ServiceRuntime.makeApplication(router: parts.router, name: "catalog", host: configuration.common.host,
                                              port: configuration.common.port, services: services, logger: logger)
    }
}
