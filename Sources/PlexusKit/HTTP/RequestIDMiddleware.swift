import HTTPTypes
import Hummingbird
import Logging

extension HTTPField.Name {
    /// `X-Request-ID`, propagated across every hop.
    public static let requestID = Self("X-Request-ID")!
    /// `Idempotency-Key`.
    public static let idempotencyKey = Self("Idempotency-Key")!
    /// `X-Forwarded-For`.
    public static let xForwardedFor = Self("X-Forwarded-For")!
    /// W3C `traceparent`.
    public static let traceparent = Self("traceparent")!
}

/// Assigns every request an id (the caller's `X-Request-ID` when it is well formed), echoes it on the
/// response, and makes it (with a W3C `traceparent` that continues the caller's) the current
/// ``RequestTrace`` for everything the request does; log lines written meanwhile carry it as
/// `requestId` and `traceId` (``RequestTrace/metadataProvider``).
public struct RequestIDMiddleware: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    /// Handles one request.
    public func handle(_ request: Request, context: PlexusContext, next: (Request, PlexusContext) async throws -> Response) async throws -> Response {
        var context = context
        let id = Self.accept(request.headers[.requestID]) ?? RequestTrace.newRequestID()
        context.requestID = id
        let trace = RequestTrace(requestID: id, continuing: request.headers[.traceparent])
        return try await RequestTrace.with(trace) {
            let start = ContinuousClock.now
            var response = try await next(request, context)
            response.headers[.requestID] = id
            // The access log is at debug: at thousands of requests per second a line each would cost
            // more than the request. `PLEXUS_LOG_LEVEL=debug` turns it on.
            context.logger.debug("request", metadata: [
                "method": .string(request.method.rawValue), "path": .string(request.uri.path),
                "status": .stringConvertible(response.status.code), "ms": .stringConvertible((ContinuousClock.now - start).milliseconds),
            ])
            return response
        }
    }

    /// Accepts a caller-supplied id only if it is short and made of safe characters, so it cannot
    /// inject into logs or headers.
    public static func accept(_ value: String?) -> String? {
        guard let value, (1...128).contains(value.utf8.count) else { return nil }
        let allowed = value.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F || byte == 0x2E || byte == 0x3A
        }
        return allowed ? value : nil
    }
}

/// Renders every error as `application/problem+json`. Unknown errors become a generic 500 carrying
/// only the request id; nothing internal leaks. 4xx are logged at debug, 5xx at error.
public struct ProblemMiddleware: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    /// Handles one request.
    public func handle(_ request: Request, context: PlexusContext, next: (Request, PlexusContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = Self.problem(for: error)
            if problem.status.code >= 500 {
                context.logger.error("request failed", metadata: [
                    "method": .string(request.method.rawValue), "path": .string(request.uri.path),
                    "status": .stringConvertible(problem.status.code), "error": .string(String(reflecting: error)),
                ])
            } else {
                context.logger.debug("request refused", metadata: [
                    "method": .string(request.method.rawValue), "path": .string(request.uri.path),
                    "status": .stringConvertible(problem.status.code), "code": .string(problem.code),
                ])
            }
            return Self.render(problem, requestID: context.requestID)
        }
    }

    /// Maps any error to a problem: our own problems as they are, Hummingbird's HTTP errors by
    /// status, everything else to a 500.
    public static func problem(for error: any Error) -> ProblemError {
        // A refusal thrown inside a transaction arrives wrapped; the rollback itself is not the story.
        if let transaction = error as? PostgresTransactionError, let inner = transaction.closureError,
           transaction.rollbackError == nil {
            return problem(for: inner)
        }
        if let convertible = error as? any ProblemConvertible { return convertible.problem }
        if DatabaseOutage.matches(error) { return DatabaseOutage.problem }
        // Safety net for client values the database refuses that no validation rule caught: a data
        // exception (SQLSTATE class 22: out of range, malformed text) or an integrity violation
        // (class 23) is the client's value; a unique violation is a conflict with existing data.
        // None is a server fault.
        if let details = ConstraintViolation.details(of: error) {
            if details.state.hasPrefix("22") {
                return ProblemError(.badRequest, code: "invalid_value", detail: "A value is out of range or malformed.")
            }
            if details.state == "23505" {
                return ProblemError(.conflict, code: "conflict", detail: "This conflicts with existing data.")
            }
            // Any other integrity rule (a check, a reference, a missing value) the client's input broke.
            if details.state == "23503" {
                return ProblemError(.badRequest, code: "invalid_reference", detail: "A referenced resource does not exist.")
            }
            if details.state.hasPrefix("23") {
                return ProblemError(.badRequest, code: "invalid_value", detail: "A value does not satisfy the rules for this field.")
            }
        }
        if let http = error as? any HTTPResponseError {
            let status = http.status
            if status.code >= 500 { return ProblemError(.internalServerError, code: "internal_error", detail: "An unexpected error occurred.") }
            let detail = (error as? HTTPError)?.body
            return ProblemError(status, code: code(for: status), detail: detail ?? status.reasonPhrase)
        }
        return ProblemError(.internalServerError, code: "internal_error", detail: "An unexpected error occurred.")
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 409: "conflict"
        case 413: "payload_too_large"
        case 415: "unsupported_media_type"
        case 429: "rate_limited"
        default: status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
        }
    }

    /// The status's reason phrase; statuses made from a bare code (relayed from another service)
    /// carry none, so the standard one is looked up.
    static func title(of status: HTTPResponse.Status) -> String {
        guard status.reasonPhrase.isEmpty else { return status.reasonPhrase }
        let known: [HTTPResponse.Status] = [.badRequest, .unauthorized, .forbidden, .notFound, .methodNotAllowed, .conflict, .gone,
                                            .preconditionFailed, .contentTooLarge, .unsupportedMediaType, .unprocessableContent, .tooManyRequests,
                                            .internalServerError, .badGateway, .serviceUnavailable, .gatewayTimeout]
        if let match = known.first(where: { $0.code == status.code }) { return match.reasonPhrase }
        return status.code == 402 ? "Payment Required" : "Error"
    }

    /// Renders a problem document.
    public static func render(_ problem: ProblemError, requestID: String) -> Response {
        let (headers, body) = encoded(problem, requestID: requestID)
        return Response(status: problem.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// A problem's headers (its own and the content type) and its encoded document: what
    /// ``render(_:requestID:)`` answers, for a responder outside the router (the gateway's edge).
    public static func encoded(_ problem: ProblemError, requestID: String) -> (headers: HTTPFields, body: [UInt8]) {
        let document = Problem(
            type: "https://plexus.dev/problems/" + String(problem.code.map { $0 == "_" ? "-" : $0 }),
            title: title(of: problem.status), status: problem.status.code, detail: problem.detail,
            code: problem.code, requestId: requestID, errors: problem.errors
        )
        var headers = problem.headers
        headers[.contentType] = "application/problem+json"
        // every refusal is answered through here, so a client sending bad requests by the thousand
        // costs no more per request than one sending good ones: the streaming encoder, not JSONEncoder
        return (headers, (try? JSON.bytes(document)) ?? Array("{}".utf8))
    }
}

import Foundation
import NIOCore
import PostgresNIO
