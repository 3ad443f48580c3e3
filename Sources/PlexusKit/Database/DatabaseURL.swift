import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// A parsed `postgres://user:password@host:port/database?sslmode=…` URL.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    /// Host name or address.
    public var host: String
    /// TCP port.
    public var port: Int
    /// User name.
    public var username: String
    /// Password, if any.
    public var password: String?
    /// Database name.
    public var database: String
    /// `disable`, `prefer` or `require`.
    public var sslMode: String

    /// Creates a URL from parts.
    public init(host: String, port: Int, username: String, password: String?, database: String, sslMode: String = "disable") {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.sslMode = sslMode
    }

    /// Parses a URL string; `nil` when it is not a `postgres://` or `postgresql://` URL with a database.
    public init?(_ string: String) {
        guard let components = URLComponents(string: string),
              components.scheme == "postgres" || components.scheme == "postgresql",
              let host = components.host, !host.isEmpty
        else { return nil }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { return nil }
        self.host = host
        self.port = components.port ?? 5432
        self.username = components.user?.removingPercentEncoding ?? "postgres"
        self.password = components.password?.removingPercentEncoding
        self.database = database
        self.sslMode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer"
    }

    /// The same server, another database.
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// The URL string (with the password, for handing to child processes).
    public var urlString: String {
        var userInfo = username.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? username
        if let password { userInfo += ":" + (password.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? password) }
        return "postgres://\(userInfo)@\(host):\(port)/\(database)?sslmode=\(sslMode)"
    }

    /// A loggable form with the password masked.
    public var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    }

    /// A `PostgresClient` configuration for this URL.
    public func clientConfiguration(maxConnections: Int = 20, settings: [(name: String, value: String)] = []) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "require", "verify-full", "verify-ca": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = maxConnections
        configuration.options.connectTimeout = .seconds(5)
        // Every statement has a deadline on the server: no request waits on one forever.
        configuration.options.additionalStartupParameters = [("statement_timeout", "15000")] + settings.map { ($0.name, $0.value) }
        return configuration
    }

    /// A pool for this URL. Call `run()` (or add it to a service group) before querying.
    public func makePool(maxConnections: Int = 20, settings: [(name: String, value: String)] = [], logger: Logger) -> PostgresClient {
        PostgresClient(configuration: clientConfiguration(maxConnections: maxConnections, settings: settings), backgroundLogger: logger)
    }

    /// A client (a pool with call deadlines) for this URL; see ``DatabaseClient/withRunning(_:)``.
    public func makeClient(maxConnections: Int = 20, logger: Logger) -> DatabaseClient {
        DatabaseClient(pool: makePool(maxConnections: maxConnections, logger: logger))
    }
}

extension DatabaseClient {
    /// Runs `body` with this client's pool running in the background, then shuts it down. For
    /// one-shot tasks (migrations, CLI commands) outside a service group.
    public func withRunning<T: Sendable>(_ body: @Sendable (DatabaseClient) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.pool.run() }
            defer { group.cancelAll() }
            // Let the pool start before the first lease (otherwise postgres-nio warns on every call).
            try await Task.sleep(for: .milliseconds(20))
            return try await body(self)
        }
    }
}

/// A `PostgresClient` as a service-group member, with a readiness probe.
public struct Database: Sendable {
    /// The pool (a service-group member).
    public let pool: PostgresClient
    /// The pool's calls with deadlines, for everything a request or a job does.
    public let client: DatabaseClient
    /// Where it points (password masked in logs).
    public let url: DatabaseURL
    let logger: Logger

    /// Creates the pool for `url`, its connections started with `settings`.
    public init(url: DatabaseURL, maxConnections: Int = 20, settings: [(name: String, value: String)] = [], logger: Logger) {
        self.url = url
        self.logger = logger
        self.pool = url.makePool(maxConnections: maxConnections, settings: settings, logger: logger)
        self.client = DatabaseClient(pool: pool)
    }

    /// `"ok"` when a trivial query succeeds within two seconds, otherwise a short reason.
    public func probe() async -> String {
        do {
            try await DatabaseClient(pool: pool, timeout: .seconds(2)).query("SELECT 1", logger: logger)
            return "ok"
        } catch {
            return "unreachable"
        }
    }
}

/// Runs `body`, throwing `DeadlineExceeded` if it does not finish within `timeout`.
public func withDeadline<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw DeadlineExceeded()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Thrown by ``withDeadline(_:_:)`` when time runs out.
public struct DeadlineExceeded: Error, Sendable {
    /// Creates the error.
    public init() {}
}
