import AsyncHTTPClient
import CartAPI
import Foundation
import IdentityAPI
import NotificationAPI
import PaymentAPI
import PlexusKit
import PlexusKitTesting
import ShopAPI
import Testing

extension RunningSystems {
    /// A VIP membership through the gateway with every service as its own process: bought with a
    /// sandbox card, the role granted by identity from the event, the VIP-only code usable, the
    /// receipt mailed; cancelled, ended by the billing job at the period's end, the role taken away.
    @Suite struct MembershipFlowTests {
        @Test func subscribeBecomeVIPCancelAndEnd() async throws {
            let system = try await RunningSystem(settings: ["PLEXUS_MEMBERSHIP_BILLING_EVERY_SECONDS": "1", "PLEXUS_DEMO_ORDERS": "false"])
            defer { system.stop() }
            let api = API(gateway: system.gateway)
            let email = "customer@plexus.local", password = "plexus-customer-2026"
            let token = try await api.login(email, password)
            let me = try api.decode(UserDTO.self, try await api.get("/api/v1/users/me", token: token))
            #expect(!me.roles.contains(.vip))

            // not VIP yet: the VIP-only code is refused for a cart with a line in it
            let variant = try await api.variant(ofShop: try api.decode(Page<ShopDTO>.self, try await api.get("/api/v1/shops?limit=1")).items[0].id)
            #expect(try await api.post("/api/v1/cart/items", AddCartItemRequest(variantId: variant.id, quantity: 1), token: token).status == 200)
            let refused = try await api.post("/api/v1/cart/promotion", ApplyPromotionRequest(code: "VIP20"), token: token, method: .PUT)
            #expect(refused.status == 422 && refused.text.contains("promotion_vip_only"), "status \(refused.status)")

            // subscribe: a declined card starts nothing; a good one is charged once and the role follows
            let plans = try api.decode([MembershipPlanDTO].self, try await api.get("/api/v1/memberships/plans"))
            #expect(plans.count == 3)
            let declined = try await api.post("/api/v1/memberships", CreateMembershipRequest(plan: .annual, paymentMethod: .card("4000 0000 0000 9995")),
                                              token: token, headers: ["Idempotency-Key": "vip-declined"])
            #expect(declined.status == 402 && declined.text.contains("insufficient_funds"), "\(declined.text)")
            let created = try await api.post("/api/v1/memberships", CreateMembershipRequest(plan: .monthly, paymentMethod: .card("4242 4242 4242 4242")),
                                             token: token, headers: ["Idempotency-Key": "vip-1"])
            #expect(created.status == 201, "\(created.text)")
            let membership = try api.decode(MembershipDTO.self, created)
            #expect(membership.status == .active && membership.charges.count == 1)
            #expect(try await api.until {
                try api.decode(UserDTO.self, try await api.get("/api/v1/users/me", token: token)).roles.contains(.vip)
            })
            let vipToken = try await api.login(email, password)
            let applied = try await api.post("/api/v1/cart/promotion", ApplyPromotionRequest(code: "VIP20"), token: vipToken, method: .PUT)
            #expect(applied.status == 200, "\(applied.text)")
            #expect(try await api.until {
                let latest = try await api.get("/dev/mailbox/latest?to=\(email)")
                guard latest.status == 200 else { return false }
                return try api.decode(MailboxEntryDTO.self, latest).subject == "Welcome to Plexus VIP"
            })

            // cancel at the period's end: still VIP; then the period ends (moved into the past here)
            let cancelled = try api.decode(MembershipDTO.self, try await api.delete("/api/v1/memberships/me", token: vipToken))
            #expect(cancelled.status == .active && cancelled.cancelAtPeriodEnd)
            try await system.execute("""
                UPDATE memberships SET current_period_end = now() - interval '1 second', next_attempt_at = now() - interval '1 second'
                WHERE id = '\(membership.id.uuidString)'
                """, on: .payment)
            #expect(try await api.until {
                try api.decode(MembershipDTO.self, try await api.get("/api/v1/memberships/me", token: vipToken)).status == .canceled
            })
            // membership.expired → the role is gone and the member's older tokens with it
            #expect(try await api.until { try await api.get("/api/v1/users/me", token: vipToken).status == 401 })
            let after = try await api.login(email, password)
            #expect(try !api.decode(UserDTO.self, try await api.get("/api/v1/users/me", token: after)).roles.contains(.vip))
            #expect(try await api.until {
                let latest = try await api.get("/dev/mailbox/latest?to=\(email)")
                guard latest.status == 200 else { return false }
                return try api.decode(MailboxEntryDTO.self, latest).subject == "Your VIP membership has ended"
            })
            let charges = try api.decode(MembershipDTO.self, try await api.get("/api/v1/memberships/me", token: after)).charges
            #expect(charges.count == 1, "nothing charged after cancelling")
            // the audit agrees, and sees a membership whose paid periods are not its receipts
            let audit = try await system.auditUntilClean()
            #expect(audit.clean && audit.output.contains("2 memberships"), "plexus audit: \(audit.output)")
            try await system.execute("UPDATE memberships SET periods_paid = 2 WHERE id = '\(membership.id.uuidString)'", on: .payment)
            let dirty = try system.audit()
            #expect(dirty.status == 1 && dirty.output.contains("counts 2 paid periods but has 1 successful charges"), "\(dirty.output)")
            #expect(!system.output.contains("request failed"), "a server error was logged")
        }
    }
}
