import Foundation
import Hummingbird
import Logging
import OrderAPI
import PlexusKit
import PostgresNIO
import PromotionAPI
import ShopAPI

/// Promotion: coupon codes with rules, evaluated for carts and orders.
public enum PromotionService: PlexusService {
    public static let name = ServiceName.promotion
    public static var migrations: [MigrationSet] {
        get throws { try MigrationSet.service("promotion", bundle: .module) }
    }
    public static let consumes = ShopEvent.all + [OrderEvent.cancelled.descriptor]
    public static let publishes = PromotionEvent.all
    public static let summary = "Coupon codes and their rules: who may use them, on what, how often."
    public static let endpoints = PromotionEndpoints.all

    public static func loadConfiguration(reader: inout ConfigReader) throws -> PromotionConfiguration {
        try PromotionConfiguration.load(reader: &reader)
    }

    /// The router and the shop directory's subscriptions.
    public static func build(configuration: PromotionConfiguration, environment: ServiceEnvironment) async throws -> ServiceParts {
        let database = environment.db
        let router = environment.makeRouter(migrations: try migrations)
        router.router.add(middleware: IdempotencyMiddleware(client: database.client))
        let promotions = PromotionRepository(client: database.client, outbox: environment.outbox)
        PromotionsController(promotions: promotions, currency: configuration.currency).addRoutes(to: router)
        return ServiceParts(router: router, subscriptions: promotions.subscriptions)
    }

    /// The demo shops' owners, and the demo codes: `WELCOME10` (10 % off everything), `SAVE5` (5.00 off from 50.00), `SPRING24`
    /// (expired), `VIP20` (VIP members only) and `FIRST10` (limited to 10 uses).
    public static func seedDemo(_ demo: DemoSeed, client: DatabaseClient, logger: Logger) async throws {
        // the demo shops were opened without events: their sellers may create promotions too
        let shops = demo[ShopDemo.shops] ?? []
        try await client.query("""
            INSERT INTO shops (id, owner_id) SELECT * FROM unnest(\(shops.map(\.shopId))::uuid[], \(shops.map(\.ownerId))::uuid[])
            ON CONFLICT (id) DO UPDATE SET owner_id = EXCLUDED.owner_id
            """, logger: logger)
        let repository = PromotionRepository(client: client, outbox: Outbox(source: .promotion, subscribers: []))
        let now = Date()
        let money = { (amount: Int) in Money(amount: amount, currency: demo.currency) }
        let codes: [CreatePromotionRequest] = [
            CreatePromotionRequest(code: "WELCOME10", kind: .percentage, percentage: 10),
            CreatePromotionRequest(code: "SAVE5", kind: .fixed, amount: money(500), minSubtotal: money(5000)),
            CreatePromotionRequest(code: "SPRING24", kind: .percentage, percentage: 15, startsAt: now.addingTimeInterval(-90 * 86_400),
                                   endsAt: now.addingTimeInterval(-30 * 86_400)),
            CreatePromotionRequest(code: "VIP20", kind: .percentage, percentage: 20, maxDiscount: money(10_000), vipOnly: true),
            CreatePromotionRequest(code: "FIRST10", kind: .fixed, amount: money(1000), usageLimit: 10),
        ]
        for request in codes where try await repository.find(code: request.code, logger: logger) == nil {
            _ = try await repository.create(request, code: request.code, shopID: nil, currency: demo.currency,
                                            now: request.startsAt ?? now, logger: logger)
        }
        demo.report("codes     WELCOME10 (10 % off), SAVE5 (5.00 off from 50.00), SPRING24 (expired), VIP20 (VIP only), FIRST10 (10 uses)")
    }
}

/// Promotion's configuration: the common keys and `PLEXUS_CURRENCY` (`USD`).
public struct PromotionConfiguration: ServiceConfiguration {
    /// Common settings.
    public var common: CommonConfiguration
    /// The marketplace's currency: fixed amounts and minimums are in it.
    public var currency: String

    /// Creates a configuration directly.
    public init(common: CommonConfiguration, currency: String = "USD") {
        self.common = common
        self.currency = currency
    }

    /// Reads the configuration, listing every missing key.
    public static func load(reader: inout ConfigReader) throws -> PromotionConfiguration {
        let common = CommonConfiguration(service: .promotion, reader: &reader)
        let currency = reader.string("PLEXUS_CURRENCY", default: "USD")
        try reader.finish()
        guard Money.isValidCurrency(currency) else { throw ConfigurationError(missing: [], malformed: ["PLEXUS_CURRENCY (an ISO 4217 code such as USD)"]) }
        return PromotionConfiguration(common: common, currency: currency)
    }
}
