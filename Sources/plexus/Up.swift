import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import PlexusKit
import PlexusRegistry

/// `plexus up`: the whole system on one machine, in development mode.
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start an embedded PostgreSQL and every service; Ctrl-C stops everything.")

    @Flag(help: "Seed the demo catalogue, sellers with shops, an admin and a customer, and print their credentials.") var demo = false
    @Option(help: "Where runtime data (database, generated secrets) lives.") var dataDirectory = ".plexus"
    @Option(help: "Port of the embedded PostgreSQL on 127.0.0.1.") var postgresPort = 54329

    func run() async throws {
        // Listening from the start: a Ctrl-C or SIGTERM during start-up (or from a script, whose
        // background jobs inherit SIGINT ignored) is kept and stops everything once started.
        let shutdown = ShutdownSignal.install()
        let reader = ConfigReader()
        LogSetup.bootstrap(mode: .development, level: .info)
        let logger = Logger(label: "plexus.up")
        let base = URL(fileURLWithPath: dataDirectory, isDirectory: true).standardizedFileURL
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)

        var embedded: EmbeddedPostgres?
        let databaseBase: DatabaseURL
        if let external = reader.optional("PLEXUS_DATABASE_URL").flatMap(DatabaseURL.init) {
            databaseBase = external
            say("using external PostgreSQL at \(external)")
        } else {
            say("starting embedded PostgreSQL in \(base.appendingPathComponent("pg").path)")
            let server = try await EmbeddedPostgres.start(.init(directory: base.appendingPathComponent("pg"), port: postgresPort), logger: logger)
            embedded = server
            databaseBase = server.adminURL
        }
        do {
            for service in ServiceRegistry.services where service.usesDatabase {
                let applied = try await migrate(service, url: databaseBase.with(database: service.name.databaseName), logger: logger)
                if applied > 0 { say("\(service.name.rawValue): applied \(applied) migration(s)") }
            }
            let services = ServiceRegistry.topology.services
            let secrets = try DevelopmentSecrets.load(from: base.appendingPathComponent("secrets"), services: services)
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasSuffix("_SERVICE_KEY") }
            environment["PLEXUS_MODE"] = "development"
            environment["PLEXUS_DATABASE_URL"] = databaseBase.with(database: "plexus").urlString
            environment["PLEXUS_IDENTITY_SIGNING_KEY"] = secrets.signingKey
            environment["PLEXUS_SERVICE_PUBLIC_KEYS"] = try secrets.publicKeys()
            // uploads live beside the database unless configured elsewhere (the demo seeding below writes there too)
            if reader.optional("PLEXUS_MEDIA_STORE") ?? "local" == "local" && reader.optional("PLEXUS_MEDIA_LOCAL_DIRECTORY") == nil {
                let media = base.appendingPathComponent("media").path
                environment["PLEXUS_MEDIA_LOCAL_DIRECTORY"] = media
                setenv("PLEXUS_MEDIA_LOCAL_DIRECTORY", media, 1)
            }
            environment["PLEXUS_PUBLIC_URL"] = reader.optional("PLEXUS_PUBLIC_URL") ?? "http://localhost:\(port(of: .gateway, reader))"
            for service in services {
                environment[service.environmentPrefix + "URL"] = "http://127.0.0.1:\(port(of: service, reader))"
            }
            try writeEnvFile(environment, serviceKeys: secrets.serviceKeys, to: base.appendingPathComponent("env"))

            var demoLines: [String] = []
            if demo { demoLines = try await seedDemo(databaseBase: databaseBase, currency: reader.string("PLEXUS_CURRENCY", default: "USD"), logger: logger) }

            // Each child holds only its own service key: one compromised process cannot speak as another.
            let supervisor = Supervisor(executable: Bundle.main.executableURL!, services: services, environment: environment,
                                        own: secrets.serviceKeys.mapValues { [$0.key: $0.value] }
                                            .merging([.payment: ["PLEXUS_PAYMENT_WEBHOOK_SECRET": secrets.paymentWebhookSecret]]) { $0.merging($1) { a, _ in a } })
            // Identity first: every other service asks it for signing keys and revocations as it starts,
            // and calls to a service that is not listening yet open their breakers to it for seconds.
            if services.contains(.identity) {
                supervisor.start(.identity)
                await waitUntilLive(port: port(of: .identity, reader))
            }
            for service in services where service != .identity { supervisor.start(service) }
            await waitUntilLive(port: port(of: .gateway, reader))
            if demo && reader.string("PLEXUS_DEMO_ORDERS", default: "true") != "false" {
                do {
                    demoLines.append(try await DemoOrders(gateway: "http://127.0.0.1:\(port(of: .gateway, reader))").place())
                } catch {
                    say("demo orders not placed: \(error)")
                }
            }
            printBanner(demoLines, reader: reader)
            await shutdown.wait()
            say("stopping…")
            await supervisor.stopAll()
        } catch {
            embedded?.stop()
            throw error
        }
        embedded?.stop()
        say("stopped")
    }

    func seedDemo(databaseBase: DatabaseURL, currency: String, logger: Logger) async throws -> [String] {
        var urls: [ServiceName: DatabaseURL] = [:]
        for service in ServiceRegistry.topology.databaseServices { urls[service] = databaseBase.with(database: service.databaseName) }
        return try await DemoSeeder.run(urls: urls, seed: 2026, products: 1000, currency: currency, logger: logger)
    }

    /// A service's port: `PLEXUS_<SERVICE>_PORT` or its default.
    func port(of service: ServiceName, _ reader: ConfigReader) -> Int {
        reader.optional(service.environmentPrefix + "PORT").flatMap(Int.init) ?? service.defaultPort
    }

    /// Waits (up to 30 s) until the service on `port` answers `/health/live`.
    func waitUntilLive(port: Int) async {
        for _ in 0..<150 {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/health/live")
            request.method = .GET
            if let response = try? await HTTPClient.plexus.execute(request, timeout: .seconds(1)), response.status == .ok { return }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    func printBanner(_ demoLines: [String], reader: ConfigReader) {
        let gateway = port(of: .gateway, reader)
        var lines = ["", "Plexus is up (development mode).", "  gateway       http://localhost:\(gateway)",
                     "  dev mailbox   http://localhost:\(gateway)/dev/mailbox"]
        for service in ServiceRegistry.topology.services where service != .gateway {
            lines.append("  \(service.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)) http://127.0.0.1:\(port(of: service, reader))")
        }
        if !demoLines.isEmpty { lines += ["", "Demo data:"] + demoLines.map { "  " + $0 } }
        lines += ["", "Press Ctrl-C to stop.", ""]
        say(lines.joined(separator: "\n"))
    }

    /// `.plexus/env`, for running `plexus` commands against the development system (the
    /// developer's file, mode 600: it holds every service's key).
    func writeEnvFile(_ environment: [String: String], serviceKeys: [ServiceName: (key: String, value: String)], to url: URL) throws {
        let keys = ["PLEXUS_MODE", "PLEXUS_DATABASE_URL", "PLEXUS_IDENTITY_SIGNING_KEY", "PLEXUS_SERVICE_PUBLIC_KEYS"]
        let lines = keys.compactMap { key in environment[key].map { "export \(key)='\($0)'" } }
            + serviceKeys.values.sorted { $0.key < $1.key }.map { "export \($0.key)='\($0.value)'" }
        let text = lines.joined(separator: "\n") + "\n"
        try text.write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    }
}

func say(_ text: String) {
    FileHandle.standardError.write(Data("\u{1B}[1mplexus\u{1B}[0m \(text)\n".utf8))
}

/// Development secrets, generated once and kept under `.plexus/secrets/` so restarts keep sessions:
/// identity's signing key and one service key per service.
struct DevelopmentSecrets {
    var signingKey: String
    /// Each service's `PLEXUS_<SERVICE>_SERVICE_KEY` setting.
    var serviceKeys: [ServiceName: (key: String, value: String)]
    /// `PLEXUS_PAYMENT_WEBHOOK_SECRET`: what the sandbox signs its webhooks with.
    var paymentWebhookSecret: String

    /// `PLEXUS_SERVICE_PUBLIC_KEYS`: every service's public key.
    func publicKeys() throws -> String {
        try serviceKeys.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key.rawValue):\(try ServiceKeys.publicKey(ofEncoded: $0.value.value))" }.joined(separator: ",")
    }

    static func load(from directory: URL, services: [ServiceName]) throws -> DevelopmentSecrets {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func secret(_ name: String, _ make: () -> String) throws -> String {
            let file = directory.appendingPathComponent(name)
            if let existing = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !existing.isEmpty {
                return existing
            }
            let value = make()
            try value.write(to: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
            return value
        }
        var serviceKeys: [ServiceName: (key: String, value: String)] = [:]
        for service in services {
            serviceKeys[service] = (service.environmentPrefix + "SERVICE_KEY", try secret("\(service.rawValue)-service-key") { ServiceKeys.generatePrivateKey() })
        }
        return DevelopmentSecrets(signingKey: try secret("identity-signing-key") { SigningKeyRing.generateEncoded() }, serviceKeys: serviceKeys,
                                  paymentWebhookSecret: try secret("payment-webhook-secret") { RandomToken.hex(bytes: 32) })
    }
}

/// Waits for SIGINT or SIGTERM.
final class ShutdownSignal: Sendable {
    let stream: AsyncStream<Void>
    nonisolated(unsafe) let sources: [any DispatchSourceSignal]

    private init(stream: AsyncStream<Void>, sources: [any DispatchSourceSignal]) {
        self.stream = stream
        self.sources = sources
    }

    /// Starts listening for SIGINT and SIGTERM; a signal that arrives before ``wait()`` is kept.
    static func install() -> ShutdownSignal {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield() }
            source.resume()
            sources.append(source)
        }
        return ShutdownSignal(stream: stream, sources: sources)
    }

    /// Returns once a signal has arrived (at once if one already did).
    func wait() async {
        for await _ in stream { break }
        sources.forEach { $0.cancel() }
    }
}
