import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// One event type a service consumes, with the handler that applies it inside the consumer's
/// transaction. Built with ``on(_:_:)`` from the publisher's ``EventType``, so the payload type
/// always matches the name.
public struct EventSubscription: Sendable {
    /// What is consumed; its version is the newest this consumer understands.
    public let event: EventDescriptor
    let apply: @Sendable (_ body: Data, _ connection: PostgresConnection, _ logger: Logger) async throws -> Void

    /// Subscribes to `type`: `handler` receives the decoded envelope and the transaction's connection.
    public static func on<Payload>(
        _ type: EventType<Payload>,
        _ handler: @escaping @Sendable (EventEnvelope<Payload>, PostgresConnection, Logger) async throws -> Void
    ) -> EventSubscription {
        EventSubscription(event: type.descriptor) { body, connection, logger in
            let envelope: EventEnvelope<Payload>
            do { envelope = try JSON.decoder.decode(EventEnvelope<Payload>.self, from: body) } catch {
                throw ProblemError.badRequest("invalid_event", "The \(type.name) payload does not match its declared shape.")
            }
            try await handler(envelope, connection, logger)
        }
    }
}

/// The receiving side of the outbox: records each event id in `inbox` in the same transaction as its
/// effect, so a duplicate delivery commits nothing a second time (exactly-once effect). An event of
/// a version newer than the consumer understands is parked in `parked_events` (acknowledged, kept,
/// visible with `plexus events parked`) and applied by ``replayParked(logger:)`` once the consumer
/// is upgraded.
public struct EventConsumer: Sendable {
    let client: DatabaseClient
    let subscriptions: [String: EventSubscription]

    /// Creates a consumer for `subscriptions` (one per event type).
    public init(client: DatabaseClient, subscriptions: [EventSubscription]) {
        self.client = client
        self.subscriptions = Dictionary(subscriptions.map { ($0.event.name, $0) }, uniquingKeysWith: { _, _ in
            preconditionFailure("an event type is subscribed to twice")
        })
    }

    /// The services allowed to deliver: the publishers of the subscribed events.
    public var publishers: Set<ServiceName> { Set(subscriptions.values.map(\.event.publisher)) }

    /// The outcome of one delivery.
    public enum Outcome: String, Codable, Sendable {
        /// The effect was applied now.
        case applied
        /// The event was seen before; nothing was done.
        case duplicate
        /// No handler for this type; acknowledged and ignored.
        case ignored
        /// A version this consumer does not understand: kept for replay after an upgrade.
        case parked
    }

    /// Applies one delivered envelope.
    public func consume(_ body: Data, logger: Logger) async throws -> Outcome {
        let header: EventHeader
        do { header = try JSON.decoder.decode(EventHeader.self, from: body) } catch {
            throw ProblemError.badRequest("invalid_event", "The event envelope is malformed.")
        }
        var logger = logger
        logger[metadataKey: "event"] = .string("\(header.type)@v\(header.version)/\(header.id.lowercased)")
        guard let subscription = subscriptions[header.type] else {
            logger.info("event ignored")
            return .ignored
        }
        guard (1...subscription.event.version).contains(header.version) else {
            try await park(header, body: body, reason: "version \(header.version) is newer than the \(subscription.event.version) this consumer understands", logger: logger)
            logger.warning("event parked: unknown version", metadata: ["understands": .stringConvertible(subscription.event.version)])
            return .parked
        }
        let outcome = try await client.withTransaction(logger: logger) { connection -> Outcome in
            let rows = try await connection.query("""
                INSERT INTO inbox (event_id, type) VALUES (\(header.id), \(header.type))
                ON CONFLICT (event_id) DO NOTHING RETURNING event_id
                """, logger: logger)
            var fresh = false
            for try await _ in rows { fresh = true }
            guard fresh else { return .duplicate }
            try await subscription.apply(body, connection, logger)
            return .applied
        }
        logger.info("event \(outcome.rawValue)")
        return outcome
    }

    func park(_ header: EventHeader, body: Data, reason: String, logger: Logger) async throws {
        let json = String(decoding: body, as: UTF8.self)
        try await client.query("""
            INSERT INTO parked_events (event_id, type, version, body, reason) VALUES (\(header.id), \(header.type), \(header.version), \(json)::jsonb, \(reason))
            ON CONFLICT (event_id) DO NOTHING
            """, logger: logger)
    }

    /// A parked event as listed for an operator.
    public struct Parked: Sendable, Codable {
        /// The event id.
        public var eventId: UUID
        /// Its type.
        public var type: String
        /// Its version.
        public var version: Int
        /// Why it was parked.
        public var reason: String
        /// When.
        public var parkedAt: Date
    }

    /// The parked events, oldest first.
    public func parked(logger: Logger) async throws -> [Parked] {
        let rows = try await client.query("SELECT event_id, type, version, reason, parked_at FROM parked_events ORDER BY parked_at, event_id", logger: logger)
        var result: [Parked] = []
        for try await (id, type, version, reason, at) in rows.decode((UUID, String, Int, String, Date).self) {
            result.append(Parked(eventId: id, type: type, version: version, reason: reason, parkedAt: at))
        }
        return result
    }

    /// Consumes every parked event again; those this build understands are applied (or found to be
    /// duplicates) and leave the parking table. Returns how many left it.
    @discardableResult
    public func replayParked(logger: Logger) async throws -> Int {
        let rows = try await client.query("SELECT event_id, body::text FROM parked_events ORDER BY parked_at, event_id", logger: logger)
        var stored: [(UUID, String)] = []
        for try await row in rows.decode((UUID, String).self) { stored.append(row) }
        var replayed = 0
        for (id, body) in stored {
            let header = try JSON.decoder.decode(EventHeader.self, from: Data(body.utf8))
            let trace = RequestTrace(requestID: header.requestId ?? "event-" + id.lowercased, continuing: header.traceparent)
            let outcome = try await RequestTrace.with(trace) { try await consume(Data(body.utf8), logger: trace.apply(to: logger)) }
            guard outcome != .parked else { continue }
            try await client.query("DELETE FROM parked_events WHERE event_id = \(id)", logger: logger)
            replayed += 1
        }
        return replayed
    }

    /// Adds `POST /internal/events`, which accepts only a service token for this service from one
    /// of the subscribed events' publishers.
    public func addRoute(to router: EndpointRouter) {
        router.on(KitEndpoints.events(from: publishers)) { request, context in
            var request = request
            let buffer = try await request.collectBody(upTo: 1 << 20)
            let outcome = try await self.consume(Data(buffer: buffer), logger: context.logger)
            return try Response.json(EventDeliveryOutcome(outcome: outcome.rawValue))
        }
    }
}
