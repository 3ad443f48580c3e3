import Foundation

/// The body of `/health/ready`.
public struct HealthReport: Codable, Sendable {
    /// `ok` or `unavailable`.
    public var status: String
    /// Each component's state.
    public var checks: [String: String]

    /// Creates a report.
    public init(status: String, checks: [String: String]) {
        self.status = status
        self.checks = checks
    }
}

/// The answer of `POST /internal/events`.
public struct EventDeliveryOutcome: Codable, Sendable, Equatable {
    /// `applied`, `duplicate`, `ignored` or `parked`.
    public var outcome: String
    /// Creates the value.
    public init(outcome: String) { self.outcome = outcome }
}

/// Any JSON document (the OpenAPI document itself).
public struct JSONDocument: Codable, Sendable, SchemaDescribing {
    public init() {}
    public static func describeSchema(in collector: SchemaCollector) -> Schema { .any }
    public init(from decoder: any Decoder) throws {}
    public func encode(to encoder: any Encoder) throws {}
}

/// The endpoints every service serves from the kit.
public enum KitEndpoints {
    public static let live = Endpoint<NoBody, StatusMessage>("healthLive", .GET, "/health/live", access: .anyone,
        summary: "The process is up.")
    public static let ready = Endpoint<NoBody, HealthReport>("healthReady", .GET, "/health/ready", access: .anyone,
        summary: "The service can serve: its database answers and its migrations are applied (503 with the failing checks otherwise).")
    public static let metrics = Endpoint<NoBody, TextBody>("metrics", .GET, "/metrics", access: .anyone,
        summary: "Prometheus metrics (text exposition format).", outputType: .text)
    public static let openAPI = Endpoint<NoBody, JSONDocument>("openAPI", .GET, "/openapi.json", access: .anyone,
        summary: "This OpenAPI 3.1 document.")

    /// `POST /internal/events` for a consumer whose events come from `publishers`.
    public static func events(from publishers: Set<ServiceName>) -> Endpoint<JSONDocument, EventDeliveryOutcome> {
        Endpoint("deliverEvent", .POST, "/internal/events", access: .services(publishers),
                 summary: "Deliver one outbox event (at least once; duplicates have no second effect).")
    }

    /// The operational endpoints of every service.
    public static let operational: [EndpointDescription] = [live.description, ready.description, metrics.description, openAPI.description]
}

/// One revocation of access tokens: every token of `userId` older than `minTokenVersion`, or every
/// token of the session (refresh-token family) `sessionId`.
public struct RevocationEntry: Codable, Sendable, Equatable {
    /// Position in the feed.
    public var id: Int64
    /// The user whose older tokens are revoked.
    public var userId: UUID?
    /// The lowest token version still valid for `userId`.
    public var minTokenVersion: Int?
    /// The revoked session.
    public var sessionId: UUID?
    /// When.
    public var at: Date

    /// Creates an entry.
    public init(id: Int64, userId: UUID?, minTokenVersion: Int?, sessionId: UUID?, at: Date) {
        self.id = id
        self.userId = userId
        self.minTokenVersion = minTokenVersion
        self.sessionId = sessionId
        self.at = at
    }
}

/// A page of identity's revocation feed.
public struct RevocationFeedDTO: Codable, Sendable, Equatable {
    /// Entries after the requested position, oldest first (at most 1,000).
    public var entries: [RevocationEntry]
    /// How long an entry matters: the access-token lifetime plus the clock-skew allowance. Older
    /// entries are dropped; the tokens they revoked have expired.
    public var horizonSeconds: Int

    /// Creates a page.
    public init(entries: [RevocationEntry], horizonSeconds: Int) {
        self.entries = entries
        self.horizonSeconds = horizonSeconds
    }
}

extension KitEndpoints {
    /// Identity's revocation feed, polled by every other service and the gateway.
    public static let revocations = Endpoint<NoBody, RevocationFeedDTO>("getRevocations", .GET, "/internal/revocations",
        access: .services(Set(ServiceName.allCases).subtracting([.identity])),
        summary: "Access-token revocations after a position (logouts, password changes and resets, disabled users, removed roles).",
        query: [QueryParameter("after", .integer, "The last `id` already applied (0: everything within the horizon).")])
}
