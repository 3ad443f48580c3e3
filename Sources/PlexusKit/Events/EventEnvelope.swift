import Foundation

/// An event as it travels from a publisher's outbox to a subscriber's `/internal/events`.
public struct EventEnvelope<Payload: Codable & Sendable>: Codable, Sendable {
    /// Unique event id; subscribers deduplicate on it.
    public var id: UUID
    /// Dotted type, e.g. `identity.user_registered`.
    public var type: String
    /// The version of the payload's shape (see ``EventType``).
    public var version: Int
    /// The publishing service.
    public var source: String
    /// When the state change happened.
    public var occurredAt: Date
    /// The request that caused the event, so the consumer's logs carry the same id.
    public var requestId: String?
    /// The W3C trace context of that request.
    public var traceparent: String?
    /// The event-specific data.
    public var data: Payload

    /// Creates an envelope of `type`, stamped with the current ``RequestTrace``.
    public init(id: UUID = .v7(), _ type: EventType<Payload>, occurredAt: Date = Date(), data: Payload) {
        let trace = RequestTrace.current
        self.id = id
        self.type = type.name
        self.version = type.version
        self.source = type.publisher.rawValue
        self.occurredAt = occurredAt
        self.requestId = trace?.requestID
        self.traceparent = trace?.traceparent
        self.data = data
    }
}

/// The type-independent part of an envelope, read first to route it.
public struct EventHeader: Codable, Sendable {
    /// Event id.
    public var id: UUID
    /// Event type.
    public var type: String
    /// Payload version; envelopes written before versions existed are version 1.
    public var version: Int
    /// The causing request's id.
    public var requestId: String?
    /// Its trace context.
    public var traceparent: String?

    enum CodingKeys: String, CodingKey { case id, type, version, requestId, traceparent }

    /// Decodes a header, defaulting a missing version to 1.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(UUID.self, forKey: .id)
        type = try container.decode(String.self, forKey: .type)
        version = try container.decodeIfPresent(Int.self, forKey: .version) ?? 1
        requestId = try container.decodeIfPresent(String.self, forKey: .requestId)
        traceparent = try container.decodeIfPresent(String.self, forKey: .traceparent)
    }
}

/// A service that receives some event types, and where to reach it. Derived from the consumers'
/// declarations (``Topology``), never written by the publisher.
public struct Subscriber: Sendable, Equatable {
    /// The subscribing service.
    public var service: ServiceName
    /// Its base URL, e.g. `http://127.0.0.1:8088`.
    public var baseURL: String
    /// The event types it wants.
    public var eventTypes: Set<String>

    /// Creates a subscriber.
    public init(service: ServiceName, baseURL: String, eventTypes: Set<String>) {
        self.service = service
        self.baseURL = baseURL
        self.eventTypes = eventTypes
    }

    /// The name used as the delivery job's target and breaker key.
    public var name: String { service.rawValue }
}
