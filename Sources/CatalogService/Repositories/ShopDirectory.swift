import Foundation
import Logging
import PlexusKit
import PostgresNIO
import ShopAPI

/// Catalog's copy of who owns which shop, kept from the shop service's events and, when an event
/// has not arrived yet, filled on demand from the shop service's internal API.
struct ShopDirectory: Sendable {
    let client: DatabaseClient
    let shops: (any ShopReading)?

    /// The writer a caller acts as: admins write anywhere; sellers write to their own shop only.
    /// 401 without a token, 403 for a customer or a seller whose shop is unknown.
    func writer(for context: PlexusContext) async throws -> Writer {
        let principal = try context.requireUser()
        if principal.roles.contains(.admin) { return .admin }
        guard principal.roles.contains(.seller), let userID = principal.userID else { throw ProblemError.forbidden("Only sellers and administrators can change the catalogue.") }
        if let shopID = try await shop(ownedBy: userID, logger: context.logger) { return .seller(shopID: shopID) }
        throw CatalogError.noShop
    }

    func shop(ownedBy userID: UUID, logger: Logger) async throws -> UUID? {
        let rows = try await client.query("SELECT id FROM shops WHERE owner_id = \(userID)", logger: logger)
        for try await id in rows.decode(UUID.self) { return id }
        guard let shops, let remote = try await shops.shop(ownedBy: userID, logger: logger) else { return nil }
        try await client.withConnection { try await upsert(remote, $0, logger: logger) }
        return remote.shopId
    }

    func exists(_ shopID: UUID, logger: Logger) async throws -> Bool {
        let rows = try await client.query("SELECT 1 FROM shops WHERE id = \(shopID)", logger: logger)
        for try await _ in rows { return true }
        return false
    }

    func upsert(_ shop: ShopChanged, _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO shops (id, owner_id, name, slug) VALUES (\(shop.shopId), \(shop.ownerId), \(shop.name), \(shop.slug))
            ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, slug = EXCLUDED.slug, updated_at = now()
            """, logger: logger)
    }

    /// Subscriptions to `shop.created` and `shop.updated`.
    var subscriptions: [EventSubscription] {
        [ShopEvent.created, ShopEvent.updated].map { type in
            .on(type) { event, connection, logger in try await upsert(event.data, connection, logger: logger) }
        }
    }
}
