import Foundation
import PaymentAPI
import Hummingbird
import IdentityAPI
import Logging
import PlexusKit
import PostgresNIO
import ShopAPI

/// Identity: users, credentials, sessions, e-mail verification, password resets, addresses.
public enum IdentityService: PlexusService {
    public static let name = ServiceName.identity
    public static var migrations: [MigrationSet] {
        get throws { try MigrationSet.service("identity", bundle: .module) }
    }
    public static let consumes = [ShopEvent.created.descriptor, PaymentEvent.membershipActivated.descriptor, PaymentEvent.membershipRenewed.descriptor,
                                  PaymentEvent.membershipExpired.descriptor]
    public static let publishes = IdentityEvent.all
    public static let summary = "Accounts, sign-in with JWTs, e-mail verification, password resets, sessions, addresses and user administration."
    public static let endpoints = IdentityEndpoints.all + [KitEndpoints.revocations.description]

    public static func loadConfiguration(reader: inout ConfigReader) throws -> IdentityConfiguration {
        try IdentityConfiguration.load(reader: &reader)
    }

    /// The router over a running database. Access tokens are verified against identity's own
    /// key ring, not fetched from itself.
    public static func build(configuration: IdentityConfiguration, environment: ServiceEnvironment) async throws -> ServiceParts {
        let database = environment.db
        let identity = try await Identity(client: database.client, configuration: configuration, outbox: environment.outbox)
        let keys = configuration.signingKeys
        let verifier = JWKSVerifier(logger: environment.logger) { keys.jwks }
        let router = environment.makeRouter(migrations: try migrations, verifier: verifier)
        // Authentication answers carry tokens or act on secrets: they are never stored for replay.
        let unstored = Set(IdentityEndpoints.all.filter(\.strictLimit).map(\.path))
        router.router.add(middleware: IdempotencyMiddleware(client: database.client, excluded: { unstored.contains($0.uri.path) }))
        let flows = AuthFlows(identity: identity)
        AuthController(flows: flows, identity: identity).addRoutes(to: router)
        UsersController(identity: identity).addRoutes(to: router)
        AdminController(identity: identity).addRoutes(to: router)
        PagesController(flows: flows).addRoutes(to: router)
        let revocations = RevocationsController(client: database.client, horizonSeconds: configuration.accessTokenTTL + Int(AccessClaims.leeway))
        revocations.addRoutes(to: router)
        return ServiceParts(router: router, subscriptions: ShopEventHandlers.subscriptions + MembershipEventHandlers.subscriptions, jobs: [revocations.pruneJob(), flows.sendLinkJob],
                            periodic: [PeriodicJob(RevocationsController.prune, every: .seconds(3600))])
    }

    /// Creates (or updates) a verified user with `role`: `plexus admin create-user` and `up --demo`.
    public static func createUser(email: String, password: String, name: String, roles: [Role], client: DatabaseClient, bcryptCost: Int, logger: Logger) async throws -> UserDTO {
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
                WHERE lower(email) = lower(\(UserRepository.normalized(email))) RETURNING \(unescaped: UserRepository.columns)
                """, logger: logger)
            return try await UserRepository.decode(rows)[0].dto
        }
    }
}
