import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// The one outbound HTTP path of a process: every call has a deadline, carries `X-Request-ID` and
/// `traceparent` (from the current ``RequestTrace`` unless given), is
/// retried only when safe (idempotent and failed before an answer, or answered 502/503/504), and goes
/// through its upstream's circuit breaker. A refused call fails fast with a 503 problem.
public final class ServiceClient: Sendable {
    /// The shared AsyncHTTPClient.
    public let http: HTTPClient
    /// The breakers.
    public let breakers: CircuitBreakers
    let maxRetries: Int

    /// Creates a client over a shared `HTTPClient`.
    public init(http: HTTPClient, breakers: CircuitBreakers = CircuitBreakers(), maxRetries: Int = 2) {
        self.http = http
        self.breakers = breakers
        self.maxRetries = maxRetries
    }

    /// A response with its body collected.
    public struct Response: Sendable {
        /// Status.
        public var status: HTTPResponseStatus
        /// Headers.
        public var headers: HTTPHeaders
        /// Body bytes.
        public var body: ByteBuffer

        /// Decodes a JSON body.
        public func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try JSON.decoder.decode(T.self, from: Data(buffer: body))
        }
    }

    /// Sends a request and collects the body (up to `maxBody` bytes).
    ///
    /// `background`: a periodic call no request waits for (a feed polled every few seconds). It is
    /// sent once (the next period is its retry) and neither asks nor feeds the upstream's breaker:
    /// polls failing while an upstream starts must not open the breaker that requests' calls to it
    /// (token checks among them) go through, and an open breaker must not stop the poll that would
    /// find the upstream back.
    public func send(
        upstream: String, method: HTTPMethod, url: String, headers: HTTPHeaders = [:], body: ByteBuffer? = nil,
        idempotent: Bool? = nil, deadline: Duration = .seconds(5), requestID: String? = nil, maxBody: Int = 4 << 20,
        background: Bool = false, logger: Logger
    ) async throws -> Response {
        let safe = idempotent ?? (method == .GET || method == .HEAD || headers.contains(name: "Idempotency-Key"))
        let attempts = safe && !background ? maxRetries + 1 : 1
        let start = ContinuousClock.now
        var lastError: any Error = ProblemError.unavailable("\(upstream) is unavailable.")
        for attempt in 1...attempts {
            let remaining = deadline - (ContinuousClock.now - start)
            guard remaining > .milliseconds(50) else { break }
            let (allowed, retryAfter) = background ? (true, 0) : breakers.acquire(upstream)
            guard allowed else {
                throw ProblemError.unavailable("\(upstream) is temporarily unavailable.", code: "upstream_unavailable", retryAfter: retryAfter)
            }
            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers = headers
            let trace = RequestTrace.current
            if let requestID = requestID ?? trace?.requestID { request.headers.replaceOrAdd(name: "X-Request-ID", value: requestID) }
            if let trace { request.headers.replaceOrAdd(name: "traceparent", value: trace.traceparent) }
            if let body { request.body = .bytes(body) }
            do {
                let response = try await http.execute(request, timeout: .nanoseconds(Int64(remaining.seconds * 1e9)), logger: logger)
                let bytes = try await response.body.collect(upTo: maxBody)
                let retryable = [502, 503, 504].contains(Int(response.status.code))
                if !background { breakers.record(upstream, success: !retryable) }
                if retryable, attempt < attempts {
                    try await Task.sleep(for: .milliseconds(50 * attempt))
                    continue
                }
                return Response(status: response.status, headers: response.headers, body: bytes)
            } catch {
                if !background { breakers.record(upstream, success: false) }
                lastError = error
                logger.debug("upstream call failed", metadata: ["upstream": .string(upstream), "attempt": "\(attempt)", "error": .string(String(describing: error))])
                if attempt < attempts { try await Task.sleep(for: .milliseconds(50 * attempt)) }
            }
        }
        if lastError is ProblemError { throw lastError }
        throw ProblemError.unavailable("\(upstream) did not answer in time.", code: "upstream_unavailable")
    }
}
