import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import PlexusKit
import PostgresNIO
import PlexusKitTesting
import PlexusRegistry
import Testing

/// The real system started as a person starts it (`plexus up --demo`: embedded PostgreSQL, one
/// process per service) on free ports in a private data directory, its output in a log file.
final class RunningSystem: Sendable {
    let process: Process
    let data: URL
    let log: URL
    let gateway: String
    let gatewayPort: Int
    /// Each service's port.
    let ports: [ServiceName: Int]
    /// The embedded PostgreSQL's port.
    let postgresPort: Int

    static var executable: URL {
        // The test bundle and the `plexus` binary live in the same build directory.
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        while directory.pathExtension == "xctest" || directory.lastPathComponent == "MacOS" || directory.lastPathComponent == "Contents" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("plexus")
    }

    /// Starts it with `settings` added to the environment and waits until the gateway is ready.
    init(settings: [String: String] = [:]) async throws {
        let binary = Self.executable
        #expect(FileManager.default.isExecutableFile(atPath: binary.path), "build the plexus product first (swift build)")
        data = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("plexus-system-\(RandomToken.hex(bytes: 4))")
        gatewayPort = try Self.quietPort()
        gateway = "http://127.0.0.1:\(gatewayPort)"
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "PLEXUS_DATABASE_URL")
        environment["PLEXUS_GATEWAY_PORT"] = String(gatewayPort)
        var ports: [ServiceName: Int] = [.gateway: gatewayPort]
        for service in ServiceRegistry.topology.services where service != .gateway {
            ports[service] = try Self.quietPort()
            environment[service.environmentPrefix + "PORT"] = String(ports[service]!)
        }
        self.ports = ports
        environment["PLEXUS_IDENTITY_BCRYPT_COST"] = "6"
        environment.merge(settings) { _, new in new }
        process = Process()
        process.executableURL = binary
        postgresPort = try Self.quietPort()
        process.arguments = ["up", "--demo", "--data-directory", data.path, "--postgres-port", String(postgresPort)]
        process.environment = environment
        log = data.appendingPathExtension("log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.runWithDefaultSignalMask()
        let gateway = self.gateway
        let ready = try await eventually(timeout: .seconds(180)) { (try? await Self.get(gateway + "/health/ready").status) == 200 }
        if !ready {
            let output = (try? String(contentsOf: log, encoding: .utf8))?.suffix(3000) ?? ""
            stop()
            throw NotReady(output: String(output))
        }
    }

    struct NotReady: Error { var output: String }

    /// A free port below the kernel's ephemeral range (32768–60999 on Linux). A port that port 0
    /// handed out and was closed again can be handed to a unit test's live server before the
    /// system binds it; the gateway then found that server ready and sent requests to it (404s).
    static func quietPort() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20_000..<32_000)
            if let channel = try? ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: port).wait() {
                try? channel.close().wait()
                return port
            }
        }
        return try EmbeddedPostgres.freePort()
    }

    /// Terminates every connection the services hold to `services`' databases, as a failover or a
    /// database restart does.
    func terminateBackends(of services: [ServiceName]) async throws {
        let admin = try databaseURL("postgres")
        let names = services.map(\.databaseName)
        try await admin.makeClient(maxConnections: 1, logger: testLogger()).withRunning { client in
            try await client.query("""
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ANY(\(names)) AND pid <> pg_backend_pid()
                """, logger: testLogger())
        }
    }

    /// The URL of one of its databases, as its owner.
    func databaseURL(_ database: String) throws -> DatabaseURL {
        let password = try String(contentsOf: data.appendingPathComponent("pg/password"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return DatabaseURL(host: "127.0.0.1", port: postgresPort, username: "plexus", password: password, database: database, sslMode: "disable")
    }

    /// Runs SQL on a service's database (a test corrupting a row on purpose).
    func execute(_ sql: String, on service: ServiceName) async throws {
        try await databaseURL(service.databaseName).makeClient(maxConnections: 1, logger: testLogger()).withRunning { client in
            try await client.query(PostgresQuery(unsafeSQL: sql), logger: testLogger())
        }
    }

    /// `plexus audit` over this system's databases: its exit status and output.
    func audit(settle: Int = 0) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["audit", "--settle", String(settle)]
        var environment = ProcessInfo.processInfo.environment
        environment["PLEXUS_DATABASE_URL"] = try databaseURL("plexus").urlString
        environment["PLEXUS_LOG_LEVEL"] = "error"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Runs `plexus audit` until it is clean (events still on their way settle) or `timeout`;
    /// returns whether it became clean and its last output.
    func auditUntilClean(timeout: Duration = .seconds(30)) async throws -> (clean: Bool, output: String) {
        let last = LockedBox("")
        let clean = try await eventually(timeout: timeout) {
            let (status, output) = try self.audit()
            last.value = output
            return status == 0 && output.contains("audit clean")
        }
        return (clean, last.value)
    }

    /// The process id of one of its services (found by its command line and its port setting).
    func pid(of service: ServiceName) -> Int32? {
        guard let port = ports[service],
              let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for entry in entries {
            guard let pid = Int32(entry),
                  let command = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                  let environment = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { continue }
            let arguments = command.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if arguments.count >= 3, arguments[1] == "serve", arguments[2] == service.rawValue,
               variables.contains(service.environmentPrefix + "PORT=\(port)") { return pid }
        }
        return nil
    }

    /// Everything the system logged so far.
    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Stops it (if still running) and removes its data.
    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: data)
        try? FileManager.default.removeItem(at: log)
    }

    struct Reply: Sendable {
        var status: Int
        var body: ByteBuffer
    }

    static func get(_ url: String, token: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.plexus.execute(request, timeout: .seconds(10))
        return Reply(status: Int(response.status.code), body: try await response.body.collect(upTo: 4 << 20))
    }

    static func post(_ url: String, _ body: some Encodable, token: String? = nil, headers: [String: String] = [:],
                     method: HTTPMethod = .POST) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSON.encoder.encode(body)))
        let response = try await HTTPClient.plexus.execute(request, timeout: .seconds(10))
        return Reply(status: Int(response.status.code), body: try await response.body.collect(upTo: 1 << 20))
    }
}
