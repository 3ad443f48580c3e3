import ArgumentParser
import Foundation
import Logging
import PlexusKit
import PlexusRegistry

/// `plexus migrate <service|all>`.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply a service's pending migrations (creating its database when allowed).")

    @Argument(help: "A service with a database, or all.") var service: String

    func run() async throws {
        let reader = ConfigReader()
        let logger = bootstrapLogging(reader: reader, service: .gateway)
        let targets = service == "all"
            ? ServiceRegistry.services.filter { $0.usesDatabase }
            : [try registered(ServiceName(rawValue: service) ?? .gateway, needsDatabase: true)]
        for target in targets {
            let url = try databaseURL(for: target.name, reader: reader)
            let applied = try await migrate(target, url: url, logger: logger)
            print("\(target.name.rawValue): \(applied) migration(s) applied")
        }
    }
}

/// The database URL of `service` from the environment.
func databaseURL(for service: ServiceName, reader: ConfigReader) throws -> DatabaseURL {
    if let own = reader.optional(service.environmentPrefix + "DATABASE_URL").flatMap(DatabaseURL.init) { return own }
    guard let base = reader.optional("PLEXUS_DATABASE_URL").flatMap(DatabaseURL.init) else {
        throw ValidationError("set \(service.environmentPrefix)DATABASE_URL or PLEXUS_DATABASE_URL (with `plexus up` running, see .plexus/env)")
    }
    return base.with(database: service.databaseName)
}

/// Creates the database when possible (ignored without the privilege), then migrates it.
func migrate(_ service: any PlexusService.Type, url: DatabaseURL, logger: Logger) async throws -> Int {
    try? await EmbeddedPostgres.createDatabase(url.database, adminURL: url.with(database: "postgres"), logger: logger)
    let client = url.makeClient(maxConnections: 2, logger: logger)
    let sets = try service.migrations
    return try await client.withRunning { client in
        try await MigrationRunner.migrate(sets, client: client, logger: logger)
    }
}
