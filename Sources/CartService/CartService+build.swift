import CartAPI
import CatalogAPI
import Foundation
import Hummingbird
import Logging
import PlexusKit
import PostgresNIO
import PromotionAPI

/// Cart: guest and signed-in carts, priced by the catalogue on every read.
public enum CartService: PlexusService {
    public static let name = ServiceName.cart
    public static var migrations: [MigrationSet] {
        get throws { try MigrationSet.service("cart", bundle: .module) }
    }
    public static let callees = [ServiceName.catalog, .promotion]
    public static let consumes = PromotionEvent.all
    public static let summary = "Guest and signed-in carts, priced by the catalogue on every read."
    public static let endpoints = CartEndpoints.all

    public static func loadConfiguration(reader: inout ConfigReader) throws -> CartConfiguration {
        try CartConfiguration.load(reader: &reader)
    }

    /// The router and the guest-cart expiry job.
    public static func build(configuration: CartConfiguration, environment: ServiceEnvironment) async throws -> ServiceParts {
        try await build(configuration: configuration, environment: environment, catalog: CatalogClient(environment.connection(to: .catalog)),
                        promotions: PromotionClient(environment.connection(to: .promotion)))
    }

    /// The same with other ways to reach the catalogue and promotions (tests count the calls).
    public static func build(configuration: CartConfiguration, environment: ServiceEnvironment, catalog: any VariantQuoting,
                             promotions: any PromotionEvaluating) async throws -> ServiceParts {
        let database = environment.db
        let router = environment.makeRouter(migrations: try migrations)
        router.router.add(middleware: IdempotencyMiddleware(client: database.client))
        let carts = CartRepository(client: database.client)
        let evaluations = PromotionSource(promotions: promotions, ttl: configuration.quoteCacheTTL)
        CartController(carts: carts, quotes: QuoteSource(catalog: catalog, ttl: configuration.quoteCacheTTL),
                       promotions: evaluations, currency: configuration.currency)
            .addRoutes(to: router)
        CartClaims(client: database.client).addRoutes(to: router)
        let changed = EventSubscription.on(PromotionEvent.changed) { event, _, _ in evaluations.forget(code: event.data.code) }
        return ServiceParts(router: router, subscriptions: [changed], jobs: [carts.expireJob(idleDays: configuration.guestIdleDays)],
                            periodic: [PeriodicJob(CartRepository.expireGuests, every: .seconds(3600))])
    }
}
