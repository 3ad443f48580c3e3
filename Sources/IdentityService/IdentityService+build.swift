import Foundation
import Hummingbird
import IdentityAPI
import Logging
import PlexusKit
import PostgresNIO
import ServiceLifecycle

/// Identity: users, credentials, sessions, e-mail verification, password resets, addresses.
public enum IdentityService {
    /// Identity's own migrations (after the kit's).
    public static var migrations: [MigrationSet] {
        get throws { try MigrationSet.service("identity", bundle: .module) }
    }

    /// Builds the router over a running database client.
    public static func buildRouter(configuration: IdentityConfiguration, database: Database, logger: Logger) async throws -> Router<PlexusContext> {
        let identity = try await Identity(client: database.client, configuration: configuration)
        let keys = configuration.signingKeys
        let verifier = JWKSVerifier(logger: logger) { keys.jwks }
        let migrations = try Self.migrations
        let router = ServiceRuntime.makeRouter(verifier: verifier, ready: ServiceRuntime.databaseReadiness(database, migrations: migrations, logger: logger))
        // Sign-in responses carry tokens: they are never stored for replay.
        router.add(middleware: IdempotencyMiddleware(client: database.client, excluded: { $0.uri.path.hasPrefix("/api/v1/auth/") }))
        let tokens = await ServiceTokens(serviceName: "identity", secret: configuration.common.internalSecret)
        EventConsumer(client: database.client, handlers: ShopEventHandlers.handlers).addRoute(to: router, tokens: tokens)
        let flows = AuthFlows(identity: identity)
        AuthController(flows: flows, identity: identity).addRoutes(to: router)
        UsersController(identity: identity).addRoutes(to: router)
        AdminController(identity: identity).addRoutes(to: router)
        PagesController(flows: flows).addRoutes(to: router)
        return router
    }

    /// Builds the whole service: HTTP server, database pool and (optionally) the job worker that
    /// delivers identity's events.
    public static func buildApplication(configuration: IdentityConfiguration, http: ServiceClient, logger: Logger) async throws -> some ApplicationProtocol {
        let database = Database(url: configuration.common.database, logger: logger)
        let router = try await buildRouter(configuration: configuration, database: database, logger: logger)
        var services: [any Service] = [database.client]
        if configuration.runWorkers {
            services.append(try await worker(configuration: configuration, database: database, http: http, logger: logger))
        }
        return ServiceRuntime.makeApplication(router: router, name: "identity", host: configuration.common.host,
                                              port: configuration.common.port, services: services, logger: logger)
    }

    /// The job worker alone (for `plexus work identity`).
    public static func worker(configuration: IdentityConfiguration, database: Database, http: ServiceClient, logger: Logger) async throws -> JobWorker {
        let tokens = await ServiceTokens(serviceName: "identity", secret: configuration.common.internalSecret)
        let outbox = configuration.outbox
        return JobWorker(client: database.client,
                         handlers: [Outbox.deliveryKind: outbox.deliveryHandler(client: database.client, http: http, tokens: tokens)],
                         logger: logger)
    }

    /// Creates (or updates) a verified user with `role`: `plexus admin create-user` and `up --demo`.
    public static func createUser(email: String, password: String, name: String, roles: [Role], client: PostgresClient, bcryptCost: Int, logger: Logger) async throws -> UserDTO {
        let problems = ProfileRules.validateEmail(email) + PasswordPolicy.validate(password, email: email)
        guard problems.isEmpty else { throw ProblemError.validation(problems) }
        let hash = try await PasswordHasher(cost: bcryptCost).hash(password)
        let allRoles = Array(Set(roles + [.customer])).sorted()
        return try await client.withTransaction(logger: logger) { connection in
            let users = UserRepository(client: client)
            if let user = try await users.insert(email: email, name: name, passwordHash: hash, roles: allRoles, verified: true, on: connection, logger: logger) {
                return user.dto
            }
            let rows = try await connection.query("""
                UPDATE users SET password_hash = \(hash), roles = \(allRoles.map(\.rawValue)), email_verified = true, disabled = false,
                       token_version = token_version + 1, updated_at = now()
                WHERE lower(email) = lower(\(email)) RETURNING \(unescaped: UserRepository.columns)
                """, logger: logger)
            return try await UserRepository.decode(rows)[0].dto
        }
    }
}
