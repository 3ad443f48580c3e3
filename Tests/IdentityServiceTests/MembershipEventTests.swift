import Foundation
import HummingbirdTesting
import IdentityAPI
import PaymentAPI
import PlexusKit
import PlexusKitTesting
import Testing

@Suite("Identity: membership events")
struct MembershipEventTests {
    @Test("membership.activated grants vip to the next token; membership.expired takes it away and ends the older tokens at once")
    func vipFollowsTheMembership() async throws {
        try await IdentityHarness.with { harness, http in
            // setup
            let pair = try await http.signUp(harness, email: "member@example.com")
            let me = try await http.get("/api/v1/users/me", token: pair.accessToken).decode(UserDTO.self)
            let payment = try TestServiceKeys.token(from: .payment, to: .identity)
            func deliver<T>(_ type: EventType<T>, _ data: T) async throws -> TestResponse {
                try await http.execute(uri: "/internal/events", method: .post, headers: TestHeaders.json(token: payment),
                                       body: .json(EventEnvelope(type, data: data))) { $0 }
            }
            let membership = MembershipEventData(membershipId: .v7(), userId: me.id, plan: .monthly, currentPeriodEnd: Date().addingTimeInterval(30 * 86_400))

            // act + assert: activation
            #expect(try await deliver(PaymentEvent.membershipActivated, membership).status == .ok)
            #expect(try await deliver(PaymentEvent.membershipRenewed, membership).status == .ok) // a renewal of a member changes nothing
            let vip = try await http.post("/api/v1/auth/refresh", RefreshRequest(refreshToken: pair.refreshToken)).decode(TokenPair.self)
            #expect(try await http.get("/api/v1/users/me", token: vip.accessToken).decode(UserDTO.self).roles.sorted() == [.customer, .vip])

            // act + assert: expiry ends the role and the tokens that carry it
            #expect(try await deliver(PaymentEvent.membershipExpired, membership).status == .ok)
            #expect(try await http.get("/api/v1/users/me", token: vip.accessToken).status == .unauthorized)
            let after = try await http.post("/api/v1/auth/refresh", RefreshRequest(refreshToken: vip.refreshToken)).decode(TokenPair.self)
            #expect(try await http.get("/api/v1/users/me", token: after.accessToken).decode(UserDTO.self).roles == [.customer])
        }
    }
}
