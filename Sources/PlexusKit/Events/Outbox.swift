import AsyncHTTPClient
import NIOHTTP1
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The transactional outbox. `publish` writes the event and one delivery job per subscriber on the
/// caller's connection, so they commit (or roll back) with the state change that caused them.
public struct Outbox: Sendable {
    /// The job kind that delivers one event to one subscriber.
    public static let deliveryKind = JobKind<Delivery>("outbox.deliver")

    /// This service's name, stamped on every event.
    public let source: ServiceName
    /// Who receives what (from ``Topology``).
    public let subscribers: [Subscriber]

    /// Creates an outbox.
    public init(source: ServiceName, subscribers: [Subscriber]) {
        self.source = source
        self.subscribers = subscribers
    }

    /// The payload of a delivery job.
    public struct Delivery: Codable, Sendable {
        /// The stored event.
        public var eventId: UUID
        /// The subscribing service's name.
        public var subscriber: String
    }

    /// Records `data` as an event of `type` inside the caller's transaction on `connection`.
    @discardableResult
    public func publish<Payload>(_ type: EventType<Payload>, _ data: Payload, on connection: PostgresConnection, logger: Logger) async throws -> UUID {
        precondition(type.publisher == source, "\(source) cannot publish \(type.name), which \(type.publisher) owns")
        let envelope = EventEnvelope(type, data: data)
        let json = String(decoding: try JSON.encoder.encode(envelope), as: UTF8.self)
        let deliveries = try subscribers.filter { $0.eventTypes.contains(type.name) }.map { subscriber in
            String(decoding: try JSON.encoder.encode(Delivery(eventId: envelope.id, subscriber: subscriber.name)), as: UTF8.self)
        }
        guard !deliveries.isEmpty else {
            try await connection.query("INSERT INTO outbox (id, type, payload) VALUES (\(envelope.id), \(type.name), \(json)::jsonb)", logger: logger)
            return envelope.id
        }
        // One round trip: the event, a delivery job per subscriber, and one wake-up for the workers
        // (sent on commit, like every NOTIFY).
        let trace = RequestTrace.current
        let ids = deliveries.map { _ in UUID.v7() }
        try await connection.query("""
            WITH event AS (INSERT INTO outbox (id, type, payload) VALUES (\(envelope.id), \(type.name), \(json)::jsonb)),
                 queued AS (
                     INSERT INTO jobs (id, kind, payload, max_attempts, run_at, request_id, traceparent)
                     SELECT d.id, \(Self.deliveryKind.name), d.payload::jsonb, 12, now(), \(trace?.requestID), \(trace?.traceparent)
                     FROM unnest(\(ids)::uuid[], \(deliveries)::text[]) AS d(id, payload)
                     RETURNING kind)
            SELECT pg_notify(\(JobQueue.channel), \(Self.deliveryKind.name)) FROM (SELECT 1 FROM queued LIMIT 1) one
            """, logger: logger)
        return envelope.id
    }

    /// The breaker deliveries to `subscriber` go through: their own, not the one of the calls requests
    /// make to that service. A subscriber that is down or still starting then fails its deliveries
    /// fast (they are retried with backoff) without refusing the requests' calls to it meanwhile,
    /// and a request path that opened its breaker does not spend the deliveries' attempts.
    public static func breakerName(for subscriber: Subscriber) -> String {
        "events:" + subscriber.name
    }

    /// The job that POSTs one stored event to one subscriber's `/internal/events` with a service
    /// token for that subscriber. Any non-2xx answer is retried with backoff (at-least-once delivery).
    public func deliveryJob(client: DatabaseClient, http: ServiceClient, tokens: ServiceTokens) -> JobRegistration {
        let byName = Dictionary(subscribers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        return .on(Self.deliveryKind) { delivery, job, logger in
            guard let subscriber = byName[delivery.subscriber] else {
                logger.warning("event subscriber no longer configured", metadata: ["subscriber": .string(delivery.subscriber)])
                return
            }
            let rows = try await client.query("SELECT payload::text FROM outbox WHERE id = \(delivery.eventId)", logger: logger)
            var body: String?
            for try await payload in rows.decode(String.self) { body = payload }
            guard let body else { return } // pruned: nothing left to deliver
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Authorization", value: "Bearer \(try tokens.token(for: subscriber.service))")
            let response = try await http.send(
                upstream: Self.breakerName(for: subscriber), method: .POST, url: subscriber.baseURL + KitEndpoints.events(from: []).path,
                headers: headers, body: ByteBuffer(string: body), idempotent: true, deadline: .seconds(10), logger: logger
            )
            guard (200..<300).contains(Int(response.status.code)) else {
                throw DeliveryFailed(subscriber: subscriber.name, status: Int(response.status.code))
            }
            logger.info("event delivered", metadata: ["event": .string(delivery.eventId.lowercased), "subscriber": .string(subscriber.name)])
            // Events can carry single-use tokens for e-mails: once every subscriber has it, the row goes.
            // (`jobs_open_deliveries` answers the NOT EXISTS; a UUID is encoded as its `uuidString`)
            try await client.query("""
                DELETE FROM outbox o WHERE o.id = \(delivery.eventId) AND NOT EXISTS (
                    SELECT 1 FROM jobs j WHERE j.kind = 'outbox.deliver' AND j.status <> 'done' AND j.id <> \(job.id)
                      AND j.payload->>'eventId' = \(delivery.eventId.uuidString))
                """, logger: logger)
        }
    }
}

/// A subscriber answered a delivery with a non-2xx status.
public struct DeliveryFailed: Error, CustomStringConvertible {
    /// Which subscriber.
    public let subscriber: String
    /// The status it answered.
    public let status: Int

    /// A readable description.
    public var description: String { "delivery to \(subscriber) answered \(status)" }
}
