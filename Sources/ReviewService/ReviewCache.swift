import Foundation
import Logging
import NIOConcurrencyHelpers
import PlexusKit
import PostgresNIO

/// Encoded pages of products' public review lists, served from memory until a change to the
/// product's reviews on any replica drops them (`NOTIFY review_cache, '<product id>'`).
final class ReviewCache: Sendable {
    static let channel = "review_cache"

    /// `<product id> <parsed query>` → the page.
    let pages: TTLCache<String, CachedBody>
    /// Counts invalidations: a page read before one is not stored after it.
    private let generationBox = NIOLockedValueBox<UInt64>(0)

    init(capacity: Int, ttl: Duration) {
        pages = TTLCache(capacity: capacity, ttl: ttl)
    }

    var generation: UInt64 { generationBox.withLockedValue { $0 } }

    /// Made from the parsed query, so spellings of the same query share a page and no raw value
    /// can pose as other parameters.
    static func key(product: UUID, query: ReviewListQuery) -> String {
        "\(product.uuidString) \(query.sort.rawValue) \(query.stars) \(query.withPhotos) \(query.limit) \(query.cursor?.encoded ?? "")"
    }

    /// Stores unless an invalidation arrived since `generation` was read.
    func store(_ key: String, _ body: CachedBody, ifUnchangedSince generation: UInt64) {
        generationBox.withLockedValue { current in if current == generation { pages.set(key, body) } }
    }

    func apply(_ message: String) {
        generationBox.withLockedValue { generation in
            generation &+= 1
            pages.removeAll { key, _ in key.hasPrefix(message) }
        }
    }

    func clear() {
        generationBox.withLockedValue { generation in
            generation &+= 1
            pages.removeAll()
        }
    }

    /// The listener that keeps this replica's pages coherent.
    func invalidator(client: DatabaseClient, logger: Logger) -> CacheInvalidator {
        CacheInvalidator(channel: Self.channel, client: client.pool, logger: logger, onMessage: { [self] in apply($0) }, onReconnect: { [self] in clear() })
    }

    /// Announces (at commit) that a product's reviews changed.
    static func notify(_ productID: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await CacheInvalidator.notify(channel, productID.uuidString, on: connection, logger: logger)
    }
}
