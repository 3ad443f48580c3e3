import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Shared JSON coders: RFC 3339 dates, compact output (no pretty printing on hot paths).
public enum JSON {
    /// The encoder used for every response body and event payload.
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.string(from: date))
        }
        return encoder
    }()

    /// The encoder for bodies whose bytes must be the same every time (sorted keys): an `ETag`
    /// computed from them is then equal on every replica and for every re-encoding of equal data.
    public static let canonicalEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = JSON.encoder.dateEncodingStrategy
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// The decoder used for request bodies and upstream responses.
    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let raw = try container.decode(String.self)
            guard let date = RFC3339.date(from: raw) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an RFC 3339 timestamp")
            }
            return date
        }
        return decoder
    }()
}

/// RFC 3339 timestamps in UTC with millisecond precision.
public enum RFC3339 {
    /// Formats `date` as `2026-11-25T10:00:00.000Z` (hand-rolled: it runs for every timestamp of
    /// every response, and Foundation's format styles cost microseconds each).
    public static func string(from date: Date) -> String {
        let millisecondsTotal = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(millisecondsTotal >= 0 ? millisecondsTotal / 1000 : (millisecondsTotal - 999) / 1000)
        let milliseconds = Int(millisecondsTotal - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds), 3))Z"
    }

    /// Parses an RFC 3339 string with or without fractional seconds.
    public static func date(from string: String) -> Date? {
        if let date = try? Date(string, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)) {
            return date
        }
        return try? Date(string, strategy: .iso8601)
    }
}

/// A request body type whose accepted keys are known, so unknown fields can be refused (no mass
/// assignment).
public protocol RequestBody: Decodable, Sendable {
    /// The JSON keys this body accepts.
    static var allowedKeys: Set<String> { get }
    /// Field-level validation run after decoding; an empty list means valid.
    func validate() -> [FieldError]
    /// The accepted keys of nested objects, by path (`price`, `variants[]`, `variants[].price`).
    /// Objects at paths not listed (free-form maps such as `attributes`) are not checked.
    static var nestedKeys: [String: Set<String>] { get }
}

extension RequestBody {
    /// No extra validation by default.
    public func validate() -> [FieldError] { [] }
    /// No nested objects by default.
    public static var nestedKeys: [String: Set<String>] { [:] }
}

/// The keys of a ``Money`` object, for ``RequestBody/nestedKeys``.
public let moneyKeys: Set<String> = ["amount", "currency"]

extension RequestBody where Self: Decodable {
    /// Derives the allowed keys from a `CaseIterable` coding-key enum.
    public static func keys<K: CodingKey & CaseIterable>(_ type: K.Type) -> Set<String> {
        Set(K.allCases.map(\.stringValue))
    }
}

extension Request {
    /// Decodes a JSON body strictly: 415 for a non-JSON content type, 413 when too large, 400 for
    /// malformed JSON, unknown fields or wrong types, 422 for failed validation.
    public func decodeBody<Body: RequestBody>(_ type: Body.Type, context: PlexusContext) async throws -> Body {
        if let contentType = headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            throw ProblemError(.unsupportedMediaType, code: "unsupported_media_type", detail: "Send the body as application/json.")
        }
        var request = self
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        return try JSONBodyDecoder.decode(type, from: Data(buffer: buffer))
    }
}

/// Decoding rules for request bodies, separated from `Request` so they are testable without HTTP.
public enum JSONBodyDecoder {
    /// Decodes and validates `data` as `Body`, throwing problem errors for every client mistake.
    public static func decode<Body: RequestBody>(_ type: Body.Type, from data: Data) throws -> Body {
        guard !data.isEmpty else { throw ProblemError.badRequest("empty_body", "A JSON body is required.") }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw ProblemError.badRequest("malformed_json", "The body is not valid JSON.")
        }
        guard let dictionary = object as? [String: Any] else {
            throw ProblemError.badRequest("malformed_json", "The body must be a JSON object.")
        }
        if let path = nulPath(in: dictionary) {
            throw ProblemError(.badRequest, code: "invalid_body", detail: "Text cannot contain NUL characters.",
                               errors: [FieldError(field: path, code: "invalid_character", message: "Remove the NUL character.")])
        }
        let unknown = Set(dictionary.keys).subtracting(Body.allowedKeys).sorted() + nestedUnknown(in: dictionary, allowed: Body.nestedKeys)
        if !unknown.isEmpty {
            throw ProblemError(.badRequest, code: "unknown_field", detail: "Unknown fields are not accepted.",
                               errors: unknown.map { FieldError(field: $0, code: "unknown_field", message: "This field is not accepted.") })
        }
        let body: Body
        do { body = try JSON.decoder.decode(Body.self, from: data) } catch let error as DecodingError {
            // Foundation reports a fraction where a whole number belongs without a path; find it.
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, let path = fractionPath(in: dictionary) {
                throw ProblemError(.badRequest, code: "invalid_body", detail: "The body does not match the expected shape.",
                                   errors: [FieldError(field: path, code: "not_whole_number", message: "Use a whole number (amounts are in minor units).")])
            }
            throw problem(for: error)
        }
        let errors = body.validate()
        if !errors.isEmpty { throw ProblemError.validation(errors) }
        return body
    }

    /// Unknown keys inside nested objects whose keys are known, as full paths (`variants[0].reserved`).
    static func nestedUnknown(in dictionary: [String: Any], allowed: [String: Set<String>], pattern: String = "", path: String = "") -> [String] {
        guard !allowed.isEmpty else { return [] }
        var unknown: [String] = []
        for (key, value) in dictionary.sorted(by: { $0.key < $1.key }) {
            let keyPattern = pattern.isEmpty ? key : "\(pattern).\(key)"
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            var children: [(String, String, Any)] = []
            if let array = value as? [Any] {
                children = array.enumerated().map { (keyPattern + "[]", keyPath + "[\($0.offset)]", $0.element) }
            } else {
                children = [(keyPattern, keyPath, value)]
            }
            for (childPattern, childPath, child) in children {
                guard let object = child as? [String: Any], let keys = allowed[childPattern] else { continue }
                unknown += Set(object.keys).subtracting(keys).sorted().map { "\(childPath).\($0)" }
                unknown += nestedUnknown(in: object, allowed: allowed, pattern: childPattern, path: childPath)
            }
        }
        return unknown
    }

    /// The path of the first string (key or value) holding a NUL character, which PostgreSQL text refuses.
    static func nulPath(in value: Any, path: String = "") -> String? {
        if let dictionary = value as? [String: Any] {
            for (key, child) in dictionary {
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                if key.contains("\u{0}") { return childPath }
                if let found = nulPath(in: child, path: childPath) { return found }
            }
        } else if let array = value as? [Any] {
            for (index, element) in array.enumerated() {
                if let found = nulPath(in: element, path: "\(path)[\(index)]") { return found }
            }
        } else if let string = value as? String, string.contains("\u{0}") {
            return path
        }
        return nil
    }

    /// The path of the first number with a fractional part in a parsed JSON value.
    static func fractionPath(in value: Any, path: String = "") -> String? {
        if let dictionary = value as? [String: Any] {
            for key in dictionary.keys.sorted() {
                if let found = fractionPath(in: dictionary[key]!, path: path.isEmpty ? key : "\(path).\(key)") { return found }
            }
        } else if let array = value as? [Any] {
            for (index, element) in array.enumerated() {
                if let found = fractionPath(in: element, path: "\(path)[\(index)]") { return found }
            }
        } else if let number = value as? NSNumber, !(value is Bool), number.doubleValue.rounded() != number.doubleValue {
            return path
        }
        return nil
    }

    static func problem(for error: DecodingError) -> ProblemError {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: ["."])
        }
        let field: FieldError
        switch error {
        case .keyNotFound(let key, let context):
            field = FieldError(field: path(context.codingPath + [key]), code: "required", message: "This field is required.")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            field = FieldError(field: path(context.codingPath), code: "invalid_type", message: "This field has the wrong type.")
        case .dataCorrupted(let context):
            field = FieldError(field: path(context.codingPath), code: "invalid_value", message: context.debugDescription)
        @unknown default:
            field = FieldError(field: "", code: "invalid", message: "The body could not be read.")
        }
        return ProblemError(.badRequest, code: "invalid_body", detail: "The body does not match the expected shape.", errors: [field])
    }
}

extension Response {
    /// A JSON response with the shared encoder.
    public static func json<Value: Encodable>(_ value: Value, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let data = try JSON.encoder.encode(value)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// An empty response (204 by default).
    public static func empty(_ status: HTTPResponse.Status = .noContent) -> Response {
        Response(status: status)
    }

    /// An HTML page.
    public static func html(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// A page of results with an opaque cursor.
public struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    /// The items on this page.
    public var items: [Item]
    /// The cursor for the next page, or `nil` at the end.
    public var nextCursor: String?

    /// Creates a page.
    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey { case items, nextCursor }

    /// Encodes `nextCursor` as an explicit `null` at the end.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}

extension Page {
    /// A page from rows fetched with `LIMIT limit + 1`: the extra row only says that more exist, and
    /// the cursor points after the last row shown.
    public init<Row>(fetched rows: [Row], limit: Int, id: (Row) -> UUID, item: (Row) -> Item) {
        let shown = rows.prefix(limit)
        self.items = shown.map(item)
        self.nextCursor = rows.count > limit ? shown.last.map { PageRequest.cursor(after: id($0)) } : nil
    }
}

extension Page: Decodable where Item: Decodable {
    /// Decodes a page (clients and tests).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.items = try container.decode([Item].self, forKey: .items)
        self.nextCursor = try container.decodeIfPresent(String.self, forKey: .nextCursor)
    }
}

/// Parses `limit` (default 20, 1...100) and `cursor` from a query string.
public struct PageRequest: Sendable {
    /// Page size.
    public var limit: Int
    /// The id after which to continue, decoded from the opaque cursor.
    public var after: UUID?

    /// Reads and validates `limit` and `cursor`; bad values are 400 problems.
    public init(query: [String: String]) throws {
        if let raw = query["limit"] {
            guard let limit = Int(raw), (1...100).contains(limit) else {
                throw ProblemError(.badRequest, code: "invalid_query", detail: "limit must be an integer from 1 to 100.",
                                   errors: [FieldError(field: "limit", code: "out_of_range", message: "Use 1 to 100.")])
            }
            self.limit = limit
        } else {
            self.limit = 20
        }
        if let cursor = query["cursor"], !cursor.isEmpty {
            guard let data = Data(base64URLEncoded: cursor), let string = String(data: data, encoding: .utf8),
                  let id = UUID(uuidString: string)
            else {
                throw ProblemError(.badRequest, code: "invalid_cursor", detail: "The cursor is not valid.")
            }
            self.after = id
        } else {
            self.after = nil
        }
    }

    /// The opaque cursor for continuing after `id`.
    public static func cursor(after id: UUID) -> String {
        Data(id.uuidString.utf8).base64URLEncodedString()
    }
}

extension Request {
    /// The query string as a dictionary (last value wins). NUL characters, which PostgreSQL text
    /// cannot hold, are dropped.
    public var queryDictionary: [String: String] {
        var result: [String: String] = [:]
        for (key, value) in uri.queryParameters {
            result[String(key).replacingOccurrences(of: "\u{0}", with: "")] = String(value).replacingOccurrences(of: "\u{0}", with: "")
        }
        return result
    }
}
