import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle

/// The standard middleware stack and application shape every service shares.
public enum ServiceRuntime {
    /// A router with request ids, problem+json errors, metrics and (when given) bearer-token
    /// verification. ``ServiceEnvironment/makeRouter(migrations:verifier:)`` adds the operational routes.
    public static func makeRouter(verifier: (any AccessTokenVerifier)?) -> Router<PlexusContext> {
        _ = Observability.registry
        // HEAD answers as GET does, without the body (a CDN or a browser checking a file or a cache)
        let router = Router(context: PlexusContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: PersonalResponseMiddleware())
        router.add(middleware: DatabaseRetryMiddleware())
        router.add(middleware: MetricsMiddleware())
        if let verifier { router.add(middleware: AuthMiddleware(verifier: verifier)) }
        return router
    }

    /// An application listening on `host:port` running `services` beside the server.
    public static func makeApplication(
        router: Router<PlexusContext>, server: HTTPServerBuilder = .http1(), name: String, host: String, port: Int, services: [any Service], logger: Logger
    ) -> some ApplicationProtocol {
        Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: serverName(name)),
            services: services,
            logger: logger
        )
    }

    /// The `Server` header of a service's answers.
    public static func serverName(_ service: String) -> String { "plexus-" + service }

    /// A readiness check for a database whose migrations must be applied.
    public static func databaseReadiness(_ database: Database, migrations: [MigrationSet], logger: Logger) -> ReadinessCheck {
        {
            let reachable = await database.probe()
            guard reachable == "ok" else { return ["database": reachable] }
            let upToDate = (try? await MigrationRunner.isUpToDate(migrations, client: database.client, logger: logger)) ?? false
            return ["database": "ok", "migrations": upToDate ? "ok" : "pending"]
        }
    }
}
