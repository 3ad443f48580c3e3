import CatalogAPI
import Foundation
import Hummingbird
import IdentityAPI
import Logging
import MediaAPI
import OrderAPI
import PlexusKit
import ReviewAPI
import ShopAPI

/// Review: ratings and reviews by customers who received the product, with photos, seller
/// replies, helpful votes, reports and moderation; summaries for the catalogue.
public enum ReviewService: PlexusService {
    public static let name = ServiceName.review
    public static var migrations: [MigrationSet] {
        get throws { try MigrationSet.service("review", bundle: .module) }
    }
    public static let consumes = [OrderEvent.paid.descriptor, OrderEvent.delivered.descriptor, OrderEvent.cancelled.descriptor]
        + ShopEvent.all + MediaEvent.all
    public static let publishes = ReviewEvent.all
    public static let callees = [ServiceName.identity, .media]
    public static let summary = "Reviews and ratings by customers who received the product: photos, seller replies, helpful votes, reports, moderation."
    public static let endpoints = ReviewEndpoints.all

    public static func loadConfiguration(reader: inout ConfigReader) throws -> ReviewConfiguration {
        let common = CommonConfiguration(service: .review, reader: &reader)
        let entries = reader.int("PLEXUS_REVIEW_CACHE_ENTRIES", default: 2_000)
        let maxAge = reader.int("PLEXUS_REVIEW_PUBLIC_MAX_AGE", default: 10)
        try reader.finish()
        return ReviewConfiguration(common: common, cacheEntries: max(0, entries), publicMaxAge: max(0, maxAge))
    }

    /// The routes, the purchase projection and the page cache's listener.
    public static func build(configuration: ReviewConfiguration, environment: ServiceEnvironment) async throws -> ServiceParts {
        let client = environment.db.client
        let router = environment.makeRouter(migrations: try migrations)
        router.router.add(middleware: IdempotencyMiddleware(client: client))
        let reviews = ReviewRepository(client: client, outbox: environment.outbox)
        let cache = ReviewCache(capacity: configuration.cacheEntries, ttl: .seconds(60))
        let links = ReviewLinks(base: configuration.common.publicURL)
        ReviewsController(reviews: reviews, cache: cache, contacts: IdentityClient(environment.connection(to: .identity)),
                          media: MediaClient(environment.connection(to: .media)), links: links, maxAge: configuration.publicMaxAge).addRoutes(to: router)
        CommunityController(reviews: reviews, links: links).addRoutes(to: router)
        return ServiceParts(router: router, subscriptions: ReviewSubscriptions(outbox: environment.outbox, links: links).all,
                            companions: [cache.invalidator(client: client, logger: environment.logger)])
    }

    /// Reviews with a realistic spread of ratings on a few hundred demo products.
    public static func seedDemo(_ demo: DemoSeed, client: DatabaseClient, logger: Logger) async throws {
        // the demo shops were opened without events: their owners are written here, as the catalogue does
        let shops = demo[ShopDemo.shops] ?? []
        try await client.query("""
            INSERT INTO shops (id, owner_id) SELECT * FROM unnest(\(shops.map(\.shopId))::uuid[], \(shops.map(\.ownerId))::uuid[])
            ON CONFLICT (id) DO UPDATE SET owner_id = EXCLUDED.owner_id
            """, logger: logger)
        let seeded = try await DemoReviews(products: demo[CatalogDemo.products] ?? [], seed: demo.seed, outbox: demo.outbox(for: .review))
            .seed(client: client, logger: logger)
        demo.report(seeded.map { "reviews   \($0.reviews) on \($0.products) products (\($0.replies) with a seller's reply)" }
                    ?? "reviews   already present; left as they are")
    }
}

/// Review's configuration: the common keys, `PLEXUS_REVIEW_CACHE_ENTRIES` (2000 pages) and
/// `PLEXUS_REVIEW_PUBLIC_MAX_AGE` (10 s of `Cache-Control` on public pages).
public struct ReviewConfiguration: ServiceConfiguration {
    public var common: CommonConfiguration
    public var cacheEntries: Int
    public var publicMaxAge: Int

    public init(common: CommonConfiguration, cacheEntries: Int = 2_000, publicMaxAge: Int = 10) {
        self.common = common
        self.cacheEntries = cacheEntries
        self.publicMaxAge = publicMaxAge
    }
}
