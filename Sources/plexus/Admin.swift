import ArgumentParser
import Foundation
import IdentityService
import PlexusKit

/// `plexus admin …`.
struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Administrative tasks.", subcommands: [CreateUser.self])

    struct CreateUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create-user", abstract: "Create (or reset) a verified user with a role.")

        @Option(help: "E-mail address.") var email: String
        @Option(help: "Password (8–128 characters).") var password: String
        @Option(help: "customer | seller | admin") var role: String = "customer"
        @Option(help: "Display name.") var name: String = "Administrator"

        func run() async throws {
            let reader = ConfigReader()
            let logger = bootstrapLogging(reader: reader, service: .identity)
            guard let role = Role(rawValue: role) else { throw ValidationError("role must be customer, seller or admin") }
            let url = try databaseURL(for: .identity, reader: reader)
            _ = try await migrate(IdentityService.self, url: url, logger: logger)
            let client = url.makeClient(maxConnections: 2, logger: logger)
            let user = try await client.withRunning { client in
                try await IdentityService.createUser(email: email, password: password, name: name, roles: [role], client: client, bcryptCost: 12, logger: logger)
            }
            print("created \(user.email) (\(user.roles.map(\.rawValue).joined(separator: ", "))) id \(user.id.lowercased)")
        }
    }
}
