import Crypto
import Foundation
import Logging
import PlexusKit
import PostgresNIO

/// The embedded PostgreSQL every test in a process shares, started on first use in a temporary
/// directory (removed when the process exits). Each suite gets its own database cloned from a
/// migrated template, so suites never see each other's rows and migrations run once per process.
public actor TestPostgres {
    /// The process-wide instance.
    public static let shared = TestPostgres()

    private var server: Task<EmbeddedPostgres, any Error>?
    private var templates: [String: Task<String, any Error>] = [:]
    private let logger: Logger = {
        var logger = Logger(label: "plexus.test.postgres")
        logger.logLevel = .warning
        return logger
    }()

    /// The running server, starting it if needed.
    public func start() async throws -> EmbeddedPostgres {
        if let server { return try await server.value }
        let logger = self.logger
        let task = Task {
            let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("plexus-test-\(RandomToken.hex(bytes: 4))")
            // Every suite runs at once, each with its services' pools (up to 20 connections each) and
            // listeners: at the start of a run that came to 170 connections here, and a CI run on a
            // slower machine failed in ten suites at once with connection errors past the default 300.
            return try await EmbeddedPostgres.start(
                .init(directory: directory, ephemeral: true, removeOnStop: true, maxConnections: 1000), logger: logger)
        }
        server = task
        return try await task.value
    }

    /// A fresh database with `migrations` applied (kit tables first), cloned from a template.
    public func makeDatabase(_ migrations: [MigrationSet]) async throws -> DatabaseURL {
        let server = try await start()
        do {
            let template = try await template(for: [KitMigrations.set] + migrations, server: server)
            let name = "t_\(RandomToken.hex(bytes: 8))"
            try await server.createDatabase(name, template: template)
            return server.url(database: name)
        } catch {
            // PSQLError's description hides the server's message; a failing suite should say it.
            throw TestDatabaseError(description: String(reflecting: error) + "\nserver log:\n" + server.logTail())
        }
    }

    private func template(for sets: [MigrationSet], server: EmbeddedPostgres) async throws -> String {
        let signature = sets.map { set in set.component + set.migrations.map(\.checksum).joined() }.joined()
        let name = "tmpl_" + RandomToken.hex(SHA256.hash(data: Data(signature.utf8)).prefix(8))
        if let existing = templates[name] { return try await existing.value }
        let logger = self.logger
        let task = Task {
            try await server.createDatabase(name)
            let client = server.url(database: name).makeClient(maxConnections: 2, logger: logger)
            try await client.withRunning { client in
                try await MigrationRunner.migrate(sets, client: client, logger: logger)
            }
            return name
        }
        templates[name] = task
        return try await task.value
    }
}

/// A test database that could not be made, with the server's own words.
public struct TestDatabaseError: Error, CustomStringConvertible {
    public let description: String
}

/// A logger for tests: warnings and above, so test output stays readable.
public func testLogger(_ label: String = "plexus.test") -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = ProcessInfo.processInfo.environment["PLEXUS_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    return logger
}

extension DatabaseClient {
    /// Every value of a one-column query, so a test asserts on the whole result (an empty result
    /// fails the assertion instead of skipping a loop body).
    public func column<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type = T.self) async throws -> [T] {
        var values: [T] = []
        for try await value in try await self.query(query, logger: testLogger()).decode(T.self) { values.append(value) }
        return values
    }
}

extension EmbeddedPostgres {
    /// Terminates every connection to `database`, as a failover or a server restart does.
    public func terminateBackends(of database: String) async throws {
        let logger = testLogger()
        try await adminURL.makeClient(maxConnections: 1, logger: logger).withRunning { client in
            try await client.query("""
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(database) AND pid <> pg_backend_pid()
                """, logger: logger)
        }
    }
}
