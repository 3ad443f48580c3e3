import ArgumentParser
import AsyncHTTPClient
import CatalogAPI
import CatalogService
import Foundation
import GatewayService
import Hummingbird
import IdentityAPI
import IdentityService
import Logging
import NotificationService
import PlexusKit
import ServiceLifecycle
import ShopAPI
import ShopService

/// `plexus serve <service>`: one service (HTTP and, by default, its workers) until SIGTERM/SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run one service (production mode unless PLEXUS_MODE=development).")

    @Argument(help: "identity | catalog | shop | notification | gateway") var service: ServiceName
    @Flag(help: "Do not run background workers in this process (run them with `plexus work`).") var noWorkers = false

    func run() async throws {
        var reader = ConfigReader()
        let logger = bootstrapLogging(reader: reader, service: service)
        do {
            switch service {
            case .identity:
                let configuration = try identityConfiguration(&reader, runWorkers: !noWorkers)
                let app = try await IdentityService.buildApplication(configuration: configuration, http: ServiceClient(http: .plexus), logger: logger)
                try await app.runService()
            case .notification:
                let configuration = try NotificationConfiguration.load(reader: &reader, runWorkers: !noWorkers)
                let identity = IdentityClient(client: ServiceClient(http: .plexus), baseURL: configuration.common.serviceURLs[.identity]!)
                let app = try await NotificationService.buildApplication(configuration: configuration, verifier: identity.tokenVerifier(logger: logger), logger: logger)
                try await app.runService()
            case .catalog:
                let configuration = try CatalogConfiguration.load(reader: &reader, runWorkers: !noWorkers)
                let http = ServiceClient(http: .plexus)
                let shops = ShopClient(client: http, baseURL: configuration.common.serviceURLs[.shop]!,
                                       tokens: await ServiceTokens(serviceName: "catalog", secret: configuration.common.internalSecret))
                let app = try await CatalogService.buildApplication(configuration: configuration, verifier: verifier(configuration.common, http, logger),
                                                                    shops: shops, logger: logger)
                try await app.runService()
            case .shop:
                let configuration = try shopConfiguration(&reader, runWorkers: !noWorkers)
                let http = ServiceClient(http: .plexus)
                let app = try await ShopService.buildApplication(configuration: configuration, verifier: verifier(configuration.common, http, logger),
                                                                 http: http, logger: logger)
                try await app.runService()
            case .gateway:
                let configuration = try GatewayConfiguration.load(reader: &reader)
                try await GatewayService.buildApplication(configuration: configuration, http: .plexus, logger: logger).runService()
            default:
                throw ValidationError("\(service) is not implemented yet; available: \(Topology.services.map(\.rawValue).joined(separator: ", "))")
            }
        } catch let error as ConfigurationError {
            logger.critical("cannot start \(service)")
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(78)
        }
    }
}

/// `plexus work <service>`: only the background workers.
struct Work: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run only a service's background workers.")

    @Argument(help: "identity | catalog | shop | notification") var service: ServiceName

    func run() async throws {
        var reader = ConfigReader()
        let logger = bootstrapLogging(reader: reader, service: service)
        let worker: JobWorker
        let database: Database
        switch service {
        case .identity:
            let configuration = try identityConfiguration(&reader, runWorkers: true)
            database = Database(url: configuration.common.database, logger: logger)
            worker = try await IdentityService.worker(configuration: configuration, database: database, http: ServiceClient(http: .plexus), logger: logger)
        case .notification:
            let configuration = try NotificationConfiguration.load(reader: &reader, runWorkers: true)
            database = Database(url: configuration.common.database, logger: logger)
            worker = NotificationService.worker(configuration: configuration, database: database, logger: logger)
        case .catalog:
            let configuration = try CatalogConfiguration.load(reader: &reader, runWorkers: true)
            database = Database(url: configuration.common.database, logger: logger)
            worker = CatalogService.worker(database: database, logger: logger)
        case .shop:
            let configuration = try shopConfiguration(&reader, runWorkers: true)
            database = Database(url: configuration.common.database, logger: logger)
            worker = await ShopService.worker(configuration: configuration, database: database, http: ServiceClient(http: .plexus), logger: logger)
        default:
            throw ValidationError("\(service) has no workers")
        }
        let group = ServiceGroup(configuration: .init(services: [database.client, worker], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Identity's configuration with its event subscribers taken from the service URLs it read.
func identityConfiguration(_ reader: inout ConfigReader, runWorkers: Bool) throws -> IdentityConfiguration {
    var configuration = try IdentityConfiguration.load(reader: &reader, subscribers: [], runWorkers: runWorkers)
    configuration.subscribers = Topology.subscribers(of: .identity, urls: configuration.common.serviceURLs)
    return configuration
}

/// Shop's configuration with its event subscribers.
func shopConfiguration(_ reader: inout ConfigReader, runWorkers: Bool) throws -> ShopConfiguration {
    var configuration = try ShopConfiguration.load(reader: &reader, subscribers: [], runWorkers: runWorkers)
    configuration.subscribers = Topology.subscribers(of: .shop, urls: configuration.common.serviceURLs)
    return configuration
}

/// Access-token verification against identity's JWKS.
func verifier(_ common: CommonConfiguration, _ http: ServiceClient, _ logger: Logger) -> JWKSVerifier {
    IdentityClient(client: http, baseURL: common.serviceURLs[.identity]!).tokenVerifier(logger: logger)
}

func bootstrapLogging(reader: ConfigReader, service: ServiceName) -> Logger {
    let mode = RuntimeMode(rawValue: reader.string("PLEXUS_MODE", default: "production")) ?? .production
    let level = Logger.Level(rawValue: reader.string("PLEXUS_LOG_LEVEL", default: "info")) ?? .info
    LogSetup.bootstrap(mode: mode, level: level)
    return Logger(label: "plexus.\(service.rawValue)")
}
