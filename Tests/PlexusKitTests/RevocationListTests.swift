import Foundation
@testable import PlexusKit
import Testing

@Suite struct RevocationListTests {
    func principal(_ user: UUID, version: Int, session: UUID? = nil) -> Principal {
        Principal(kind: .user, subject: user.lowercased, roles: [.customer], emailVerified: true, tokenVersion: version, tokenID: "t", sessionID: session)
    }

    @Test func olderVersionsAndRevokedSessionsAreRefusedUntilTheHorizon() {
        // setup
        let list = RevocationList()
        let (ann, bob, session) = (UUID.v7(), UUID.v7(), UUID.v7())
        let now = Date()
        // act
        list.apply(RevocationFeedDTO(entries: [
            RevocationEntry(id: 1, userId: ann, minTokenVersion: 3, sessionId: nil, at: now),
            RevocationEntry(id: 2, userId: nil, minTokenVersion: nil, sessionId: session, at: now),
            RevocationEntry(id: 3, userId: ann, minTokenVersion: 2, sessionId: nil, at: now),
        ], horizonSeconds: 960), now: now)
        // expect
        #expect(list.cursor == 3)
        #expect(list.isRevoked(principal(ann, version: 2)))
        #expect(!list.isRevoked(principal(ann, version: 3)), "a later, lower entry never lowers the minimum")
        #expect(list.isRevoked(principal(bob, version: 0, session: session)))
        #expect(!list.isRevoked(principal(bob, version: 0, session: .v7())))
        // past the horizon the entries go: the tokens they revoked have expired
        list.apply(RevocationFeedDTO(entries: [], horizonSeconds: 960), now: now.addingTimeInterval(961))
        #expect(!list.isRevoked(principal(ann, version: 2)))
        #expect(list.cursor == 3)
    }
}
