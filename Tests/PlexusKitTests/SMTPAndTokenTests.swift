import Crypto
import Foundation
import Hummingbird
import JWTKit
import Logging
import PlexusKit
import PlexusKitTesting
import Testing

@Suite(.serialized) struct SMTPClientTests {
    let message = MailMessage(from: MailAddress("shop@plexus.test", name: "Plexus"), to: [MailAddress("ann@example.com")],
                              subject: "Hello", text: "line one\n.starts with a dot\n..two dots", html: "<p>hi</p>")

    @Test func deliversOverStartTLSWithAuth() async throws {
        let server = try await SMTPTestServer()
        defer { server.stop() }
        let client = SMTPClient(configuration: SMTPConfiguration(host: "127.0.0.1", port: server.port, security: .startTLS,
                                                                 username: "user", password: "secret", verifyCertificates: false))
        try await client.send(message, logger: testLogger())
        let received = try server.received()
        #expect(received.count == 1)
        #expect(received.first?.from == "shop@plexus.test")
        #expect(received.first?.to == ["ann@example.com"])
        // dot-stuffing was undone by the server: the body arrives exactly as written
        let content = received.first?.content ?? ""
        #expect(content.contains("\r\n.starts with a dot\r\n..two dots"))
        #expect(content.contains("multipart/alternative"))
    }

    @Test func wrongPasswordIsAPermanentFailure() async throws {
        let server = try await SMTPTestServer()
        defer { server.stop() }
        let client = SMTPClient(configuration: SMTPConfiguration(host: "127.0.0.1", port: server.port, security: .startTLS,
                                                                 username: "user", password: "wrong", verifyCertificates: false))
        do {
            try await client.send(message, logger: testLogger())
            Issue.record("expected an authentication failure")
        } catch let error as SMTPError {
            #expect(error.isPermanent)
        }
        #expect(try server.received().isEmpty)
    }

    @Test func plainConnectionWithoutAuthDelivers() async throws {
        let server = try await SMTPTestServer()
        defer { server.stop() }
        let client = SMTPClient(configuration: SMTPConfiguration(host: "127.0.0.1", port: server.port, security: .none))
        try await client.send(message, logger: testLogger())
        #expect(try server.received().count == 1)
    }

    @Test func refusesInjectedAddresses() async throws {
        var bad = message
        bad.to = [MailAddress("victim@example.com>\r\nRCPT TO:<other@example.com")]
        await #expect(throws: SMTPError.self) {
            try await SMTPClient(configuration: SMTPConfiguration(host: "127.0.0.1", port: 1)).send(bad, logger: testLogger())
        }
    }
}

@Suite struct JWKSVerifierTests {
    func claims(lifetime: TimeInterval = 900) -> AccessClaims {
        AccessClaims(userID: UUID.v7(), roles: [.customer], emailVerified: true, tokenVersion: 3, sessionID: nil, issuedAt: Date(), lifetime: lifetime)
    }

    @Test func verifiesTokensSignedByJWTKitAndPinsTheAlgorithm() async throws {
        // setup
        let ring = try SigningKeyRing(encoded: SigningKeyRing.generateEncoded())
        let signer = await ring.signingCollection()
        let fetches = Counter()
        let verifier = JWKSVerifier(minimumRefetchInterval: .zero, logger: testLogger()) {
            await fetches.add(1)
            return ring.jwks
        }
        // act
        let token = try await signer.sign(claims(), kid: JWKIdentifier(string: ring.currentKeyID))
        let principal = try await verifier.verify(token)
        // assert
        #expect(principal.roles == [.customer])
        #expect(principal.tokenVersion == 3)
        // HS256 with the public key as secret (algorithm confusion) is refused
        let hmac = JWTKeyCollection()
        await hmac.add(hmac: HMACKey(from: Data(ring.jwks.keys[0].x.utf8) + Data(repeating: 0, count: 32)), digestAlgorithm: .sha256, kid: JWKIdentifier(string: ring.currentKeyID))
        let confused = try await hmac.sign(claims(), kid: JWKIdentifier(string: ring.currentKeyID))
        await #expect(throws: ProblemError.self) { try await verifier.verify(confused) }
        // expired beyond the clock-skew allowance; a few seconds' skew is tolerated
        let expired = try await signer.sign(claims(lifetime: -(AccessClaims.leeway + 10)), kid: JWKIdentifier(string: ring.currentKeyID))
        await #expect(throws: ProblemError.self) { try await verifier.verify(expired) }
        let skewed = try await signer.sign(claims(lifetime: -5), kid: JWKIdentifier(string: ring.currentKeyID))
        #expect(try await verifier.verify(skewed).tokenVersion == 3)
        // issued in the future (a clock far ahead): refused
        let future = AccessClaims(userID: .v7(), roles: [.customer], emailVerified: true, tokenVersion: 3, sessionID: nil,
                                  issuedAt: Date().addingTimeInterval(600), lifetime: 900)
        await #expect(throws: ProblemError.self) { try await verifier.verify(try await signer.sign(future, kid: JWKIdentifier(string: ring.currentKeyID))) }
        // exp and iat are whole seconds in the token's JSON
        let payload = String(decoding: Data(base64URLEncoded: token.split(separator: ".")[1])!, as: UTF8.self)
        #expect(payload.range(of: #""exp":[0-9]+[,}]"#, options: .regularExpression) != nil, "\(payload)")
        #expect(payload.range(of: #""iat":[0-9]+[,}]"#, options: .regularExpression) != nil, "\(payload)")
        // a tampered payload
        let parts = token.split(separator: ".")
        let tampered = "\(parts[0]).\(Data(#"{"sub":"x"}"#.utf8).base64URLEncodedString()).\(parts[2])"
        await #expect(throws: ProblemError.self) { try await verifier.verify(String(tampered)) }
    }

    @Test func unknownKidTriggersARefetchForRotatedKeys() async throws {
        let old = try SigningKeyRing(encoded: SigningKeyRing.generateEncoded())
        let new = try SigningKeyRing(encoded: "k2:" + Curve25519.Signing.PrivateKey().rawRepresentation.base64URLEncodedString())
        let current = ManagedRing(old)
        let verifier = JWKSVerifier(minimumRefetchInterval: .zero, logger: testLogger()) { await current.ring.jwks }
        _ = try await verifier.verify(try await old.signingCollection().sign(claims(), kid: JWKIdentifier(string: old.currentKeyID)))
        await current.set(new)
        let rotated = try await new.signingCollection().sign(claims(), kid: "k2")
        #expect(try await verifier.verify(rotated).emailVerified)
    }
}

actor ManagedRing {
    var ring: SigningKeyRing
    init(_ ring: SigningKeyRing) { self.ring = ring }
    func set(_ ring: SigningKeyRing) { self.ring = ring }
}

@Suite struct BearerTokenTests {
    @Test func theSchemeIsCaseInsensitiveAndBlanksAroundTheTokenAreIgnored() {
        #expect(Request.bearerToken(in: "Bearer abc.def") == "abc.def")
        #expect(Request.bearerToken(in: "bEaReR \t abc \t") == "abc")
        #expect(Request.bearerToken(in: "BEARER x") == "x")
        for refused in ["Basic abc", "Bearer", "Bearer ", "Bearer   ", "Bearerabc", "Bearer\tabc", "Bearxr abc", ""] {
            #expect(Request.bearerToken(in: refused) == nil, "\(refused)")
        }
    }

    @Test func randomHexIsHexOfTheRightLength() {
        let token = RandomToken.hex(bytes: 12)
        #expect(token.utf8.count == 24 && token.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        #expect(RandomToken.hex([0x00, 0x0f, 0xa5, 0xff]) == "000fa5ff")
        #expect(Set((0..<100).map { _ in RandomToken.hex(bytes: 3) }).count > 90, "random, not repeated")
        #expect(RandomToken.randomBytes(13).count == 13)
    }
}
