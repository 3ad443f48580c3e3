import Hummingbird
import Logging
import NIOCore

/// The request context every Plexus service uses.
///
/// Carries the request id (also set on the logger as `requestId`), the verified caller, and the peer
/// address used for per-client limits.
public struct PlexusContext: RequestContext {
    /// Hummingbird's core storage.
    public var coreContext: CoreRequestContextStorage
    /// The request id: the caller's `X-Request-ID` when valid, otherwise a fresh one.
    public var requestID: String = ""
    /// The verified caller, set by ``AuthMiddleware`` when a valid bearer token was presented.
    public var principal: Principal?
    /// The peer's IP address as seen on the socket (read when asked: most routes never ask, and
    /// reading and formatting it cost every request a lock and an allocation).
    public var peerAddress: String? { channel.remoteAddress?.ipAddress }
    let channel: any Channel

    /// Creates the context for one request.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// JSON request bodies are small; uploads have their own limits in the media service.
    public var maxUploadSize: Int { 1 << 20 }

    /// The caller, or a 401 problem.
    public func requireUser() throws -> Principal {
        guard let principal, principal.kind == .user else { throw ProblemError.unauthorized() }
        return principal
    }

    /// The caller when they hold `role`; 401 without a token, 403 without the role.
    public func requireRole(_ role: Role) throws -> Principal {
        let principal = try requireUser()
        guard principal.roles.contains(role) else { throw ProblemError.forbidden() }
        return principal
    }
}
