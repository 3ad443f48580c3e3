import Foundation
import IdentityAPI
import Logging
import PlexusKit
import PostgresNIO

extension IdentityService {
    /// The demo accounts: an admin, a customer and the sellers. An account that exists is left as
    /// it is (a second `up --demo` neither re-hashes passwords nor ends sessions).
    public static func seedDemo(_ demo: DemoSeed, client: DatabaseClient, logger: Logger) async throws {
        let users = UserRepository(client: client)
        func ensure(_ email: String, _ password: String, _ name: String, _ roles: [Role]) async throws -> UUID {
            if let existing = try await users.find(email: email, logger: logger) { return existing.id }
            return try await createUser(email: email, password: password, name: name, roles: roles, client: client, bcryptCost: 10, logger: logger).id
        }
        let (admin, customer, seller) = demo.password.map { ($0, $0, $0) }
            ?? ("plexus-admin-2026", "plexus-customer-2026", IdentityDemo.sellerPassword)
        _ = try await ensure("admin@plexus.local", admin, "Demo Admin", [.admin])
        _ = try await ensure("customer@plexus.local", customer, "Demo Customer", [.customer])
        var sellers: [UUID] = []
        for index in 1...IdentityDemo.sellerCount {
            let email = index == 1 ? "seller@plexus.local" : "seller\(index)@plexus.local"
            sellers.append(try await ensure(email, seller, "Demo Seller \(index)", [.seller]))
        }
        demo[IdentityDemo.sellers] = sellers
        let shown = { (password: String) in demo.password == nil ? password : "(the password given)" }
        demo.report("admin     admin@plexus.local / \(shown(admin))")
        demo.report("customer  customer@plexus.local / \(shown(customer))")
        demo.report("seller    seller@plexus.local / \(shown(seller))  (seller2…\(IdentityDemo.sellerCount)@plexus.local likewise)")
    }
}
