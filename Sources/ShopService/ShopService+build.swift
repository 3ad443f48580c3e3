import CatalogAPI
import Foundation
import Hummingbird
import Logging
import OrderAPI
import PlexusKit
import PostgresNIO
import ShopAPI

/// Shop: seller shops, shop pages, and sales reports over a projection of order events.
public enum ShopService: PlexusService {
    public static let name = ServiceName.shop
    public static var migrations: [MigrationSet] {
        get throws { try MigrationSet.service("shop", bundle: .module) }
    }
    public static let publishes = ShopEvent.all
    public static let consumes = [OrderEvent.paid.descriptor, OrderEvent.cancelled.descriptor]
    public static let callees = [ServiceName.catalog]
    public static let summary = "Seller shops, shop pages and sales reports."
    public static let endpoints = ShopEndpoints.all

    public static func loadConfiguration(reader: inout ConfigReader) throws -> ShopConfiguration {
        try ShopConfiguration.load(reader: &reader)
    }

    /// The router. Shop pages list the catalogue's products unless `showProducts` is off.
    public static func build(configuration: ShopConfiguration, environment: ServiceEnvironment) async throws -> ServiceParts {
        let database = environment.db
        let router = environment.makeRouter(migrations: try migrations)
        router.router.add(middleware: IdempotencyMiddleware(client: database.client))
        let shops = ShopRepository(client: database.client, outbox: environment.outbox)
        let catalog = configuration.showProducts ? CatalogClient(environment.connection(to: .catalog)) : nil
        ShopsController(shops: shops, sales: SalesRepository(client: database.client, currency: configuration.currency), catalog: catalog)
            .addRoutes(to: router)
        InternalShopsController(shops: shops).addRoutes(to: router)
        return ServiceParts(router: router, subscriptions: SalesRepository.subscriptions)
    }
}
