import Foundation
import Logging
import NIOPosix
import PostgresNIO

/// A private PostgreSQL cluster made with the machine's own `initdb` and `postgres`, used by
/// `plexus up` (under `.plexus/`) and by the tests (in a temporary directory).
///
/// It listens only on 127.0.0.1 with a generated password, runs as an unprivileged user when started
/// as root (PostgreSQL refuses root), and is stopped by a small supervisor shell when this process
/// exits, even if it crashes.
public final class EmbeddedPostgres: Sendable {
    /// How to start the cluster.
    public struct Options: Sendable {
        /// The base directory: holds `data/`, `password` and `postgres.log`.
        public var directory: URL
        /// TCP port on 127.0.0.1; 0 picks a free one.
        public var port: Int
        /// Trade durability for speed (tests).
        public var ephemeral: Bool
        /// Delete `directory` when the cluster stops (tests).
        public var removeOnStop: Bool
        /// PostgreSQL's `max_connections`: every service's pool (20 each) and its listeners fit in the
        /// default with room to spare; a test process running every suite at once needs more.
        public var maxConnections: Int

        /// Creates options.
        public init(directory: URL, port: Int = 0, ephemeral: Bool = false, removeOnStop: Bool = false, maxConnections: Int = 300) {
            self.directory = directory
            self.port = port
            self.ephemeral = ephemeral
            self.removeOnStop = removeOnStop
            self.maxConnections = maxConnections
        }
    }

    /// The superuser URL of the `postgres` database.
    public let adminURL: DatabaseURL
    let process: Process
    let logger: Logger
    /// The server's own log (`postgres.log` in the base directory).
    let logFile: URL

    init(adminURL: DatabaseURL, process: Process, logFile: URL, logger: Logger) {
        self.adminURL = adminURL
        self.process = process
        self.logFile = logFile
        self.logger = logger
    }

    /// The URL of database `name` on this cluster.
    public func url(database name: String) -> DatabaseURL { adminURL.with(database: name) }

    /// Finds, initializes (first time only) and starts the cluster, waiting until it accepts connections.
    public static func start(_ options: Options, logger: Logger) async throws -> EmbeddedPostgres {
        let binaries = try PostgresBinaries.locate()
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: options.directory, withIntermediateDirectories: true)
        let runAs = RunAsUser.forCurrentProcess()
        try runAs?.own(options.directory)

        let passwordFile = options.directory.appendingPathComponent("password")
        let dataDirectory = options.directory.appendingPathComponent("data")
        if !fileManager.fileExists(atPath: passwordFile.path) {
            try RandomToken.hex(bytes: 24).write(to: passwordFile, atomically: true, encoding: .utf8)
            try fileManager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: passwordFile.path)
            try runAs?.own(passwordFile)
        }
        let password = try String(contentsOf: passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        if !fileManager.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) {
            logger.info("initializing embedded PostgreSQL", metadata: ["directory": .string(dataDirectory.path)])
            do {
                try runToCompletion(runAs.map { $0.wrap([binaries.initdb]) } ?? [binaries.initdb], arguments: [
                    "-D", dataDirectory.path, "-U", "plexus", "--pwfile=\(passwordFile.path)", "--auth=scram-sha-256",
                    "-E", "UTF8", "--locale=C", "--no-sync",
                ], log: options.directory.appendingPathComponent("initdb.log"))
            } catch EmbeddedPostgresError.initdbFailed(let output) where runAs != nil && output.contains("Permission denied") {
                throw EmbeddedPostgresError.initdbFailed(output + """

                    PostgreSQL refuses to run as root, so it runs as user '\(runAs!.name)' here: every parent directory of
                    \(options.directory.path) must be searchable by that user (for example: chmod o+x on each).
                    """)
            }
        }
        let port = options.port == 0 ? try freePort() : options.port
        let process = try launch(binaries: binaries, runAs: runAs, dataDirectory: dataDirectory, port: port, options: options)
        let url = DatabaseURL(host: "127.0.0.1", port: port, username: "plexus", password: password, database: "postgres", sslMode: "disable")
        let server = EmbeddedPostgres(adminURL: url, process: process, logFile: options.directory.appendingPathComponent("postgres.log"), logger: logger)
        try await server.waitUntilReady()
        return server
    }

    /// The last `characters` of the server's log (`postgres.log`), for diagnosing a failure.
    public func logTail(_ characters: Int = 2000) -> String {
        (try? String(contentsOf: logFile, encoding: .utf8)).map { String($0.suffix(characters)) } ?? ""
    }

    /// Stops the cluster (fast shutdown) and waits for it.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// Creates `name` (optionally from a template) unless it exists.
    public func createDatabase(_ name: String, template: String? = nil) async throws {
        try await Self.createDatabase(name, template: template, adminURL: adminURL, logger: logger)
    }

    /// Creates database `name` on the server of `adminURL` unless it exists. Names are restricted to
    /// `[a-z0-9_]` because identifiers cannot be bound as parameters.
    public static func createDatabase(_ name: String, template: String? = nil, adminURL: DatabaseURL, logger: Logger) async throws {
        for identifier in [name] + (template.map { [$0] } ?? []) {
            guard identifier.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
                throw EmbeddedPostgresError.invalidName(identifier)
            }
        }
        let client = adminURL.makeClient(maxConnections: 2, logger: logger)
        try await client.withRunning { client in
            let rows = try await client.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger)
            for try await _ in rows { return }
            let suffix = template.map { " TEMPLATE \($0)" } ?? ""
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)\(suffix)"), logger: logger)
        }
    }

    func waitUntilReady() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { break }
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: .init(host: adminURL.host, port: adminURL.port, username: adminURL.username,
                                         password: adminURL.password, database: "postgres", tls: .disable),
                    id: 1, logger: logger)
                try await connection.close()
                return
            } catch {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw EmbeddedPostgresError.didNotStart(logTail())
    }

    static func launch(binaries: PostgresBinaries, runAs: RunAsUser?, dataDirectory: URL, port: Int, options: Options) throws -> Process {
        var settings = [
            "listen_addresses=127.0.0.1", "port=\(port)", "unix_socket_directories=", "max_connections=\(options.maxConnections)",
            "shared_buffers=128MB", "log_min_messages=warning",
        ]
        if options.ephemeral { settings += ["fsync=off", "synchronous_commit=off", "full_page_writes=off"] }
        let postgres = (runAs.map { $0.wrap([binaries.postgres]) } ?? [binaries.postgres])
            + ["-D", dataDirectory.path] + settings.flatMap { ["-c", $0] }
        // The supervisor stops postgres when this process goes away, however it goes.
        let supervisor = """
            parent=$1; cleanup=$2; shift 2
            "$@" &
            child=$!
            stop() { kill -INT $child 2>/dev/null; wait $child; [ -n "$cleanup" ] && rm -rf "$cleanup"; exit 0; }
            trap stop INT TERM
            while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
            stop
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", supervisor, "sh", String(ProcessInfo.processInfo.processIdentifier),
                             options.removeOnStop ? options.directory.path : ""] + postgres
        let logURL = options.directory.appendingPathComponent("postgres.log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: logURL)
        logHandle.seekToEndOfFile()
        process.standardOutput = logHandle
        process.standardError = logHandle
        process.standardInput = FileHandle.nullDevice
        try process.runWithDefaultSignalMask()
        return process
    }

    static func runToCompletion(_ command: [String], arguments: [String], log: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst()) + arguments
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.runWithDefaultSignalMask()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw EmbeddedPostgresError.initdbFailed(String(output.suffix(2000)))
        }
    }

    /// A free TCP port on 127.0.0.1 (bound and released).
    public static func freePort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { try? channel.close().wait() }
        return channel.localAddress?.port ?? 54329
    }
}

/// Embedded PostgreSQL failures, each saying what to do.
public enum EmbeddedPostgresError: Error, CustomStringConvertible {
    /// No `initdb`/`postgres` found.
    case notInstalled(searched: [String])
    /// `initdb` failed.
    case initdbFailed(String)
    /// The server did not accept connections in time.
    case didNotStart(String)
    /// A database name outside `[a-z0-9_]`.
    case invalidName(String)

    /// A readable description.
    public var description: String {
        switch self {
        case .notInstalled(let searched):
            """
            PostgreSQL server binaries (initdb, postgres) were not found.
            Install them, then run the command again:
              Debian/Ubuntu: sudo apt-get install postgresql
              Fedora:        sudo dnf install postgresql-server
              macOS:         brew install postgresql@16
            Or point Plexus at an existing server with PLEXUS_DATABASE_URL=postgres://user:pass@host:5432/plexus
            Searched: \(searched.joined(separator: ", "))
            """
        case .initdbFailed(let output): "initdb failed:\n\(output)"
        case .didNotStart(let log): "the embedded PostgreSQL did not start within 30 s. Its log ends with:\n\(log)"
        case .invalidName(let name): "'\(name)' is not a valid database name"
        }
    }
}

/// The machine's `initdb` and `postgres`.
struct PostgresBinaries {
    let initdb: String
    let postgres: String

    /// PATH first, then the usual Debian, Homebrew and source-install locations (newest version first).
    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PostgresBinaries {
        var directories = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        let versioned = ["/usr/lib/postgresql", "/opt/homebrew/opt", "/usr/local/opt"]
        for root in versioned {
            let entries = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
                .filter { root == "/usr/lib/postgresql" || $0.hasPrefix("postgresql") }
                .sorted { $0.localizedStandardCompare($1) == .orderedDescending }
            directories += entries.map { "\(root)/\($0)/bin" }
        }
        directories += ["/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin", "/usr/pgsql-16/bin", "/usr/pgsql-15/bin"]
        for directory in directories {
            let initdb = "\(directory)/initdb", postgres = "\(directory)/postgres"
            if FileManager.default.isExecutableFile(atPath: initdb), FileManager.default.isExecutableFile(atPath: postgres) {
                return PostgresBinaries(initdb: initdb, postgres: postgres)
            }
        }
        throw EmbeddedPostgresError.notInstalled(searched: directories)
    }
}

/// The unprivileged user PostgreSQL runs as when this process is root.
struct RunAsUser {
    let name: String
    let uid: UInt32
    let gid: UInt32

    static func forCurrentProcess() -> RunAsUser? {
        guard getuid() == 0 else { return nil }
        for name in ["postgres", "nobody"] {
            if let entry = getpwnam(name) { return RunAsUser(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid) }
        }
        return nil
    }

    /// Prefixes a command so it runs as this user (setpriv execs, so signals reach postgres itself).
    func wrap(_ command: [String]) -> [String] {
        ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--clear-groups"] + command
    }

    func own(_ url: URL) throws {
        guard chown(url.path, uid, gid) == 0 else { throw CocoaError(.fileWriteNoPermission) }
    }
}
