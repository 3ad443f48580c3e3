import Foundation
import Logging
import PlexusKit
import PostgresNIO
import ShopAPI

extension ShopService {
    /// Opens a shop for each `(owner, name, description)` that has none (demo data; no events: the
    /// seeder writes the catalogue's copy and the owners' roles itself). Returns every owner's shop.
    public static func seedDemoShops(client: PostgresClient, owners: [(UUID, String, String)], logger: Logger) async throws -> [ShopChanged] {
        try await client.withTransaction(logger: logger) { connection in
            var shops: [ShopChanged] = []
            for (owner, name, description) in owners {
                try await connection.query("""
                    INSERT INTO shops (id, owner_id, name, slug, description) VALUES (\(UUID.v7()), \(owner), \(name), \(Slug.make(from: name)), \(description))
                    ON CONFLICT DO NOTHING
                    """, logger: logger)
                let rows = try await connection.query("SELECT id, name, slug FROM shops WHERE owner_id = \(owner)", logger: logger)
                for try await (id, name, slug) in rows.decode((UUID, String, String).self) {
                    shops.append(ShopChanged(shopId: id, ownerId: owner, name: name, slug: slug))
                }
            }
            return shops
        }
    }
}
