import ArgumentParser
import Foundation

@main
struct Plexus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plexus",
        abstract: "Plexus, an e-commerce backend of small services.",
        subcommands: [Up.self, Serve.self, Work.self, Migrate.self, Seed.self, Admin.self, Events.self, Audit.self, TopologyCommand.self, OpenAPICommand.self]
    )
}
