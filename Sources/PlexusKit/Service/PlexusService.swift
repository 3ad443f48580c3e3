import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import PostgresNIO
import ServiceLifecycle

/// The one shape every Plexus service has. A service is an enum conforming to this protocol, listed
/// once in the registry (`Sources/PlexusRegistry`); `plexus serve/work/migrate/up/seed`, the event
/// topology and the gateway's route table are derived from these declarations.
public protocol PlexusService {
    /// The service's typed configuration.
    associatedtype Configuration: ServiceConfiguration

    /// Its name (and with it its default port, environment prefix and database name).
    static var name: ServiceName { get }
    /// Whether it owns a database (every service but the gateway).
    static var usesDatabase: Bool { get }
    /// Its migrations, the kit's first.
    static var migrations: [MigrationSet] { get throws }
    /// The events it consumes; their publishers deliver to it and may call `/internal/events`.
    static var consumes: [EventDescriptor] { get }
    /// The events it publishes.
    static var publishes: [EventDescriptor] { get }
    /// The services whose internal routes it calls (each grants it in its own declarations).
    static var callees: [ServiceName] { get }
    /// One line on what it does (the documentation's tag description).
    static var summary: String { get }
    /// Every endpoint it serves beside the kit's (health, metrics, `/openapi.json`, `/internal/events`):
    /// the router registers exactly these (a test checks), the gateway routes the public ones, and
    /// the OpenAPI documents list them.
    static var endpoints: [EndpointDescription] { get }

    /// Reads the configuration, listing every missing or malformed key.
    static func loadConfiguration(reader: inout ConfigReader) throws -> Configuration
    /// Builds the router and the handlers of its events and jobs over `environment`.
    static func build(configuration: Configuration, environment: ServiceEnvironment) async throws -> ServiceParts
    /// Writes its share of the demo data (`plexus seed`, `up --demo`), reading and adding to `demo`.
    static func seedDemo(_ demo: DemoSeed, client: DatabaseClient, logger: Logger) async throws
}

extension PlexusService {
    public static var usesDatabase: Bool { true }
    public static var migrations: [MigrationSet] { get throws { [] } }
    public static var consumes: [EventDescriptor] { [] }
    public static var publishes: [EventDescriptor] { [] }
    public static var callees: [ServiceName] { [] }
    public static var endpoints: [EndpointDescription] { [] }
    public static func seedDemo(_ demo: DemoSeed, client: DatabaseClient, logger: Logger) async throws {}
}

/// What every service configuration carries.
public protocol ServiceConfiguration: Sendable {
    /// The settings every service reads the same way.
    var common: CommonConfiguration { get }
}

/// What a service's `build` returns: its router and what runs beside it.
public struct ServiceParts {
    /// The HTTP router (usually from ``ServiceEnvironment/makeRouter(migrations:)``).
    public var router: EndpointRouter
    /// Handlers of the consumed events; must match ``PlexusService/consumes``.
    public var subscriptions: [EventSubscription]
    /// Job handlers its workers run (the outbox delivery job is added by the host).
    public var jobs: [JobRegistration]
    /// Jobs enqueued on a schedule.
    public var periodic: [PeriodicJob]
    /// Long-running companions of the HTTP server (a cache invalidation listener).
    public var companions: [any Service]
    /// The HTTP server: Hummingbird's HTTP/1.1 unless the service brings its own channel (the gateway's edge).
    public var server: HTTPServerBuilder

    /// Creates the parts.
    public init(router: EndpointRouter, subscriptions: [EventSubscription] = [], jobs: [JobRegistration] = [],
                periodic: [PeriodicJob] = [], companions: [any Service] = [], server: HTTPServerBuilder = .http1()) {
        self.router = router
        self.server = server
        self.subscriptions = subscriptions
        self.jobs = jobs
        self.periodic = periodic
        self.companions = companions
    }
}
