import Foundation
import HTTPTypes

/// An error that renders as a problem document with a chosen status and stable code.
///
/// Services map their own error enums to this type once (see ``ProblemConvertible``); the
/// ``ProblemMiddleware`` renders it.
public struct ProblemError: Error, Sendable, Equatable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// The stable code.
    public var code: String
    /// The human readable detail.
    public var detail: String?
    /// Field validation errors.
    public var errors: [FieldError]?
    /// Extra response headers (e.g. `Retry-After`).
    public var headers: HTTPFields

    /// Creates a problem error.
    public init(_ status: HTTPResponse.Status, code: String, detail: String? = nil, errors: [FieldError]? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = headers
    }

    /// 400 with a code and detail.
    public static func badRequest(_ code: String = "bad_request", _ detail: String) -> ProblemError {
        ProblemError(.badRequest, code: code, detail: detail)
    }

    /// 422 listing field errors.
    public static func validation(_ errors: [FieldError]) -> ProblemError {
        ProblemError(.unprocessableContent, code: "validation_failed", detail: "The request did not pass validation.", errors: errors)
    }

    /// 401: no or bad credentials.
    public static func unauthorized(_ detail: String = "Authentication is required.", code: String = "unauthorized") -> ProblemError {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = "Bearer"
        return ProblemError(.unauthorized, code: code, detail: detail, headers: headers)
    }

    /// 403: authenticated, but not allowed.
    public static func forbidden(_ detail: String = "You are not allowed to do this.", code: String = "forbidden") -> ProblemError {
        ProblemError(.forbidden, code: code, detail: detail)
    }

    /// 404: not found (or not yours).
    public static func notFound(_ detail: String = "The resource was not found.", code: String = "not_found") -> ProblemError {
        ProblemError(.notFound, code: code, detail: detail)
    }

    /// 409: conflicts with the current state.
    public static func conflict(_ code: String, _ detail: String) -> ProblemError {
        ProblemError(.conflict, code: code, detail: detail)
    }

    /// 503: a dependency is unavailable.
    public static func unavailable(_ detail: String, code: String = "service_unavailable", retryAfter: Int? = nil) -> ProblemError {
        var headers = HTTPFields()
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return ProblemError(.serviceUnavailable, code: code, detail: detail, headers: headers)
    }

    /// 429 with `Retry-After`.
    public static func tooManyRequests(retryAfter: Int, detail: String = "Too many requests; try again later.") -> ProblemError {
        var headers = HTTPFields()
        headers[.retryAfter] = String(max(1, retryAfter))
        return ProblemError(.tooManyRequests, code: "rate_limited", detail: detail, headers: headers)
    }
}

/// A service error that knows its problem representation.
public protocol ProblemConvertible: Error {
    /// The problem to render for this error.
    var problem: ProblemError { get }
}

extension ProblemError: ProblemConvertible {
    /// Itself.
    public var problem: ProblemError { self }
}
