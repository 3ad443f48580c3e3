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

@Suite("Identity: throttling under concurrency")
struct ThrottleRaceTests {
    @Test("thirty parallel wrong passwords: at most six are checked, the rest wait")
    func parallelGuessesAreCountedBeforeTheHash() async throws {
        try await IdentityHarness.with { harness, http in
            // setup
            _ = try await http.signUp(harness, email: "race@example.com")
            // act
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<30 {
                    group.addTask { Int(try await http.post("/api/v1/auth/login", LoginRequest(email: "race@example.com", password: "wrong password!")).status.code) }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            // expect
            #expect(statuses.filter { $0 == 401 }.count <= 6, "\(statuses.sorted())")
            #expect(statuses.filter { $0 == 429 }.count >= 24)
        }
    }

    @Test("guessing the current password with a stolen token is throttled too")
    func passwordChangeIsThrottled() async throws {
        try await IdentityHarness.with { harness, http in
            let pair = try await http.signUp(harness, email: "thief@example.com")
            var statuses: [Int] = []
            for _ in 0..<8 {
                statuses.append(Int(try await http.post("/api/v1/auth/password/change", ChangePasswordRequest(currentPassword: "guess guess 1", newPassword: "brand new passphrase"),
                                                        token: pair.accessToken).status.code))
            }
            #expect(statuses.prefix(6).allSatisfy { $0 == 403 } && statuses.suffix(2).allSatisfy { $0 == 429 }, "\(statuses)")
        }
    }
}
