import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IdentityAPI
import IdentityService
import Logging
import NIOCore
import NotificationService
import PlexusKit
import PlexusKitTesting
import PostgresNIO
import Testing

/// A real identity router over a fresh database cloned from the migrated template.
struct IdentityHarness: Sendable {
    let client: DatabaseClient
    /// Identity's worker (e-mail link requests, event deliveries), run by hand with `runOnce`.
    let worker: JobWorker
    let logger = testLogger()

    static func with<T: Sendable>(_ body: @Sendable (IdentityHarness, any TestClientProtocol) async throws -> T) async throws -> T {
        let url = try await TestPostgres.shared.makeDatabase(try IdentityService.migrations.filter { $0.component != "kit" })
        let database = Database(url: url, maxConnections: 30, logger: testLogger())
        return try await database.client.withRunning { client in
            let configuration = IdentityConfiguration(common: .test(.identity, database: url),
                                                      signingKeys: try SigningKeyRing(encoded: SigningKeyRing.generateEncoded()), bcryptCost: 4)
            // notification's declarations make it the subscriber of identity's e-mail events
            let assembled = try await TestServices.assemble(IdentityService.self, configuration: configuration, database: database,
                                                            topology: Topology([IdentityService.self, NotificationService.self]))
            let harness = IdentityHarness(client: client, worker: TestServices.worker(IdentityService.self, assembled))
            return try await Application(router: assembled.parts.router.router).test(.router) { http in try await body(harness, http) }
        }
    }

    /// The token in the newest e-mail link of `type` sent to `email`, read from the outbox.
    func latestToken(_ type: EventType<EmailTokenIssued>, for email: String) async throws -> String? {
        let rows = try await client.query("""
            SELECT payload->'data'->>'actionURL' FROM outbox WHERE type = \(type.name) AND lower(payload->'data'->>'email') = lower(\(email))
            ORDER BY created_at DESC, id DESC LIMIT 1
            """, logger: logger)
        for try await url in rows.decode(String.self) { return URLComponents(string: url)?.queryItems?.first { $0.name == "token" }?.value }
        return nil
    }
}

let strongPassword = "correct horse battery"

extension TestClientProtocol {
    /// Registers, verifies and signs in a user; returns its token pair.
    func signUp(_ harness: IdentityHarness, email: String, password: String = strongPassword, name: String = "Test User") async throws -> TokenPair {
        let registered = try await post("/api/v1/auth/register", RegisterRequest(email: email, password: password, name: name))
        #expect(registered.status == .created)
        let token = try #require(try await harness.latestToken(IdentityEvent.verificationRequested, for: email))
        #expect(try await post("/api/v1/auth/verify-email", TokenRequest(token: token)).status == .ok)
        let login = try await post("/api/v1/auth/login", LoginRequest(email: email, password: password))
        #expect(login.status == .ok)
        return try login.decode(TokenPair.self)
    }
}
