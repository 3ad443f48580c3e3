import CatalogAPI
import Foundation
import Hummingbird
import Logging
import MediaAPI
import OrderAPI
import PlexusKit
import ReviewAPI
import PostgresNIO
import ShopAPI

/// Catalog: categories, products, variants, stock and reservations, search.
public enum CatalogService: PlexusService {
    public static let name = ServiceName.catalog
    public static var migrations: [MigrationSet] {
        get throws { try MigrationSet.service("catalog", bundle: .module) }
    }
    public static let consumes = ShopEvent.all + [OrderEvent.paid.descriptor, OrderEvent.cancelled.descriptor] + MediaEvent.all
        + [ReviewEvent.summaryChanged.descriptor]
    public static let callees = [ServiceName.shop, .media]
    public static let summary = "Categories, products, variants, prices, stock and reservations, and typo-tolerant search with facets."
    public static let endpoints = CatalogEndpoints.all

    /// The periodic job that returns the stock of lapsed reservations.
    static let expireReservations = JobKind<NoPayload>("catalog.expire_reservations")

    public static func loadConfiguration(reader: inout ConfigReader) throws -> CatalogConfiguration {
        try CatalogConfiguration.load(reader: &reader)
    }

    /// The router, the cache's invalidation listener, the pool of the listing's facet counts, the shop
    /// subscriptions and the reservation sweep.
    public static func build(configuration: CatalogConfiguration, environment: ServiceEnvironment) async throws -> ServiceParts {
        let client = environment.db.client
        let logger = environment.logger
        let router = environment.makeRouter(migrations: try migrations)
        let cache = CatalogCache(capacity: configuration.cacheSize, ttl: configuration.cacheTTL)
        let directory = ShopDirectory(client: client, shops: configuration.askShopService ? ShopClient(environment.connection(to: .shop)) : nil)
        router.router.add(middleware: IdempotencyMiddleware(client: client))
        CategoriesController(categories: CategoryRepository(client: client), cache: cache, maxAge: configuration.publicMaxAge).addRoutes(to: router)
        let products = ProductRepository(client: client, imageBase: configuration.common.publicURL)
        let counting = Database(url: configuration.common.database, maxConnections: ListingRepository.countingConnections,
                                settings: ListingRepository.countingSessionSettings, logger: logger)
        ProductsController(
            products: products,
            listing: ListingRepository(client: client, countingClient: counting.client, imageBase: configuration.common.publicURL,
                                       currency: configuration.currency, cache: cache),
            directory: directory, media: MediaClient(environment.connection(to: .media)), cache: cache, currency: configuration.currency, maxAge: configuration.publicMaxAge
        ).addRoutes(to: router)
        let reservations = ReservationRepository(client: client)
        ReservationsController(reservations: reservations, defaultHold: configuration.reservationHold).addRoutes(to: router)
        QuotesController(quotes: QuoteRepository(client: client, imageBase: configuration.common.publicURL)).addRoutes(to: router)
        let expire = JobRegistration.on(expireReservations) { _, _, logger in
            var lapsed = 0
            repeat {
                lapsed = try await reservations.expire(logger: logger)
                if lapsed > 0 { logger.info("reservations lapsed", metadata: ["count": .stringConvertible(lapsed)]) }
            } while lapsed >= 500
        }
        return ServiceParts(router: router, subscriptions: directory.subscriptions + reservations.subscriptions + products.mediaSubscriptions + products.ratingSubscriptions, jobs: [expire],
                            periodic: [PeriodicJob(expireReservations, every: .seconds(30))],
                            companions: [cache.invalidator(client: client, logger: logger), counting.pool])
    }

    /// The demo catalogue over the shops the shop service seeded.
    public static func seedDemo(_ demo: DemoSeed, client: DatabaseClient, logger: Logger) async throws {
        let started = ContinuousClock.now
        var products: [DemoProduct] = []
        defer { demo[CatalogDemo.products] = products }
        let seeded = try await seedDemo(client: client, shops: demo[ShopDemo.shops] ?? [], seed: demo.seed, count: max(1, demo.products),
                                        currency: demo.currency, images: demo[MediaDemo.images] ?? [], logger: logger)
        for try await (id, shop, name) in try await client.query("SELECT id, shop_id, name FROM products WHERE status = 'published' ORDER BY id",
                                                                  logger: logger).decode((UUID, UUID, String).self) {
            products.append(DemoProduct(id: id, shopId: shop, name: name))
        }
        guard let summary = seeded else {
            demo.report("catalogue already present; left as it is")
            return
        }
        let elapsed = (ContinuousClock.now - started).formatted(.units(allowed: [.seconds, .milliseconds]))
        demo.report("catalogue \(summary.products) products, \(summary.variants) variants, \(summary.categories) categories (seed \(demo.seed), \(elapsed))")
    }
}
