import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import PlexusKit
import PlexusRegistry
import GatewayService

/// `plexus events parked|replay <service>`: events a consumer parked because their version was
/// newer than it understood, and replaying them after an upgrade.
struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Inspect and replay parked events.", subcommands: [Parked.self, Replay.self])

    struct Parked: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a service's parked events.")
        @Argument(help: "A consuming service.") var service: ServiceName

        func run() async throws {
            try await withConsumer(registered(service, needsDatabase: true)) { consumer, logger in
                let parked = try await consumer.parked(logger: logger)
                if parked.isEmpty { print("no parked events") }
                for event in parked {
                    print("\(event.eventId.lowercased)  \(event.type)@v\(event.version)  \(RFC3339.string(from: event.parkedAt))  \(event.reason)")
                }
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply a service's parked events that this build understands.")
        @Argument(help: "A consuming service.") var service: ServiceName

        func run() async throws {
            try await withConsumer(registered(service, needsDatabase: true)) { consumer, logger in
                let replayed = try await consumer.replayParked(logger: logger)
                let left = try await consumer.parked(logger: logger).count
                print("\(replayed) replayed, \(left) still parked")
            }
        }
    }
}

/// Builds `S`'s event consumer over its database (configuration from the environment, as `serve`).
func withConsumer<S: PlexusService>(_ service: S.Type, _ body: @escaping @Sendable (EventConsumer, Logger) async throws -> Void) async throws {
    try await withConfiguration(service) { configuration, logger in
        let database = Database(url: configuration.common.database, maxConnections: 2, logger: logger)
        try await database.client.withRunning { _ in
            let consumer = try await ServiceHost.consumer(S.self, configuration: configuration, topology: ServiceRegistry.topology,
                                                          database: database, http: .plexus, logger: logger)
            try await body(consumer, logger)
        }
    }
}

/// `plexus topology`: the services and the event topology as Markdown, derived from the declarations.
struct TopologyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "topology", abstract: "Print the services and who consumes which event (Markdown).")

    func run() async throws {
        print(ServiceRegistry.topologyDocument)
    }
}

/// `plexus openapi`: the merged public OpenAPI document the gateway serves at `/openapi.json`.
struct OpenAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "openapi", abstract: "Print the public OpenAPI 3.1 document (as the gateway serves it).")

    @Flag(help: "Include the development-only operations (the dev mailbox).") var development = false

    func run() async throws {
        let gateway = GatewayService.endpoints + KitEndpoints.operational
        let document = GatewayService.document(topology: ServiceRegistry.topology, gateway: gateway, development: development)
        print(String(decoding: try document.data(), as: UTF8.self))
    }
}
