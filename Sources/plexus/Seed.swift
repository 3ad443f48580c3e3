import ArgumentParser
import Foundation
import Logging
import PlexusKit
import PlexusRegistry

/// `plexus seed`: the demo catalogue, its sellers and shops, an admin and a customer.
struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the demo data (deterministic for a given seed; what exists is left as it is).")

    @Option(help: "Seed of the generator: the same number gives the same catalogue.") var seed: UInt64 = 2026
    @Option(help: "Number of products.") var products: Int = 1000
    @Flag(help: "Seed even though PLEXUS_MODE is production (requires --password).") var allowProduction = false
    @Option(help: "The password of every demo account (required with --allow-production).") var password: String?

    func run() async throws {
        let reader = ConfigReader()
        let logger = bootstrapLogging(reader: reader, service: .catalog)
        var urls: [ServiceName: DatabaseURL] = [:]
        for service in ServiceRegistry.services where service.usesDatabase {
            urls[service.name] = try databaseURL(for: service.name, reader: reader)
        }
        // Demo accounts with published passwords, an administrator among them, do not belong in production.
        if reader.string("PLEXUS_MODE", default: "production") != RuntimeMode.development.rawValue {
            guard allowProduction, let password, password.count >= 12 else {
                throw ValidationError("PLEXUS_MODE is production: demo accounts would have well-known passwords. "
                    + "Use --allow-production --password <at least 12 characters>, or seed a development system.")
            }
        }
        let lines = try await DemoSeeder.run(urls: urls, seed: seed, products: products,
                                             currency: reader.string("PLEXUS_CURRENCY", default: "USD"), password: password, logger: logger)
        print(lines.joined(separator: "\n"))
    }
}

/// Runs every registered service's `seedDemo` in registry order, each on its own database.
enum DemoSeeder {
    static func run(urls: [ServiceName: DatabaseURL], seed: UInt64, products: Int, currency: String, password: String? = nil,
                    logger: Logger) async throws -> [String] {
        let demo = DemoSeed(seed: seed, products: products, currency: currency, password: password, topology: ServiceRegistry.topology)
        for service in ServiceRegistry.services where service.usesDatabase {
            guard let url = urls[service.name] else { continue }
            _ = try await migrate(service, url: url, logger: logger)
            try await url.makeClient(maxConnections: 2, logger: logger).withRunning { client in
                try await service.seedDemo(demo, client: client, logger: logger)
            }
        }
        return demo.lines
    }
}
