import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// Handles one event type inside the consumer's transaction. `body` is the whole envelope.
public typealias EventHandler = @Sendable (_ body: Data, _ connection: PostgresConnection, _ logger: Logger) async throws -> Void

/// The receiving side of the outbox: records each event id in `inbox` in the same transaction as its
/// effect, so a duplicate delivery commits nothing a second time (exactly-once effect).
public struct EventConsumer: Sendable {
    let client: PostgresClient
    let handlers: [String: EventHandler]

    /// Creates a consumer with a handler per event type.
    public init(client: PostgresClient, handlers: [String: EventHandler]) {
        self.client = client
        self.handlers = handlers
    }

    /// The outcome of one delivery.
    public enum Outcome: String, Codable, Sendable {
        /// The effect was applied now.
        case applied
        /// The event was seen before; nothing was done.
        case duplicate
        /// No handler for this type; acknowledged and ignored.
        case ignored
    }

    /// Applies one delivered envelope.
    public func consume(_ body: Data, logger: Logger) async throws -> Outcome {
        let header: EventHeader
        do { header = try JSON.decoder.decode(EventHeader.self, from: body) } catch {
            throw ProblemError.badRequest("invalid_event", "The event envelope is malformed.")
        }
        guard let handler = handlers[header.type] else { return .ignored }
        return try await client.withTransaction(logger: logger) { connection -> Outcome in
            let rows = try await connection.query("""
                INSERT INTO inbox (event_id, type) VALUES (\(header.id), \(header.type))
                ON CONFLICT (event_id) DO NOTHING RETURNING event_id
                """, logger: logger)
            var fresh = false
            for try await _ in rows { fresh = true }
            guard fresh else { return .duplicate }
            try await handler(body, connection, logger)
            return .applied
        }
    }

    /// Adds `POST /internal/events`, which only accepts a valid service token.
    public func addRoute(to router: Router<PlexusContext>, tokens: ServiceTokens) {
        router.post("/internal/events") { request, context in
            try await tokens.requireService(request)
            var request = request
            let buffer = try await request.collectBody(upTo: 1 << 20)
            let outcome = try await self.consume(Data(buffer: buffer), logger: context.logger)
            return try Response.json(["outcome": outcome.rawValue])
        }
    }
}
