import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import PlexusKit
import PlexusRegistry

/// `plexus serve <service>`: one service (HTTP and, by default, its workers) until SIGTERM/SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run one service (production mode unless PLEXUS_MODE=development).")

    @Argument(help: ArgumentHelp("The service.", valueName: ServiceRegistry.topology.services.map { $0.rawValue }.joined(separator: "|"))) var service: ServiceName
    @Flag(help: "Do not run background workers in this process (run them with `plexus work`).") var noWorkers = false

    func run() async throws {
        try await Self.serve(try registered(service), runWorkers: !noWorkers)
    }

    static func serve<S: PlexusService>(_ service: S.Type, runWorkers: Bool) async throws {
        try await withConfiguration(S.self) { configuration, logger in
            try await ServiceHost.serve(S.self, configuration: configuration, topology: ServiceRegistry.topology, runWorkers: runWorkers,
                                        http: .plexus, logger: logger)
        }
    }
}

/// `plexus work <service>`: only the background workers.
struct Work: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run only a service's background workers.")

    @Argument(help: "A service with a database.") var service: ServiceName

    func run() async throws {
        try await Self.work(try registered(service, needsDatabase: true))
    }

    static func work<S: PlexusService>(_ service: S.Type) async throws {
        try await withConfiguration(S.self) { configuration, logger in
            try await ServiceHost.work(S.self, configuration: configuration, topology: ServiceRegistry.topology, http: .plexus, logger: logger)
        }
    }
}

/// The registered service called `name`, or a usage error listing the registered ones.
func registered(_ name: ServiceName, needsDatabase: Bool = false) throws -> any PlexusService.Type {
    guard let service = ServiceRegistry.service(named: name), !needsDatabase || service.usesDatabase else {
        let names = ServiceRegistry.services.filter { !needsDatabase || $0.usesDatabase }.map { $0.name.rawValue }
        throw ValidationError("'\(name.rawValue)' is not \(needsDatabase ? "a service with a database" : "a registered service"); use one of \(names.joined(separator: ", "))")
    }
    return service
}

/// Loads `S`'s configuration from the environment (exit 78 listing every missing key) and runs `body`.
func withConfiguration<S: PlexusService>(_ service: S.Type, _ body: (S.Configuration, Logger) async throws -> Void) async throws {
    var reader = ConfigReader()
    let logger = bootstrapLogging(reader: reader, service: S.name)
    let configuration: S.Configuration
    do {
        configuration = try S.loadConfiguration(reader: &reader)
    } catch let error as ConfigurationError {
        logger.critical("cannot start \(S.name)")
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        throw ExitCode(78)
    }
    try await body(configuration, logger)
}

func bootstrapLogging(reader: ConfigReader, service: ServiceName) -> Logger {
    let mode = RuntimeMode(rawValue: reader.string("PLEXUS_MODE", default: "production")) ?? .production
    let level = Logger.Level(rawValue: reader.string("PLEXUS_LOG_LEVEL", default: "info")) ?? .info
    LogSetup.bootstrap(mode: mode, level: level)
    return Logger(label: "plexus.\(service.rawValue)")
}

extension ServiceName: ExpressibleByArgument {}
