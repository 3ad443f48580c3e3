import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// The access-token revocations this process knows, from identity's feed: a minimum token version
/// per user and revoked sessions, each kept for the feed's horizon (after which the tokens it
/// revoked have expired anyway).
public final class RevocationList: Sendable {
    struct State {
        var minimumVersion: [UUID: (version: Int, at: Date)] = [:]
        var sessions: [UUID: Date] = [:]
        var cursor: Int64 = 0
        var horizon: TimeInterval = 960
    }

    let state = NIOLockedValueBox(State())

    /// An empty list.
    public init() {}

    /// The last feed position applied.
    public var cursor: Int64 { state.withLockedValue { $0.cursor } }

    /// Applies a page of the feed and forgets entries past the horizon.
    public func apply(_ page: RevocationFeedDTO, now: Date = Date()) {
        state.withLockedValue { state in
            state.horizon = TimeInterval(page.horizonSeconds)
            for entry in page.entries {
                if let user = entry.userId, let version = entry.minTokenVersion {
                    let known = state.minimumVersion[user]?.version ?? Int.min
                    state.minimumVersion[user] = (max(known, version), entry.at)
                }
                if let session = entry.sessionId { state.sessions[session] = entry.at }
                state.cursor = max(state.cursor, entry.id)
            }
            let oldest = now.addingTimeInterval(-state.horizon)
            state.minimumVersion = state.minimumVersion.filter { $0.value.at > oldest }
            state.sessions = state.sessions.filter { $0.value > oldest }
        }
    }

    /// Whether `principal`'s token was revoked after it was issued.
    public func isRevoked(_ principal: Principal) -> Bool {
        guard principal.kind == .user, let user = principal.userID else { return false }
        return state.withLockedValue { state in
            if let minimum = state.minimumVersion[user], principal.tokenVersion < minimum.version { return true }
            if let session = principal.sessionID, state.sessions[session] != nil { return true }
            return false
        }
    }
}

/// Verifies access tokens with `base`, then refuses revoked ones (401 `token_revoked`).
public struct RevokingVerifier: AccessTokenVerifier {
    let base: any AccessTokenVerifier
    let revocations: RevocationList

    /// Wraps `base`.
    public init(base: any AccessTokenVerifier, revocations: RevocationList) {
        self.base = base
        self.revocations = revocations
    }

    /// The principal of a valid, unrevoked token.
    public func verify(_ token: String) async throws -> Principal {
        try unrevoked(try await base.verify(token))
    }

    /// The base's answer without waiting, with the revocation check.
    public func verifyWithoutWaiting(_ token: String) -> Result<Principal, any Error>? {
        base.verifyWithoutWaiting(token).map { known in Result { try unrevoked(try known.get()) } }
    }

    func unrevoked(_ principal: Principal) throws -> Principal {
        if revocations.isRevoked(principal) {
            throw ProblemError.unauthorized("This session has ended; sign in again.", code: "token_revoked")
        }
        return principal
    }
}

/// Polls identity's revocation feed every `interval` and applies it, so a logout, a password change
/// or a disabled account stops its access tokens everywhere within about one interval. When identity
/// cannot be reached the known revocations stay in force and polling goes on.
public struct RevocationFeed: Service {
    let list: RevocationList
    let identity: any EndpointTransport
    let interval: Duration
    let logger: Logger

    /// Creates the poller.
    public init(list: RevocationList, identity: any EndpointTransport, interval: Duration, logger: Logger) {
        self.list = list
        self.identity = identity
        self.interval = interval
        self.logger = logger
    }

    /// Fetches every page after the current position once.
    public func poll() async throws {
        var page: RevocationFeedDTO
        repeat {
            page = try await identity.call(KitEndpoints.revocations, query: ["after": String(list.cursor)], deadline: .seconds(3), logger: logger)
            list.apply(page)
        } while page.entries.count >= 1000
    }

    /// Polls until graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var failures = 0
            while !Task.isCancelled {
                do {
                    try await poll()
                    failures = 0
                } catch {
                    failures += 1
                    if failures == 1 || failures % 30 == 0 {
                        logger.warning("revocation feed unavailable; known revocations stay in force", metadata: ["error": .string(String(describing: error))])
                    }
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
