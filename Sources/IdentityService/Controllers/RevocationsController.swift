import Foundation
import Hummingbird
import Logging
import PlexusKit
import PostgresNIO

/// `GET /internal/revocations`: the feed other services and the gateway poll to refuse revoked
/// access tokens (the rows come from triggers on `users` and `refresh_tokens`).
struct RevocationsController: Sendable {
    let client: DatabaseClient
    /// Access-token lifetime plus the verifiers' clock-skew allowance.
    let horizonSeconds: Int

    func addRoutes(to router: EndpointRouter) {
        router.on(KitEndpoints.revocations) { request, context in
            let query = try request.query(allowing: ["after"])
            guard let after = Int64(query["after"] ?? "0"), after >= 0 else {
                throw ProblemError.invalidQuery([FieldError(field: "after", code: "invalid", message: "Use a whole number of 0 or more.")])
            }
            return try Response.json(RevocationFeedDTO(entries: try await entries(after: after, logger: context.logger), horizonSeconds: horizonSeconds))
        }
    }

    func entries(after: Int64, logger: Logger) async throws -> [RevocationEntry] {
        let rows = try await client.query("""
            SELECT id, user_id, min_token_version, session_id, created_at FROM revocations
            WHERE id > \(after) AND created_at > now() - make_interval(secs => \(horizonSeconds))
            ORDER BY id LIMIT 1000
            """, logger: logger)
        var entries: [RevocationEntry] = []
        for try await (id, user, version, session, at) in rows.decode((Int64, UUID?, Int?, UUID?, Date).self) {
            entries.append(RevocationEntry(id: id, userId: user, minTokenVersion: version, sessionId: session, at: at))
        }
        return entries
    }

    /// The hourly job that forgets revocations past the horizon.
    static let prune = JobKind<NoPayload>("identity.prune_revocations")

    func pruneJob() -> JobRegistration {
        .on(Self.prune) { _, _, logger in
            try await client.query("DELETE FROM revocations WHERE created_at < now() - make_interval(secs => \(horizonSeconds * 2))", logger: logger)
        }
    }
}
