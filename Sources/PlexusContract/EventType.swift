import Foundation

/// A kind of event, declared once in its publisher's `<Name>API` module: the dotted name, the
/// publishing service, the current version and the payload type. `Outbox.publish` and
/// `EventSubscription.on` take it, so a name can never be paired with the wrong payload.
///
/// Versioning: a change a consumer built against an earlier version could not read bumps
/// `version`. A consumer accepts the versions up to the one it was built with (its payload type must
/// still decode the older ones); a newer version is parked, not dropped, and replayed once the
/// consumer is upgraded (`plexus events replay <service>`).
public struct EventType<Payload: Codable & Sendable>: Sendable {
    /// The dotted name, `<publisher>.<what_happened>`.
    public let name: String
    /// The service whose outbox writes it.
    public let publisher: ServiceName
    /// The version this build writes (publisher) or understands up to (consumer).
    public let version: Int

    /// Declares an event type.
    public init(_ name: String, publisher: ServiceName, version: Int = 1, payload: Payload.Type = Payload.self) {
        precondition(version >= 1, "event versions start at 1")
        self.name = name
        self.publisher = publisher
        self.version = version
    }

    /// The payload-free description used by the topology and the documentation.
    public var descriptor: EventDescriptor { EventDescriptor(name: name, publisher: publisher, version: version) }
}

/// An event type without its payload type: what topology tables, subscriber lists and docs need.
public struct EventDescriptor: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The dotted name.
    public let name: String
    /// The publishing service.
    public let publisher: ServiceName
    /// The current version.
    public let version: Int

    /// Creates a descriptor.
    public init(name: String, publisher: ServiceName, version: Int) {
        self.name = name
        self.publisher = publisher
        self.version = version
    }

    /// `name@vN`.
    public var description: String { "\(name)@v\(version)" }
}
