import Foundation
import HummingbirdTesting
import IdentityAPI
import IdentityService
import PlexusKit
import PlexusKitTesting
import Testing

@Suite("Identity: revocation feed")
struct RevocationFeedTests {
    func feed(_ http: any TestClientProtocol, after: Int64 = 0) async throws -> RevocationFeedDTO {
        let response = try await http.get("/internal/revocations?after=\(after)", token: try TestServiceKeys.token(from: .catalog, to: .identity))
        #expect(response.status == .ok, "\(response.text)")
        return try response.decode(RevocationFeedDTO.self)
    }

    @Test("logout, logout-all, a password change and a removed role each reach the feed; only services read it")
    func everyRevocationIsPublished() async throws {
        try await IdentityHarness.with { harness, http in
            // setup: a user with two sessions, and an admin
            let first = try await http.signUp(harness, email: "rev@example.com")
            let second = try await http.post("/api/v1/auth/login", LoginRequest(email: "rev@example.com", password: strongPassword)).decode(TokenPair.self)
            _ = try await IdentityService.createUser(email: "boss@example.com", password: "admin password 1", name: "Boss", roles: [.admin],
                                                     client: harness.client, bcryptCost: 4, logger: harness.logger)
            let admin = try await http.post("/api/v1/auth/login", LoginRequest(email: "boss@example.com", password: "admin password 1")).decode(TokenPair.self)
            let user = try await http.get("/api/v1/users/me", token: first.accessToken).decode(UserDTO.self)
            let start = try await feed(http).entries.map(\.id).max() ?? 0

            // act + expect: a single logout revokes that session
            #expect(try await http.post("/api/v1/auth/logout", RefreshRequest(refreshToken: second.refreshToken), token: second.accessToken).status == .noContent)
            let afterLogout = try await feed(http, after: start)
            #expect(afterLogout.entries.contains { $0.sessionId != nil && $0.userId == nil })
            #expect(afterLogout.horizonSeconds >= 900)

            // a seller role taken away bumps the token version
            #expect(try await http.send(.patch, "/api/v1/admin/users/\(user.id)", AdminUserUpdateRequest(roles: [.customer, .seller]), token: admin.accessToken).status == .ok)
            let cursor = afterLogout.entries.map(\.id).max() ?? start
            #expect(try await feed(http, after: cursor).entries.isEmpty, "adding a role revokes nothing")
            #expect(try await http.send(.patch, "/api/v1/admin/users/\(user.id)", AdminUserUpdateRequest(roles: [.customer]), token: admin.accessToken).status == .ok)
            let afterRole = try await feed(http, after: cursor)
            #expect(afterRole.entries.map(\.userId) == [user.id] && afterRole.entries.first?.minTokenVersion == 1)

            // only services may read it
            #expect(try await http.get("/internal/revocations", token: admin.accessToken).status == .unauthorized)
            #expect(try await http.get("/internal/revocations").status == .unauthorized)
        }
    }
}
