import Foundation
import HummingbirdTesting
import IdentityAPI
import IdentityService
import PlexusKit
import PlexusKitTesting
import Testing

@Suite struct AddressRouteTests {
    let home = AddressRequest(name: "Ann", line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "us")

    @Test func firstAddressIsDefaultAndOnlyOneDefaultExists() async throws {
        try await IdentityHarness.with { harness, http in
            let pair = try await http.signUp(harness, email: "addr@example.com")
            let first = try await http.post("/api/v1/users/me/addresses", home, token: pair.accessToken)
            #expect(first.status == .created)
            let firstAddress = try first.decode(AddressDTO.self)
            #expect(firstAddress.isDefault && firstAddress.country == "US")
            var work = home
            work.line1 = "2 Office Rd"
            work.isDefault = true
            let second = try await http.post("/api/v1/users/me/addresses", work, token: pair.accessToken).decode(AddressDTO.self)
            let list = try await http.get("/api/v1/users/me/addresses", token: pair.accessToken).decode(Page<AddressDTO>.self)
            #expect(list.items.count == 2)
            #expect(list.items.filter(\.isDefault).map(\.id) == [second.id])
            // edit, then delete the default: the other becomes default
            let edited = try await http.patch("/api/v1/users/me/addresses/\(firstAddress.id)", AddressRequest(city: "Shelbyville", phone: "+1 555 0100"), token: pair.accessToken)
            #expect(try edited.decode(AddressDTO.self).city == "Shelbyville")
            #expect(try await http.delete("/api/v1/users/me/addresses/\(second.id)", token: pair.accessToken).status == .noContent)
            let after = try await http.get("/api/v1/users/me/addresses", token: pair.accessToken).decode(Page<AddressDTO>.self)
            #expect(after.items.map(\.id) == [firstAddress.id] && after.items[0].isDefault)
        }
    }

    @Test func anotherUsersAddressIsNotFound() async throws {
        try await IdentityHarness.with { harness, http in
            let owner = try await http.signUp(harness, email: "owner@example.com")
            let stranger = try await http.signUp(harness, email: "stranger@example.com")
            let address = try await http.post("/api/v1/users/me/addresses", home, token: owner.accessToken).decode(AddressDTO.self)
            #expect(try await http.patch("/api/v1/users/me/addresses/\(address.id)", AddressRequest(city: "X"), token: stranger.accessToken).status == .notFound)
            #expect(try await http.delete("/api/v1/users/me/addresses/\(address.id)", token: stranger.accessToken).status == .notFound)
            #expect(try await http.delete("/api/v1/users/me/addresses/not-a-uuid", token: stranger.accessToken).status == .notFound)
        }
    }

    @Test func invalidAddressesAre422() async throws {
        try await IdentityHarness.with { harness, http in
            let pair = try await http.signUp(harness, email: "bad@example.com")
            let response = try await http.post("/api/v1/users/me/addresses", AddressRequest(name: "A", line1: "", city: "C", postalCode: "1", country: "USA"), token: pair.accessToken)
            #expect(response.status == .unprocessableContent)
            #expect(Set(try response.problem().errors?.map(\.field) ?? []) == ["line1", "country"])
        }
    }
}

@Suite struct AdminRouteTests {
    @Test func adminsListAndDisableUsersOthersCannot() async throws {
        try await IdentityHarness.with { harness, http in
            // setup
            _ = try await IdentityService.createUser(email: "root@example.com", password: "admin password 1", name: "Root", roles: [.admin],
                                                     client: harness.client, bcryptCost: 4, logger: harness.logger)
            let admin = try await http.post("/api/v1/auth/login", LoginRequest(email: "root@example.com", password: "admin password 1")).decode(TokenPair.self)
            let user = try await http.signUp(harness, email: "victim@example.com")
            // a customer is refused
            #expect(try await http.get("/api/v1/admin/users", token: user.accessToken).status == .forbidden)
            // the admin searches
            let page = try await http.get("/api/v1/admin/users?q=victim&limit=10", token: admin.accessToken).decode(Page<UserDTO>.self)
            let target = try #require(page.items.first)
            #expect(page.items.count == 1)
            #expect(try await http.get("/api/v1/admin/users?limit=1000", token: admin.accessToken).status == .badRequest)
            #expect(try await http.get("/api/v1/admin/users?sort=evil", token: admin.accessToken).status == .badRequest)
            // disabling revokes sessions
            let patched = try await http.patch("/api/v1/admin/users/\(target.id)", AdminUserUpdateRequest(roles: [.customer, .seller], disabled: true), token: admin.accessToken)
            #expect(try patched.decode(UserDTO.self).disabled)
            #expect(try await http.get("/api/v1/users/me", token: user.accessToken).status == .unauthorized)
            #expect(try await http.post("/api/v1/auth/refresh", RefreshRequest(refreshToken: user.refreshToken)).status == .unauthorized)
            #expect(try await http.post("/api/v1/auth/login", LoginRequest(email: "victim@example.com", password: strongPassword)).status == .forbidden)
            // unknown roles are refused
            #expect(try await http.patch("/api/v1/admin/users/\(target.id)", ["roles": ["superuser"]], token: admin.accessToken).status == .badRequest)
        }
    }

    @Test func adminListPaginatesWithACursor() async throws {
        try await IdentityHarness.with { harness, http in
            _ = try await IdentityService.createUser(email: "root2@example.com", password: "admin password 1", name: "Root", roles: [.admin],
                                                     client: harness.client, bcryptCost: 4, logger: harness.logger)
            for index in 0..<3 {
                _ = try await http.post("/api/v1/auth/register", RegisterRequest(email: "p\(index)@example.com", password: strongPassword, name: "P"))
            }
            let admin = try await http.post("/api/v1/auth/login", LoginRequest(email: "root2@example.com", password: "admin password 1")).decode(TokenPair.self)
            var seen: [UUID] = []
            var cursor: String?
            repeat {
                let page = try await http.get("/api/v1/admin/users?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""), token: admin.accessToken).decode(Page<UserDTO>.self)
                seen += page.items.map(\.id)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen.count == 4 && Set(seen).count == 4)
        }
    }
}
