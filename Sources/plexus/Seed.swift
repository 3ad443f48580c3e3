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

    func run() async throws {
        let reader = ConfigReader()
        let logger = bootstrapLogging(reader: reader, service: .catalog)
        var urls: [ServiceName: DatabaseURL] = [:]
        for service in ServiceRegistry.services where service.usesDatabase {
            urls[service.name] = try databaseURL(for: service.name, reader: reader)
        }
        let lines = try await DemoSeeder.run(urls: urls, seed: seed, products: products,
                                             currency: reader.string("PLEXUS_CURRENCY", default: "USD"), logger: logger)
        print(lines.joined(separator: "\n"))
    }
}

/// Runs every registered service's `seedDemo` in registry order, each on its own database.
enum DemoSeeder {
    static func run(urls: [ServiceName: DatabaseURL], seed: UInt64, products: Int, currency: String, logger: Logger) async throws -> [String] {
        let demo = DemoSeed(seed: seed, products: products, currency: currency)
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
