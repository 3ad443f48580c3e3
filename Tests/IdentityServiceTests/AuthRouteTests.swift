import Foundation
import HTTPTypes
import HummingbirdTesting
import IdentityAPI
import PlexusKit
import PlexusKitTesting
import Testing

@Suite struct RegistrationTests {
    @Test func registerCreatesAnUnverifiedUserAndQueuesTheVerificationMail() async throws {
        try await IdentityHarness.with { harness, http in
            // act
            let response = try await http.post("/api/v1/auth/register", RegisterRequest(email: "Ann@Example.com", password: strongPassword, name: "Ann"))
            // assert
            #expect(response.status == .created)
            let user = try response.decode(UserDTO.self)
            #expect(user.emailVerified == false && user.roles == [.customer])
            #expect(try await harness.latestToken(IdentityEvent.verificationRequested, for: "ann@example.com") != nil)
            let jobs = try await harness.client.query("SELECT count(*)::int FROM jobs WHERE kind = 'outbox.deliver'", logger: harness.logger)
            for try await count in jobs.decode(Int.self) { #expect(count == 1, "verification_requested to notification (nobody consumes user_registered)") }
            // the password is stored as a bcrypt hash, never in clear
            let hashes = try await harness.client.column("SELECT password_hash FROM users", as: String.self)
            #expect(hashes.count == 1 && hashes.allSatisfy { $0.hasPrefix("$2") && !$0.contains(strongPassword) })
        }
    }

    @Test func duplicateEmailIsAConflictCaseInsensitively() async throws {
        try await IdentityHarness.with { _, http in
            _ = try await http.post("/api/v1/auth/register", RegisterRequest(email: "bob@example.com", password: strongPassword, name: "Bob"))
            let again = try await http.post("/api/v1/auth/register", RegisterRequest(email: "BOB@example.com", password: strongPassword, name: "Bob"))
            #expect(again.status == .conflict)
            #expect(try again.problem().code == "email_taken")
        }
    }

    @Test func twentyConcurrentRegistrationsOfOneEmailMakeOneAccount() async throws {
        try await IdentityHarness.with { harness, http in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await http.post("/api/v1/auth/register", RegisterRequest(email: "race@example.com", password: strongPassword, name: "R")).status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 19)
            let rows = try await harness.client.query("SELECT count(*)::int FROM users", logger: harness.logger)
            for try await count in rows.decode(Int.self) { #expect(count == 1) }
        }
    }

    @Test(arguments: [
        (#"{"email":"a@example.com","password":"correct horse battery","name":"A","role":"admin"}"#, 400, "unknown_field"),
        (#"{"email":"a@example.com","password":"correct horse battery","name":"A","emailVerified":true}"#, 400, "unknown_field"),
        (#"{"email":"a@example.com","password":"short","name":"A"}"#, 422, "validation_failed"),
        (#"{"email":"a@example.com","password":"password123","name":"A"}"#, 422, "validation_failed"),
        (#"{"email":"not-an-email","password":"correct horse battery","name":"A"}"#, 422, "validation_failed"),
        (#"{"email":"a@example.com","password":"correct horse battery"}"#, 400, "invalid_body"),
        (#"{"email":"a@example.com","password":12345678,"name":"A"}"#, 400, "invalid_body"),
        (#"{"#, 400, "malformed_json"),
    ])
    func badRegistrationsAreRefusedAndChangeNothing(body: String, status: Int, code: String) async throws {
        try await IdentityHarness.with { harness, http in
            let response = try await http.execute(uri: "/api/v1/auth/register", method: .post, headers: TestHeaders.json(), body: .raw(body)) { $0 }
            #expect(response.status.code == status)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(try response.problem().code == code)
            let rows = try await harness.client.query("SELECT count(*)::int FROM users", logger: harness.logger)
            for try await count in rows.decode(Int.self) { #expect(count == 0) }
        }
    }

    @Test func passwordsLongerThanBcryptsLimitAreNotTruncated() async throws {
        try await IdentityHarness.with { harness, http in
            let long = String(repeating: "x", count: 80) + "tail-A"
            _ = try await http.signUp(harness, email: "long@example.com", password: long)
            let variant = String(repeating: "x", count: 80) + "tail-B"
            #expect(try await http.post("/api/v1/auth/login", LoginRequest(email: "long@example.com", password: variant)).status == .unauthorized)
        }
    }

    @Test func wrongContentTypeIs415() async throws {
        try await IdentityHarness.with { _, http in
            let response = try await http.execute(uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "text/plain"], body: .raw("x")) { $0 }
            #expect(response.status == .unsupportedMediaType)
        }
    }
}

@Suite struct LoginAndSessionTests {
    @Test func verificationIsRequiredAndTokensAreSingleUse() async throws {
        try await IdentityHarness.with { harness, http in
            _ = try await http.post("/api/v1/auth/register", RegisterRequest(email: "v@example.com", password: strongPassword, name: "V"))
            let unverified = try await http.post("/api/v1/auth/login", LoginRequest(email: "v@example.com", password: strongPassword))
            #expect(unverified.status == .forbidden)
            #expect(try unverified.problem().code == "email_not_verified")
            let token = try #require(try await harness.latestToken(IdentityEvent.verificationRequested, for: "v@example.com"))
            #expect(try await http.post("/api/v1/auth/verify-email", TokenRequest(token: token)).status == .ok)
            #expect(try await http.post("/api/v1/auth/verify-email", TokenRequest(token: token)).status == .badRequest)
            #expect(try await http.post("/api/v1/auth/login", LoginRequest(email: "v@example.com", password: strongPassword)).status == .ok)
        }
    }

    @Test func unknownEmailAndWrongPasswordLookTheSame() async throws {
        try await IdentityHarness.with { harness, http in
            _ = try await http.signUp(harness, email: "same@example.com")
            let wrong = try await http.post("/api/v1/auth/login", LoginRequest(email: "same@example.com", password: "wrong password!"))
            let unknown = try await http.post("/api/v1/auth/login", LoginRequest(email: "nobody@example.com", password: "wrong password!"))
            #expect(wrong.status == .unauthorized && unknown.status == .unauthorized)
            #expect(try wrong.problem().code == unknown.problem().code)
            #expect(try wrong.problem().detail == unknown.problem().detail)
        }
    }

    @Test func repeatedFailuresAreThrottledWithRetryAfter() async throws {
        try await IdentityHarness.with { harness, http in
            _ = try await http.signUp(harness, email: "t@example.com")
            for _ in 0..<5 {
                #expect(try await http.post("/api/v1/auth/login", LoginRequest(email: "t@example.com", password: "wrong password!")).status == .unauthorized)
            }
            _ = try await http.post("/api/v1/auth/login", LoginRequest(email: "t@example.com", password: "wrong password!"))
            // blocked now, even with the right password
            let blocked = try await http.post("/api/v1/auth/login", LoginRequest(email: "t@example.com", password: strongPassword))
            #expect(blocked.status == .tooManyRequests)
            #expect(Int(blocked.headers[.retryAfter] ?? "") ?? 0 >= 1)
        }
    }

    @Test func refreshRotatesAndReuseRevokesTheFamily() async throws {
        try await IdentityHarness.with { harness, http in
            let first = try await http.signUp(harness, email: "r@example.com")
            let second = try await http.post("/api/v1/auth/refresh", RefreshRequest(refreshToken: first.refreshToken))
            #expect(second.status == .ok)
            let pair = try second.decode(TokenPair.self)
            #expect(pair.refreshToken != first.refreshToken)
            // replaying the spent token: refused, and the newer token of the same family dies too
            let replay = try await http.post("/api/v1/auth/refresh", RefreshRequest(refreshToken: first.refreshToken))
            #expect(replay.status == .unauthorized)
            #expect(try replay.problem().code == "refresh_token_reused")
            #expect(try await http.post("/api/v1/auth/refresh", RefreshRequest(refreshToken: pair.refreshToken)).status == .unauthorized)
        }
    }

    @Test func meNeedsAValidTokenAndLogoutAllRevokesAccessTokens() async throws {
        try await IdentityHarness.with { harness, http in
            #expect(try await http.get("/api/v1/users/me").status == .unauthorized)
            #expect(try await http.get("/api/v1/users/me", token: "garbage").status == .unauthorized)
            let pair = try await http.signUp(harness, email: "me@example.com", name: "Me")
            let me = try await http.get("/api/v1/users/me", token: pair.accessToken)
            #expect(try me.decode(UserDTO.self).name == "Me")
            let renamed = try await http.patch("/api/v1/users/me", UpdateProfileRequest(name: "New Name"), token: pair.accessToken)
            #expect(try renamed.decode(UserDTO.self).name == "New Name")
            #expect(try await http.patch("/api/v1/users/me", ["email": "x@example.com"], token: pair.accessToken).status == .badRequest)
            // act
            #expect(try await http.post("/api/v1/auth/logout-all", [String: String](), token: pair.accessToken).status == .noContent)
            // assert: the still-unexpired access token and the refresh token are dead
            #expect(try await http.get("/api/v1/users/me", token: pair.accessToken).status == .unauthorized)
            #expect(try await http.post("/api/v1/auth/refresh", RefreshRequest(refreshToken: pair.refreshToken)).status == .unauthorized)
        }
    }

    @Test func logoutEndsThatSessionOnly() async throws {
        try await IdentityHarness.with { harness, http in
            let a = try await http.signUp(harness, email: "two@example.com")
            let b = try await http.post("/api/v1/auth/login", LoginRequest(email: "two@example.com", password: strongPassword)).decode(TokenPair.self)
            #expect(try await http.post("/api/v1/auth/logout", RefreshRequest(refreshToken: a.refreshToken), token: a.accessToken).status == .noContent)
            #expect(try await http.post("/api/v1/auth/refresh", RefreshRequest(refreshToken: a.refreshToken)).status == .unauthorized)
            #expect(try await http.post("/api/v1/auth/refresh", RefreshRequest(refreshToken: b.refreshToken)).status == .ok)
        }
    }

    @Test func jwksPublishesTheSigningKey() async throws {
        try await IdentityHarness.with { _, http in
            let jwks = try await http.get("/.well-known/jwks.json").decode(JWKSet.self)
            #expect(jwks.keys.first?.alg == "EdDSA" && jwks.keys.first?.crv == "Ed25519")
        }
    }
}

@Suite struct PasswordFlowTests {
    @Test func forgotAndResetRevokesEverySession() async throws {
        try await IdentityHarness.with { harness, http in
            let pair = try await http.signUp(harness, email: "f@example.com")
            #expect(try await http.post("/api/v1/auth/password/forgot", EmailRequest(email: "f@example.com")).status == .accepted)
            #expect(try await http.post("/api/v1/auth/password/forgot", EmailRequest(email: "ghost@example.com")).status == .accepted)
            while try await harness.worker.runOnce() > 0 {}
            let token = try #require(try await harness.latestToken(IdentityEvent.passwordResetRequested, for: "f@example.com"))
            #expect(try await harness.latestToken(IdentityEvent.passwordResetRequested, for: "ghost@example.com") == nil)
            let reset = try await http.post("/api/v1/auth/password/reset", ResetPasswordRequest(token: token, newPassword: "a brand new secret"))
            #expect(reset.status == .noContent)
            #expect(try await http.post("/api/v1/auth/password/reset", ResetPasswordRequest(token: token, newPassword: "another new secret")).status == .badRequest)
            #expect(try await http.get("/api/v1/users/me", token: pair.accessToken).status == .unauthorized)
            #expect(try await http.post("/api/v1/auth/login", LoginRequest(email: "f@example.com", password: strongPassword)).status == .unauthorized)
            #expect(try await http.post("/api/v1/auth/login", LoginRequest(email: "f@example.com", password: "a brand new secret")).status == .ok)
        }
    }

    @Test func changeKeepsThisSessionAndEndsOthers() async throws {
        try await IdentityHarness.with { harness, http in
            let mine = try await http.signUp(harness, email: "c@example.com")
            let other = try await http.post("/api/v1/auth/login", LoginRequest(email: "c@example.com", password: strongPassword)).decode(TokenPair.self)
            let wrong = try await http.post("/api/v1/auth/password/change", ChangePasswordRequest(currentPassword: "not it at all", newPassword: "a brand new secret"), token: mine.accessToken)
            #expect(wrong.status == .forbidden)
            let changed = try await http.post("/api/v1/auth/password/change", ChangePasswordRequest(currentPassword: strongPassword, newPassword: "a brand new secret"), token: mine.accessToken)
            #expect(changed.status == .noContent)
            #expect(try await http.get("/api/v1/users/me", token: mine.accessToken).status == .ok)
            #expect(try await http.post("/api/v1/auth/refresh", RefreshRequest(refreshToken: mine.refreshToken)).status == .ok)
            #expect(try await http.post("/api/v1/auth/refresh", RefreshRequest(refreshToken: other.refreshToken)).status == .unauthorized)
        }
    }

    @Test func resendVerificationAlwaysAnswers202AndIsRateLimited() async throws {
        try await IdentityHarness.with { harness, http in
            _ = try await http.post("/api/v1/auth/register", RegisterRequest(email: "re@example.com", password: strongPassword, name: "R"))
            for _ in 0..<3 { #expect(try await http.post("/api/v1/auth/resend-verification", EmailRequest(email: "re@example.com")).status == .accepted) }
            #expect(try await http.post("/api/v1/auth/resend-verification", EmailRequest(email: "nobody@example.com")).status == .accepted)
            while try await harness.worker.runOnce() > 0 {}
            let rows = try await harness.client.query("SELECT count(*)::int FROM outbox WHERE type = 'identity.verification_requested'", logger: harness.logger)
            for try await count in rows.decode(Int.self) { #expect(count == 2, "registration + one resend within the minute") }
        }
    }
}
