import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// Runs any ``PlexusService``: its HTTP server and/or its workers, assembled the same way for
/// every service from its declarations and the system ``Topology``.
public enum ServiceHost {
    /// The periodic job that retries parked events (after an upgrade taught the consumer their version).
    static let replayParkedKind = JobKind<NoPayload>("kit.replay_parked")

    /// The environment a service is built in. `verifier` defaults to identity's JWKS.
    public static func environment<S: PlexusService>(
        for service: S.Type, configuration: S.Configuration, topology: Topology, http: ServiceClient, database: Database?,
        verifier: (any AccessTokenVerifier)? = nil, logger: Logger
    ) -> ServiceEnvironment {
        let common = configuration.common
        let identity = common.serviceURLs[.identity] ?? "http://127.0.0.1:\(ServiceName.identity.defaultPort)"
        let base = verifier ?? JWKSVerifier(logger: logger) {
            let response = try await http.send(upstream: ServiceName.identity.rawValue, method: .GET, url: identity + WellKnown.jwks,
                                               deadline: .seconds(3), logger: logger)
            guard response.status == .ok else { throw ProblemError.unavailable("identity answered \(response.status.code) for its JWKS") }
            return try response.decode(JWKSet.self)
        }
        let tokens = common.serviceKeys.map(ServiceTokens.init(keys:))
        // Everyone but identity (which reads its own database) refuses tokens identity revoked.
        var feed: RevocationFeed?
        var checked: any AccessTokenVerifier = base
        if S.name != .identity, let tokens {
            let list = RevocationList()
            feed = RevocationFeed(list: list, identity: ServiceConnection(callee: .identity, baseURL: identity, http: http, tokens: tokens, background: true),
                                  interval: common.revocationPollInterval, logger: logger)
            checked = RevokingVerifier(base: base, revocations: list)
        }
        return ServiceEnvironment(
            service: S.name, database: database, http: http, serviceTokens: tokens, verifier: checked,
            outbox: Outbox(source: S.name, subscribers: topology.subscribers(of: S.name, urls: common.serviceURLs)),
            serviceURLs: common.serviceURLs, topology: topology, revocationFeed: feed, logger: logger
        )
    }

    /// Builds the service and adds what every service shares: `POST /internal/events` for its
    /// declared subscriptions (callable by their publishers only) and `GET /openapi.json`, the
    /// document of everything it registered.
    public static func assemble<S: PlexusService>(_ service: S.Type, configuration: S.Configuration, environment: ServiceEnvironment) async throws -> ServiceParts {
        try complete(S.self, parts: try await S.build(configuration: configuration, environment: environment), environment: environment)
    }

    /// Adds what every service shares to parts `S` built (for a build with replaced collaborators).
    public static func complete<S: PlexusService>(_ service: S.Type, parts: ServiceParts, environment: ServiceEnvironment) throws -> ServiceParts {
        let handled = Set(parts.subscriptions.map(\.event))
        guard handled == Set(S.consumes) else {
            throw ConfigurationError(missing: [], malformed: ["\(S.name) declares \(S.consumes.map(\.description).sorted()) but handles \(handled.map(\.description).sorted())"])
        }
        if !parts.subscriptions.isEmpty {
            consumer(parts, environment).addRoute(to: parts.router)
        }
        if !parts.router.endpoints.contains(where: { $0.id == KitEndpoints.openAPI.id }) {
            let section = OpenAPIDocument.Section(tag: S.name.rawValue, summary: S.summary, endpoints: parts.router.endpoints + [KitEndpoints.openAPI.description])
            try OperationsRoutes.addDocument(to: parts.router, OpenAPIDocument.build(
                title: "Plexus \(S.name.rawValue)", summary: S.summary, sections: [section], includeInternal: true))
        }
        return parts
    }

    static func consumer(_ parts: ServiceParts, _ environment: ServiceEnvironment) -> EventConsumer {
        EventConsumer(client: environment.db.client, subscriptions: parts.subscriptions)
    }

    /// The service's job worker: its own jobs, the outbox delivery job when it publishes, and the
    /// parked-event replay when it consumes.
    public static func worker<S: PlexusService>(_ service: S.Type, parts: ServiceParts, environment: ServiceEnvironment,
                                                options: JobWorkerOptions = JobWorkerOptions()) -> JobWorker {
        let database = environment.db
        var jobs = parts.jobs
        var periodic = parts.periodic
        if !S.publishes.isEmpty {
            jobs.append(environment.outbox.deliveryJob(client: database.client, http: environment.http, tokens: environment.tokens))
        }
        if !parts.subscriptions.isEmpty {
            let consumer = consumer(parts, environment)
            jobs.append(.on(replayParkedKind) { _, _, logger in
                let replayed = try await consumer.replayParked(logger: logger)
                if replayed > 0 { logger.info("parked events replayed", metadata: ["count": .stringConvertible(replayed)]) }
            })
            periodic.append(PeriodicJob(replayParkedKind, every: .seconds(300)))
        }
        return JobWorker(client: database.client, jobs: jobs, periodic: periodic, options: options, logger: environment.logger)
    }

    /// `plexus serve`: the HTTP server, its companions and (unless `runWorkers` is false) the workers,
    /// until SIGTERM/SIGINT.
    public static func serve<S: PlexusService>(_ service: S.Type, configuration: S.Configuration, topology: Topology, runWorkers: Bool,
                                               http: HTTPClient, logger: Logger) async throws {
        let database = S.usesDatabase ? Database(url: configuration.common.database, logger: logger) : nil
        let environment = environment(for: S.self, configuration: configuration, topology: topology, http: ServiceClient(http: http),
                                      database: database, logger: logger)
        let parts = try await assemble(S.self, configuration: configuration, environment: environment)
        var services: [any Service] = (database.map { [$0.pool] } ?? []) + parts.companions + (environment.revocationFeed.map { [$0] } ?? [])
        if runWorkers, database != nil { services.append(worker(S.self, parts: parts, environment: environment)) }
        let app = ServiceRuntime.makeApplication(router: parts.router.router, server: parts.server, name: S.name.rawValue, host: configuration.common.host,
                                                 port: configuration.common.port, services: services, logger: logger)
        try await app.runService()
    }

    /// `plexus work`: only the workers, until SIGTERM/SIGINT.
    public static func work<S: PlexusService>(_ service: S.Type, configuration: S.Configuration, topology: Topology, http: HTTPClient,
                                              logger: Logger) async throws {
        let database = Database(url: configuration.common.database, logger: logger)
        let environment = environment(for: S.self, configuration: configuration, topology: topology, http: ServiceClient(http: http),
                                      database: database, logger: logger)
        let parts = try await assemble(S.self, configuration: configuration, environment: environment)
        let worker = worker(S.self, parts: parts, environment: environment)
        let group = ServiceGroup(configuration: .init(services: [database.pool, worker], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The consumer of a service's subscriptions over a running database (for `plexus events`).
    public static func consumer<S: PlexusService>(_ service: S.Type, configuration: S.Configuration, topology: Topology, database: Database,
                                                  http: HTTPClient, logger: Logger) async throws -> EventConsumer {
        let environment = environment(for: S.self, configuration: configuration, topology: topology, http: ServiceClient(http: http),
                                      database: database, logger: logger)
        let parts = try await S.build(configuration: configuration, environment: environment)
        return consumer(parts, environment)
    }
}
