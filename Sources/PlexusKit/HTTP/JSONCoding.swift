import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension Request {
    /// Decodes a JSON body strictly: 415 for a non-JSON content type, 413 when too large, 400 for
    /// malformed JSON, unknown fields or wrong types, 422 for failed validation.
    public func decodeBody<Body: PlexusContract.RequestBody>(_ type: Body.Type, context: PlexusContext) async throws -> Body {
        guard JSONBodyDecoder.acceptsContentType(headers[.contentType]) else {
            throw ProblemError(.unsupportedMediaType, code: "unsupported_media_type", detail: "Send the body as application/json (UTF-8).")
        }
        var request = self
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        return try JSONBodyDecoder.decode(type, from: Data(buffer: buffer))
    }
}

/// Decoding rules for request bodies, separated from `Request` so they are testable without HTTP.
public enum JSONBodyDecoder {
    /// Decodes and validates `data` as `Body`, throwing problem errors for every client mistake.
    /// `application/json`, with no charset or UTF-8 (RFC 8259 allows nothing else).
    public static func acceptsContentType(_ value: String?) -> Bool {
        guard let value else { return false }
        let parts = value.lowercased().split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first == "application/json" else { return false }
        return parts.dropFirst().allSatisfy { !$0.hasPrefix("charset=") || ["charset=utf-8", "charset=\"utf-8\"", "charset=utf8"].contains($0) }
    }

    /// Whether the JSON text holds a number written with a fraction or an exponent. Every number a
    /// request carries is whole (amounts are minor units), and `19.999999999999999` must not
    /// silently become 20 on its way through a `Double`.
    static func hasNonIntegerNumber(_ data: Data) -> Bool {
        var inString = false
        var escaped = false
        var inNumber = false
        for byte in data {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true; inNumber = false
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): inNumber = true
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): if inNumber { return true }
            default: inNumber = false
            }
        }
        return false
    }

    public static func decode<Body: PlexusContract.RequestBody>(_ type: Body.Type, from data: Data) throws -> Body {
        guard !data.isEmpty else { throw ProblemError.badRequest("empty_body", "A JSON body is required.") }
        guard String(data: data, encoding: .utf8) != nil else {
            throw ProblemError(.unsupportedMediaType, code: "unsupported_media_type", detail: "The body is not UTF-8.")
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw ProblemError.badRequest("malformed_json", "The body is not valid JSON.")
        }
        guard let dictionary = object as? [String: Any] else {
            throw ProblemError.badRequest("malformed_json", "The body must be a JSON object.")
        }
        if hasNonIntegerNumber(data) {
            throw ProblemError(.badRequest, code: "invalid_body", detail: "Numbers must be whole (amounts are in minor units).",
                               errors: [FieldError(field: fractionPath(in: dictionary) ?? "", code: "not_whole_number", message: "Use a whole number without a fraction or exponent.")])
        }
        if mayHoldNul(data), let path = nulPath(in: dictionary) {
            throw ProblemError(.badRequest, code: "invalid_body", detail: "Text cannot contain NUL characters.",
                               errors: [FieldError(field: path, code: "invalid_character", message: "Remove the NUL character.")])
        }
        let unknown = Set(dictionary.keys).subtracting(Body.allowedKeys).sorted() + nestedUnknown(in: dictionary, allowed: Body.nestedKeys)
        if !unknown.isEmpty {
            throw ProblemError(.badRequest, code: "unknown_field", detail: "Unknown fields are not accepted.",
                               errors: unknown.map { FieldError(field: $0, code: "unknown_field", message: "This field is not accepted.") })
        }
        let body: Body
        // (Fractions were refused above, from the text itself.)
        do { body = try JSON.decoder.decode(Body.self, from: data) } catch let error as DecodingError {
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
            let array = value as? [Any]
            let childPattern = array == nil ? keyPattern : keyPattern + "[]"
            // nothing at or below this key has its keys listed: no path to build, nothing to walk
            guard allowed.keys.contains(where: { $0.hasPrefix(childPattern) }) else { continue }
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            let children: [(String, Any)] = array.map { $0.enumerated().map { (keyPath + "[\($0.offset)]", $0.element) } } ?? [(keyPath, value)]
            for (childPath, child) in children {
                guard let object = child as? [String: Any] else { continue }
                if let keys = allowed[childPattern] {
                    unknown += Set(object.keys).subtracting(keys).sorted().map { "\(childPath).\($0)" }
                }
                unknown += nestedUnknown(in: object, allowed: allowed, pattern: childPattern, path: childPath)
            }
        }
        return unknown
    }

    /// Whether the JSON text can hold a NUL character: only as the escape `\u0000` (or a raw NUL,
    /// which JSON does not allow). Nearly every body has neither, and walking the parsed value for
    /// one was a tenth of a small service's CPU per write.
    static func mayHoldNul(_ data: Data) -> Bool {
        data.withUnsafeBytes { bytes in
            let zero = UInt8(ascii: "0")
            for index in bytes.indices {
                if bytes[index] == 0 { return true }
                if bytes[index] == UInt8(ascii: "u"), index + 4 < bytes.count, bytes[index + 1] == zero, bytes[index + 2] == zero,
                   bytes[index + 3] == zero, bytes[index + 4] == zero { return true }
            }
            return false
        }
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
    /// A JSON response with the shared encoding (``JSON/bytes(_:sortedKeys:)``).
    public static func json<Value: Encodable>(_ value: Value, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let bytes = try JSON.bytes(value)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
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
        Page<UUID>.cursor(after: id)
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
