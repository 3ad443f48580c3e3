import CatalogAPI
import Foundation
import Logging
import NIOConcurrencyHelpers
import PlexusKit
import PostgresNIO

/// Product details and the category tree, encoded once and served from memory until a change
/// anywhere (on any replica) invalidates them through `NOTIFY catalog_cache`.
final class CatalogCache: Sendable {
    static let channel = "catalog_cache"
    static let categoriesMessage = "categories"

    /// A product body ready to send, with what decides who may see it.
    struct Entry: Sendable {
        var body: CachedBody
        var id: UUID
        var status: ProductStatus
        var shopID: UUID
    }

    /// Keyed by the id or slug the client asked for.
    let products: TTLCache<String, Entry>
    let categories: TTLCache<Int, CachedBody>
    /// Category id or slug → the ids of its subtree (listing filters).
    let subtrees: TTLCache<String, [UUID]>
    /// Search text → its full-text query with typo alternatives. New vocabulary shows up within the TTL.
    let searchQueries: TTLCache<String, String>
    /// Canonical query string → a listing body. Any product or category change empties it (a
    /// listing may contain any product), so it only ever serves what the database would.
    let listings: TTLCache<String, CachedBody>
    /// Filter key (``ListingQuery/filterKey``) → the facet counts of every match: shared by the
    /// listings that differ only in sort or page, emptied with `listings`.
    let facets: TTLCache<String, FacetsDTO>

    /// Counts invalidations. A reader notes it before reading the database and stores its result
    /// only if no invalidation happened meanwhile, so a slow read cannot put stale data back.
    private let generationBox = NIOLockedValueBox<UInt64>(0)

    var generation: UInt64 { generationBox.withLockedValue { $0 } }

    /// Stores with `store` unless an invalidation arrived since `generation` was read.
    func store(ifUnchangedSince generation: UInt64, _ store: () -> Void) {
        generationBox.withLockedValue { current in if current == generation { store() } }
    }

    init(capacity: Int, ttl: Duration) {
        products = TTLCache(capacity: capacity, ttl: ttl)
        categories = TTLCache(capacity: capacity > 0 ? 1 : 0, ttl: ttl)
        subtrees = TTLCache(capacity: capacity > 0 ? 1_000 : 0, ttl: ttl)
        searchQueries = TTLCache(capacity: capacity, ttl: ttl)
        listings = TTLCache(capacity: capacity, ttl: ttl)
        facets = TTLCache(capacity: capacity, ttl: ttl)
    }

    /// Applies one invalidation message.
    func apply(_ message: String) {
        generationBox.withLockedValue { $0 &+= 1; drop(message) }
    }

    /// What a product's change means for cached listings, carried as a prefix of its message.
    enum ListingEffect: String {
        /// Anything may have changed: every listing and facet count goes.
        case all = ""
        /// Units moved but the product had units available before and after: no listing shows a
        /// difference (a listing shows only whether a product is in stock), only its detail goes.
        case stockOnly = "stock:"
        /// Units were sold or came back without changing whether it is in stock: its detail goes,
        /// and the listings ordered by sales.
        case sold = "sold:"

        /// Units held or given back: only the detail when the product had units available before
        /// and after (one of its variants had some on both sides), otherwise everything.
        static func unitsMoved(inStockThroughout: Bool) -> Self { inStockThroughout ? .stockOnly : .all }
    }

    private func drop(_ message: String) {
        if message.hasPrefix(ListingEffect.stockOnly.rawValue), let id = UUID(uuidString: String(message.dropFirst(ListingEffect.stockOnly.rawValue.count))) {
            products.removeAll { _, entry in entry.id == id }
        } else if message.hasPrefix(ListingEffect.sold.rawValue), let id = UUID(uuidString: String(message.dropFirst(ListingEffect.sold.rawValue.count))) {
            products.removeAll { _, entry in entry.id == id }
            listings.removeAll { key, _ in key.contains("sort=\(ListingQuery.Sort.bestSelling.rawValue)") }
        } else if message == Self.categoriesMessage {
            categories.removeAll()
            subtrees.removeAll()
            listings.removeAll()
            facets.removeAll()
        } else if let id = UUID(uuidString: message) {
            products.removeAll { _, entry in entry.id == id }
            listings.removeAll()
            facets.removeAll()
        }
    }

    func clear() {
        generationBox.withLockedValue { $0 &+= 1 }
        products.removeAll()
        categories.removeAll()
        subtrees.removeAll()
        listings.removeAll()
        facets.removeAll()
    }

    /// The listener that keeps this replica's cache coherent.
    func invalidator(client: DatabaseClient, logger: Logger) -> CacheInvalidator {
        CacheInvalidator(channel: Self.channel, client: client.pool, logger: logger,
                         onMessage: { [self] in apply($0) }, onReconnect: { [self] in clear() })
    }

    /// Announces (at commit) that a product changed, and what that means for listings.
    static func notifyProduct(_ id: UUID, listings effect: ListingEffect = .all, on connection: PostgresConnection, logger: Logger) async throws {
        try await CacheInvalidator.notify(channel, effect.rawValue + id.uuidString, on: connection, logger: logger)
    }

    /// Announces (at commit) that the category tree changed.
    static func notifyCategories(on connection: PostgresConnection, logger: Logger) async throws {
        try await CacheInvalidator.notify(channel, categoriesMessage, on: connection, logger: logger)
    }
}
