/// Whether a process runs with development conveniences (`plexus up`) or in production (`plexus serve`).
public enum RuntimeMode: String, Sendable, Codable {
    /// Generated secrets under `.plexus/`, the dev mailbox, coloured logs.
    case development
    /// Every secret configured explicitly, JSON logs, no development routes.
    case production

    /// `true` in development mode.
    public var isDevelopment: Bool { self == .development }
}

/// The services Plexus knows, with their default ports (DESIGN.md).
public enum ServiceName: String, Sendable, CaseIterable, Codable {
    case gateway, identity, catalog, shop, cart, order, payment, media, notification, promotion, review

    /// Default development port.
    public var defaultPort: Int {
        switch self {
        case .gateway: 8080
        case .identity: 8081
        case .catalog: 8082
        case .shop: 8083
        case .cart: 8084
        case .order: 8085
        case .payment: 8086
        case .media: 8087
        case .notification: 8088
        case .promotion: 8089
        case .review: 8090
        }
    }

    /// The `PLEXUS_<SERVICE>_` environment prefix.
    public var environmentPrefix: String { "PLEXUS_\(rawValue.uppercased())_" }

    /// The database this service owns.
    public var databaseName: String { "plexus_\(rawValue)" }
}
