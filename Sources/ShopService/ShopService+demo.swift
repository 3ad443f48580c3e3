import Foundation
import IdentityAPI
import Logging
import PlexusKit
import PostgresNIO
import ShopAPI

extension ShopService {
    static let demoShops: [(name: String, description: String)] = [
        ("Sonora Sound Co.", "Headphones, speakers and everything that makes noise beautifully."),
        ("Northwind Outfitters", "Clothing and shoes for every season."),
        ("Tamarack Home", "Furniture, kitchenware and decor made to last."),
        ("Kestrel Sports", "Gear for the gym, the trail and the road."),
        ("Lumen Books", "Stories and guides, in print and digital."),
        ("Orbit Electronics", "Computers, phones and cameras."),
    ]

    /// A shop for each demo seller identity seeded.
    public static func seedDemo(_ demo: DemoSeed, client: DatabaseClient, logger: Logger) async throws {
        let sellers = demo[IdentityDemo.sellers] ?? []
        let shops = try await seedDemoShops(client: client, owners: zip(sellers, demoShops).map { ($0, $1.name, $1.description) }, logger: logger)
        demo[ShopDemo.shops] = shops
        if let first = shops.first { demo.report("shops     \(shops.count), the first seller's is \"\(first.name)\"") }
    }

    /// Opens a shop for each `(owner, name, description)` that has none (demo data; no events: the
    /// seeder writes the catalogue's copy and the owners' roles itself). Returns every owner's shop.
    public static func seedDemoShops(client: DatabaseClient, owners: [(UUID, String, String)], logger: Logger) async throws -> [ShopChanged] {
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
