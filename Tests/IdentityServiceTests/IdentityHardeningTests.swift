import Foundation
import HummingbirdTesting
import IdentityAPI
import PlexusKit
import PlexusKitTesting
import Testing

@Suite("Identity: hostile input")
struct IdentityHardeningTests {
    @Test("a full-width or upper-case spelling of an e-mail is the same account")
    func emailsAreNormalised() async throws {
        try await IdentityHarness.with { harness, http in
            // setup
            _ = try await http.signUp(harness, email: "hx@example.com")
            // act
            let fullWidth = try await http.post("/api/v1/auth/register", RegisterRequest(email: "ｈｘ@example.com", password: strongPassword, name: "Twin"))
            let upper = try await http.post("/api/v1/auth/register", RegisterRequest(email: "HX@EXAMPLE.COM", password: strongPassword, name: "Twin"))
            let login = try await http.post("/api/v1/auth/login", LoginRequest(email: "ＨＸ@example.com", password: strongPassword))
            // expect
            #expect(fullWidth.status == .conflict && upper.status == .conflict)
            #expect(login.status == .ok)
            #expect(try await harness.client.column("SELECT email FROM users", as: String.self) == ["hx@example.com"])
        }
    }

    @Test("an e-mail padded with combining marks is refused, never a 500")
    func paddedEmails() async throws {
        try await IdentityHarness.with { _, http in
            let padded = "a" + String(repeating: "\u{301}", count: 3000) + "@example.com"
            let login = try await http.post("/api/v1/auth/login", LoginRequest(email: padded, password: strongPassword))
            let register = try await http.post("/api/v1/auth/register", RegisterRequest(email: padded, password: strongPassword, name: "Pad"))
            #expect(login.status.code < 500 && login.status.code >= 400, "\(login.text)")
            #expect(register.status == .unprocessableContent, "\(register.text)")
        }
    }

    @Test("personal answers are not stored by shared caches")
    func personalResponsesAreNoStore() async throws {
        try await IdentityHarness.with { harness, http in
            let pair = try await http.signUp(harness, email: "private@example.com")
            let me = try await http.get("/api/v1/users/me", token: pair.accessToken)
            #expect(me.status == .ok)
            #expect(me.headers[.cacheControl] == "no-store")
        }
    }
}
