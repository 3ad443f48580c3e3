import Foundation

/// One field-level validation failure inside a problem document.
public struct FieldError: Codable, Sendable, Equatable {
    /// The JSON field path, e.g. `email` or `variants[0].price`.
    public var field: String
    /// A stable snake-case code, e.g. `too_short`.
    public var code: String
    /// A human readable message.
    public var message: String

    /// Creates a field error.
    public init(field: String, code: String, message: String) {
        self.field = field
        self.code = code
        self.message = message
    }
}

/// An RFC 9457 `application/problem+json` document.
public struct Problem: Codable, Sendable {
    /// A URI reference identifying the problem type.
    public var type: String
    /// A short summary of the problem type.
    public var title: String
    /// The HTTP status code.
    public var status: Int
    /// A human readable explanation of this occurrence.
    public var detail: String?
    /// A stable snake-case code clients can branch on.
    public var code: String
    /// The request id, to correlate with logs.
    public var requestId: String
    /// Field validation failures, when any.
    public var errors: [FieldError]?

    /// Creates a problem document.
    public init(type: String, title: String, status: Int, detail: String?, code: String, requestId: String, errors: [FieldError]?) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.code = code
        self.requestId = requestId
        self.errors = errors
    }
}
