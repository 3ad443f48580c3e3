import Foundation
import HummingbirdTesting
import IdentityAPI
import PlexusKit
import PlexusKitTesting
import ShopAPI
import Testing

@Suite("Identity: shop events")
struct ShopEventTests {
    @Test("shop.created makes the owner a seller; their next token carries the role; a redelivery changes nothing")
    func grantsSeller() async throws {
        try await IdentityHarness.with { harness, http in
            // setup
            let pair = try await http.signUp(harness, email: "seller@example.com")
            let me = try await http.get("/api/v1/users/me", token: pair.accessToken).decode(UserDTO.self)
            #expect(me.roles == [.customer])
            let event = EventEnvelope(type: ShopEvent.created, source: "shop",
                                      data: ShopChanged(shopId: .v7(), ownerId: me.id, name: "Seller Shop", slug: "seller-shop"))
            let service = try await ServiceTokens(serviceName: "shop", secret: String(repeating: "s", count: 32)).issue()

            // act
            let first = try await http.execute(uri: "/internal/events", method: .post, headers: TestHeaders.json(token: service), body: .json(event)) { $0 }
            let again = try await http.execute(uri: "/internal/events", method: .post, headers: TestHeaders.json(token: service), body: .json(event)) { $0 }
            let refreshed = try await http.post("/api/v1/auth/refresh", RefreshRequest(refreshToken: pair.refreshToken)).decode(TokenPair.self)

            // assert
            #expect(first.status == .ok && again.status == .ok)
            #expect(again.text.contains("duplicate"))
            #expect(try await http.get("/api/v1/users/me", token: refreshed.accessToken).decode(UserDTO.self).roles == [.customer, .seller])
            let claims = try #require(refreshed.accessToken.split(separator: ".").dropFirst().first.flatMap { Data(base64URLEncoded: $0) })
            #expect(String(decoding: claims, as: UTF8.self).contains("\"seller\""))
            // only services may deliver events
            let forged = try await http.execute(uri: "/internal/events", method: .post, headers: TestHeaders.json(token: pair.accessToken), body: .json(event)) { $0 }
            #expect(forged.status == .unauthorized)
        }
    }
}
