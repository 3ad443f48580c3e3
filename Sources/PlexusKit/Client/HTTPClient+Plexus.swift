import AsyncHTTPClient
import NIOPosix

extension HTTPClient {
    /// The process's one HTTP client for calls between services.
    ///
    /// Unlike `HTTPClient.shared` it does not retry failed connection attempts until the request's
    /// deadline: a service that is down must cost a caller milliseconds (then the breaker opens),
    /// not the whole timeout. Connecting has its own two-second limit.
    public static let plexus: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        configuration.timeout = .init(connect: .seconds(2))
        configuration.decompression = .disabled
        // No span per call: Plexus carries `traceparent` itself (``RequestTrace``), and with no tracer
        // bootstrapped the client still parsed each URL again for span attributes (4% of the
        // gateway's CPU per proxied request).
        configuration.tracing.tracer = nil
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}
