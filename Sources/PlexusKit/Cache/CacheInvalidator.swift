import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import ServiceLifecycle

/// Keeps the caches of every replica of a service coherent through PostgreSQL `NOTIFY`.
///
/// A writer calls ``notify(_:on:logger:)`` inside the transaction that changed the data, so the
/// message goes out only if the change commits. Every replica runs the invalidator as a service: it
/// holds one pooled connection in `LISTEN` and hands each payload to `onMessage`. When the listening
/// connection is lost, messages may have been missed, so `onReconnect` runs (callers clear their cache).
public final class CacheInvalidator: Service, Sendable {
    /// The channel name.
    public let channel: String
    let client: PostgresClient
    let logger: Logger
    let onMessage: @Sendable (String) -> Void
    let onReconnect: @Sendable () -> Void
    private let listeningBox = NIOLockedValueBox(false)

    /// Whether a connection is listening right now (tests wait for it before writing).
    public var isListening: Bool { listeningBox.withLockedValue { $0 } }

    /// Creates an invalidator on `channel`.
    public init(channel: String, client: PostgresClient, logger: Logger,
                onMessage: @escaping @Sendable (String) -> Void, onReconnect: @escaping @Sendable () -> Void) {
        self.channel = channel
        self.client = client
        self.logger = logger
        self.onMessage = onMessage
        self.onReconnect = onReconnect
    }

    /// Sends `payload` on `channel` when the surrounding transaction commits.
    public static func notify(_ channel: String, _ payload: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_notify(\(channel), \(payload))", logger: logger)
    }

    /// Listens until cancelled or shut down, reconnecting after a lost connection.
    public func run() async throws {
        try await cancelWhenGracefulShutdown { await self.listenLoop() }
    }

    private func listenLoop() async {
        var first = true
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: self.channel) { notifications in
                        // Anything sent while no connection listened is unknown: start clean.
                        if !first { self.onReconnect() }
                        first = false
                        self.listeningBox.withLockedValue { $0 = true }
                        defer { self.listeningBox.withLockedValue { $0 = false } }
                        for try await notification in notifications { self.onMessage(notification.payload) }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("cache invalidation listener reconnecting", metadata: ["error": .string(String(describing: error))])
                onReconnect()
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
