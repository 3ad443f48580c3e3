import Foundation

/// An event as it travels from a publisher's outbox to a subscriber's `/internal/events`.
public struct EventEnvelope<Payload: Codable & Sendable>: Codable, Sendable {
    /// Unique event id; subscribers deduplicate on it.
    public var id: UUID
    /// Dotted type, e.g. `identity.user_registered`.
    public var type: String
    /// The publishing service.
    public var source: String
    /// When the state change happened.
    public var occurredAt: Date
    /// The event-specific data.
    public var data: Payload

    /// Creates an envelope.
    public init(id: UUID = .v7(), type: String, source: String, occurredAt: Date = Date(), data: Payload) {
        self.id = id
        self.type = type
        self.source = source
        self.occurredAt = occurredAt
        self.data = data
    }
}

/// The type-independent part of an envelope, read first to route it.
public struct EventHeader: Codable, Sendable {
    /// Event id.
    public var id: UUID
    /// Event type.
    public var type: String
}

/// A service that receives some event types, and where to reach it.
public struct Subscriber: Sendable {
    /// The subscribing service's name (used as the breaker key).
    public var name: String
    /// Its base URL, e.g. `http://127.0.0.1:8088`.
    public var baseURL: String
    /// The event types it wants.
    public var eventTypes: Set<String>

    /// Creates a subscriber.
    public init(name: String, baseURL: String, eventTypes: Set<String>) {
        self.name = name
        self.baseURL = baseURL
        self.eventTypes = eventTypes
    }
}
