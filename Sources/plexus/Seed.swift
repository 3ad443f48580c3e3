import ArgumentParser
import CatalogService
import Foundation
import IdentityService
import Logging
import PlexusKit
import ShopService

/// `plexus seed`: the demo catalogue, its sellers and shops, an admin and a customer.
struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the demo data (deterministic for a given seed; skipped when a catalogue exists).")

    @Option(help: "Seed of the generator: the same number gives the same catalogue.") var seed: UInt64 = 2026
    @Option(help: "Number of products.") var products: Int = 1000

    func run() async throws {
        let reader = ConfigReader()
        let logger = bootstrapLogging(reader: reader, service: .catalog)
        var urls: [ServiceName: DatabaseURL] = [:]
        for service in [ServiceName.identity, .shop, .catalog] {
            guard let url = databaseURL(for: service, reader: reader) else {
                throw ValidationError("set PLEXUS_DATABASE_URL (with `plexus up` running, see .plexus/env)")
            }
            _ = try await migrate(service, url: url, logger: logger)
            urls[service] = url
        }
        let lines = try await DemoSeeder.run(urls: urls, seed: seed, products: max(1, products),
                                             currency: reader.string("PLEXUS_CURRENCY", default: "USD"), logger: logger)
        print(lines.joined(separator: "\n"))
    }
}

/// Writes the demo data into each service's own database through that service's seeding API.
enum DemoSeeder {
    static let sellerPassword = "plexus-seller-2026"
    static let shops: [(String, String)] = [
        ("Sonora Sound Co.", "Headphones, speakers and everything that makes noise beautifully."),
        ("Northwind Outfitters", "Clothing and shoes for every season."),
        ("Tamarack Home", "Furniture, kitchenware and decor made to last."),
        ("Kestrel Sports", "Gear for the gym, the trail and the road."),
        ("Lumen Books", "Stories and guides, in print and digital."),
        ("Orbit Electronics", "Computers, phones and cameras."),
    ]

    static func run(urls: [ServiceName: DatabaseURL], seed: UInt64, products: Int, currency: String, logger: Logger) async throws -> [String] {
        let accounts = [
            "admin     admin@plexus.local / plexus-admin-2026",
            "customer  customer@plexus.local / plexus-customer-2026",
            "seller    seller@plexus.local / \(sellerPassword)  (shop \"\(shops[0].0)\"; seller2…\(shops.count)@plexus.local likewise)",
        ]
        let catalog = urls[.catalog]!.makeClient(maxConnections: 2, logger: logger)
        // A second `up --demo` leaves everything as it is: no password re-hashing, no ended sessions.
        guard try await catalog.withRunning({ try await CatalogService.isEmpty(client: $0, logger: logger) }) else {
            return accounts + ["demo data already present; left as it is"]
        }
        let started = ContinuousClock.now
        let identity = urls[.identity]!.makeClient(maxConnections: 2, logger: logger)
        let sellers = try await identity.withRunning { client in
            _ = try await IdentityService.createUser(email: "admin@plexus.local", password: "plexus-admin-2026", name: "Demo Admin",
                                                     roles: [.admin], client: client, bcryptCost: 10, logger: logger)
            _ = try await IdentityService.createUser(email: "customer@plexus.local", password: "plexus-customer-2026", name: "Demo Customer",
                                                     roles: [.customer], client: client, bcryptCost: 10, logger: logger)
            var sellers: [UUID] = []
            for index in shops.indices {
                let email = index == 0 ? "seller@plexus.local" : "seller\(index + 1)@plexus.local"
                let user = try await IdentityService.createUser(email: email, password: sellerPassword, name: shops[index].0,
                                                                roles: [.seller], client: client, bcryptCost: 10, logger: logger)
                sellers.append(user.id)
            }
            return sellers
        }
        let shopClient = urls[.shop]!.makeClient(maxConnections: 2, logger: logger)
        let demoShops = try await shopClient.withRunning { client in
            try await ShopService.seedDemoShops(client: client, owners: zip(sellers, shops).map { ($0, $1.0, $1.1) }, logger: logger)
        }
        let summary = try await urls[.catalog]!.makeClient(maxConnections: 2, logger: logger).withRunning { client in
            try await CatalogService.seedDemo(client: client, shops: demoShops, seed: seed, count: products, currency: currency, logger: logger)
        }
        let elapsed = ContinuousClock.now - started
        return accounts + [summary.map {
            "catalogue \($0.products) products, \($0.variants) variants, \($0.categories) categories (seed \(seed), \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds]))))"
        } ?? "catalogue already present; left as it is"]
    }
}
