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
            let event = EventEnvelope(ShopEvent.created, data: ShopChanged(shopId: .v7(), ownerId: me.id, name: "Seller Shop", slug: "seller-shop"))
            let service = try TestServiceKeys.token(from: .shop, to: .identity)

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

    @Test("only the publishers of identity's subscriptions may deliver, with a token for identity")
    func scopedServiceTokens() async throws {
        try await IdentityHarness.with { _, http in
            // setup
            let event = EventEnvelope(ShopEvent.created, data: ShopChanged(shopId: .v7(), ownerId: .v7(), name: "S", slug: "s"))
            func deliver(_ token: String) async throws -> TestResponse {
                try await http.execute(uri: "/internal/events", method: .post, headers: TestHeaders.json(token: token), body: .json(event)) { $0 }
            }
            // act
            let notGranted = try await deliver(try TestServiceKeys.token(from: .catalog, to: .identity))
            let wrongAudience = try await deliver(try TestServiceKeys.token(from: .shop, to: .catalog))
            let impostor = ServiceTokens(keys: try ServiceKeys(service: .shop, encodedPrivateKey: ServiceKeys.generatePrivateKey(), encodedPublicKeys: ""))
            let forged = try await deliver(try impostor.token(for: .identity))
            let granted = try await deliver(try TestServiceKeys.token(from: .shop, to: .identity))
            // expect
            #expect(notGranted.status == .forbidden && notGranted.text.contains("caller_not_granted"))
            #expect(wrongAudience.status == .forbidden && wrongAudience.text.contains("wrong_audience"))
            #expect(forged.status == .unauthorized, "a key that is not shop's cannot speak as shop")
            #expect(granted.status == .ok)
        }
    }
}
