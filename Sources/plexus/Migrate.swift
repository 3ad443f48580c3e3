import ArgumentParser
import Foundation
import CatalogService
import IdentityService
import Logging
import NotificationService
import PlexusKit
import ShopService

/// `plexus migrate <service|all>`.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply a service's pending migrations (creating its database when allowed).")

    @Argument(help: "identity | catalog | shop | notification | all") var service: String

    func run() async throws {
        let reader = ConfigReader()
        let logger = bootstrapLogging(reader: reader, service: .gateway)
        let targets: [ServiceName] = service == "all" ? Topology.databaseServices : [ServiceName(rawValue: service)].compactMap { $0 }
        guard !targets.isEmpty, targets.allSatisfy(Topology.databaseServices.contains) else {
            throw ValidationError("unknown service '\(service)'; use one of \(Topology.databaseServices.map(\.rawValue).joined(separator: ", ")) or all")
        }
        for target in targets {
            guard let url = databaseURL(for: target, reader: reader) else {
                throw ValidationError("set \(target.environmentPrefix)DATABASE_URL or PLEXUS_DATABASE_URL")
            }
            let applied = try await migrate(target, url: url, logger: logger)
            print("\(target.rawValue): \(applied) migration(s) applied")
        }
    }
}

/// The database URL of `service` from the environment.
func databaseURL(for service: ServiceName, reader: ConfigReader) -> DatabaseURL? {
    if let own = reader.optional(service.environmentPrefix + "DATABASE_URL") { return DatabaseURL(own) }
    return reader.optional("PLEXUS_DATABASE_URL").flatMap(DatabaseURL.init)?.with(database: service.databaseName)
}

/// Migration sets of every service with a database.
func migrationSets(_ service: ServiceName) throws -> [MigrationSet] {
    switch service {
    case .identity: try IdentityService.migrations
    case .notification: try NotificationService.migrations
    case .catalog: try CatalogService.migrations
    case .shop: try ShopService.migrations
    default: []
    }
}

/// Creates the database when possible (ignored without the privilege), then migrates it.
func migrate(_ service: ServiceName, url: DatabaseURL, logger: Logger) async throws -> Int {
    try? await EmbeddedPostgres.createDatabase(url.database, adminURL: url.with(database: "postgres"), logger: logger)
    let client = url.makeClient(maxConnections: 2, logger: logger)
    let sets = try migrationSets(service)
    return try await client.withRunning { client in
        try await MigrationRunner.migrate(sets, client: client, logger: logger)
    }
}
