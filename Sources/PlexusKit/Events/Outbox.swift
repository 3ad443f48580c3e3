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
    public static let deliveryKind = "outbox.deliver"

    /// This service's name, stamped on every event.
    public let source: String
    /// Who receives what.
    public let subscribers: [Subscriber]

    /// Creates an outbox.
    public init(source: String, subscribers: [Subscriber]) {
        self.source = source
        self.subscribers = subscribers
    }

    struct Delivery: Codable {
        var eventId: UUID
        var subscriber: String
    }

    /// Records `data` as event `type` inside the caller's transaction on `connection`.
    @discardableResult
    public func publish<Payload: Codable & Sendable>(_ type: String, _ data: Payload, on connection: PostgresConnection, logger: Logger) async throws -> UUID {
        let envelope = EventEnvelope(type: type, source: source, data: data)
        let json = String(decoding: try JSON.encoder.encode(envelope), as: UTF8.self)
        try await connection.query("INSERT INTO outbox (id, type, payload) VALUES (\(envelope.id), \(type), \(json)::jsonb)", logger: logger)
        for subscriber in subscribers where subscriber.eventTypes.contains(type) {
            try await JobQueue.enqueue(kind: Self.deliveryKind, payload: Delivery(eventId: envelope.id, subscriber: subscriber.name),
                                       options: JobOptions(maxAttempts: 12), on: connection, logger: logger)
        }
        return envelope.id
    }

    /// The job handler that POSTs one stored event to one subscriber's `/internal/events` with a
    /// service token. Any non-2xx answer is retried with backoff (at-least-once delivery).
    public func deliveryHandler(client: PostgresClient, http: ServiceClient, tokens: ServiceTokens) -> JobHandler {
        let byName = Dictionary(subscribers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        return { job, logger in
            let delivery = try job.decode(Delivery.self)
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
            headers.add(name: "Authorization", value: "Bearer \(try await tokens.issue())")
            let response = try await http.send(
                upstream: subscriber.name, method: .POST, url: subscriber.baseURL + "/internal/events",
                headers: headers, body: ByteBuffer(string: body), idempotent: true, deadline: .seconds(10), logger: logger
            )
            guard (200..<300).contains(Int(response.status.code)) else {
                throw DeliveryFailed(subscriber: subscriber.name, status: Int(response.status.code))
            }
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
