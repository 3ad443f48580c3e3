import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import PlexusKit

/// Forwards the operations the services declare to their service: checks the bearer token first (a
/// bad token never reaches a service), enforces the body limit, streams both bodies, and fails fast
/// with a 503 problem when the upstream is down or its breaker is open. A declared path with
/// another method is a 405 with `Allow`; undeclared paths fall through to the router (404).
struct ProxyMiddleware: RouterMiddleware {
    let configuration: GatewayConfiguration
    let http: HTTPClient
    let breakers: CircuitBreakers
    let verifier: any AccessTokenVerifier

    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                                        "transfer-encoding", "upgrade", "host", "content-length"]

    func handle(_ request: Request, context: PlexusContext, next: (Request, PlexusContext) async throws -> Response) async throws -> Response {
        let route: GatewayRoute
        switch configuration.route(method: request.method.rawValue, path: request.uri.path) {
        case .none: return try await next(request, context)
        case .methodNotAllowed(let allow):
            var headers = HTTPFields()
            headers[.allow] = allow.joined(separator: ", ")
            throw ProblemError(.methodNotAllowed, code: "method_not_allowed", detail: "Use \(allow.joined(separator: " or ")) here.", headers: headers)
        case .route(let found): route = found
        }
        guard let base = configuration.common.serviceURLs[route.upstream] else { return try await next(request, context) }
        if request.headers[.authorization] != nil {
            guard let token = request.bearerToken else { throw ProblemError.unauthorized("Use 'Authorization: Bearer <token>'.", code: "invalid_token") }
            _ = try await verifier.verify(token)
        }
        let length = request.headers[.contentLength].flatMap(Int64.init)
        if let length, length > Int64(configuration.maxBodyBytes) { throw Self.tooLarge(configuration.maxBodyBytes) }

        // The client's part is done before the upstream's breaker is asked.
        let body = request.method == .get || request.method == .head ? nil : try await Self.collect(request, limit: configuration.maxBodyBytes)
        let upstream = route.upstream.rawValue
        let (allowed, retryAfter) = breakers.acquire(upstream)
        guard allowed else { throw ProblemError.unavailable("The \(upstream) service is temporarily unavailable.", code: "upstream_unavailable", retryAfter: retryAfter) }

        var outbound = HTTPClientRequest(url: base + (request.uri.path) + (request.uri.query.map { "?" + $0 } ?? ""))
        outbound.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headers where !Self.hopByHop.contains(field.name.canonicalName) { // canonical names are lower case
            outbound.headers.add(name: field.name.canonicalName, value: field.value)
        }
        outbound.headers.replaceOrAdd(name: "X-Request-ID", value: context.requestID)
        if let trace = RequestTrace.current { outbound.headers.replaceOrAdd(name: "traceparent", value: trace.traceparent) }
        let peer = context.peerAddress ?? "unknown"
        outbound.headers.replaceOrAdd(name: "X-Forwarded-For", value: request.headers[.xForwardedFor].map { "\($0), \(peer)" } ?? peer)
        if let body { outbound.body = .bytes(body) }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(outbound, timeout: .seconds(configuration.upstreamTimeout.components.seconds), logger: context.logger)
        } catch {
            breakers.record(upstream, success: false)
            context.logger.warning("upstream failed", metadata: ["upstream": .string(upstream), "error": .string(String(describing: error))])
            throw ProblemError.unavailable("The \(upstream) service did not answer.", code: "upstream_unavailable", retryAfter: 5)
        }
        breakers.record(upstream, success: ![502, 503, 504].contains(Int(response.status.code)))
        var headers = HTTPFields()
        for (name, value) in response.headers {
            if let fieldName = HTTPField.Name(name), !Self.hopByHop.contains(fieldName.canonicalName) { headers.append(HTTPField(name: fieldName, value: value)) }
        }
        let contentLength = response.headers.first(name: "content-length").flatMap(Int.init)
        return Response(status: .init(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase), headers: headers,
                        body: ResponseBody(contentLength: contentLength) { writer in
                            for try await chunk in response.body { try await writer.write(chunk) }
                            try await writer.finish(nil)
                        })
    }

    /// The whole request body, read before the upstream is called. Forwarding a stream instead let
    /// the HTTP client keep reading the body after an early upstream answer, while the server read
    /// the same connection for the next request: a client could crash the gateway that way. Reading
    /// first also keeps a slow, oversized or abandoned upload the client's failure, never the
    /// upstream's (its breaker is not touched).
    static func collect(_ request: Request, limit: Int) async throws -> ByteBuffer {
        var request = request
        do {
            return try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge(limit)
        } catch {
            throw ProblemError(.badRequest, code: "incomplete_body", detail: "The request body could not be read completely.")
        }
    }

    static func tooLarge(_ limit: Int) -> ProblemError {
        ProblemError(.contentTooLarge, code: "payload_too_large", detail: "The request body exceeds \(limit) bytes.")
    }
}
