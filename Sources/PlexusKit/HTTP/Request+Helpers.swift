import Foundation
import Hummingbird

extension PlexusContext {
    /// A UUID path parameter; a malformed one is a 404 (no such resource), never a 500.
    public func uuidParameter(_ name: String) throws -> UUID {
        guard let raw = parameters.get(name), let id = UUID(uuidString: raw) else { throw ProblemError.notFound() }
        return id
    }

    /// The signed-in user's id: 401 without a user token.
    public func requireUserID() throws -> UUID {
        guard let id = try requireUser().userID else { throw ProblemError.unauthorized() }
        return id
    }

    /// The client's address for per-client limits: the right-most hop (of `X-Forwarded-For` and the
    /// socket peer) that is not one of the `trusted` proxies; IPv6 per /64 (``ClientAddress``).
    public func clientAddress(_ request: Request, trusted: [IPNetwork]) -> String {
        ClientAddress.resolve(peer: peerAddress, forwardedFor: request.headers[.xForwardedFor], trusted: trusted)
    }
}

extension Request {
    /// The query string as a dictionary, refusing every parameter outside `allowed` (one 400
    /// `invalid_query` naming each).
    public func query(allowing allowed: Set<String>) throws -> [String: String] {
        let query = queryDictionary
        let unknown = QueryRules.unknownParameters(query, allowed: allowed)
        if !unknown.isEmpty { throw ProblemError.invalidQuery(unknown) }
        return query
    }

    /// Parses an `application/x-www-form-urlencoded` body (small HTML forms only).
    public func formFields(context: PlexusContext) async throws -> [String: String] {
        var request = self
        let buffer = try await request.collectBody(upTo: 64 * 1024)
        var fields: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if let key = parts.first { fields[key] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }
}

/// Rules shared by every query-string parser.
public enum QueryRules {
    /// A field error per parameter of `query` that is not in `allowed`, sorted by name.
    public static func unknownParameters(_ query: [String: String], allowed: Set<String>) -> [FieldError] {
        query.keys.filter { !allowed.contains($0) }.sorted()
            .map { FieldError(field: $0, code: "unknown_parameter", message: "Unknown query parameter.") }
    }
}

extension ProblemError {
    /// 400 `invalid_query` listing what is wrong with the query string.
    public static func invalidQuery(_ errors: [FieldError]) -> ProblemError {
        ProblemError(.badRequest, code: "invalid_query", detail: "The query string has problems.", errors: errors.sorted { $0.field < $1.field })
    }
}

/// Minimal HTML escaping for server-rendered pages.
public func htmlEscape(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.count)
    for character in text {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&#39;"
        default: result.append(character)
        }
    }
    return result
}

extension Request {
    /// The version in `If-Match` (`"3"`, `W/"3"` or `3`) of a resource carrying `version`; `nil`
    /// without one (the write applies).
    public func expectedVersion() throws -> Int? {
        guard let raw = headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty, raw != "*" else { return nil }
        var text = Substring(raw)
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        if text.hasPrefix("\"") && text.hasSuffix("\"") && text.count >= 2 { text = text.dropFirst().dropLast() }
        guard text.count <= 10, let version = Int(text), version >= 0 else {
            throw ProblemError.badRequest("invalid_if_match", "If-Match takes the version in quotes, such as \"3\".")
        }
        return version
    }

    /// A query parameter that names a case of `T` (a status filter), `nil` when absent; any other
    /// value is a 400 listing the allowed ones.
    public func enumQuery<T: RawRepresentable & CaseIterable>(_ type: T.Type, _ name: String, in query: [String: String]) throws -> T?
    where T.RawValue == String {
        guard let raw = query[name] else { return nil }
        guard let value = T(rawValue: raw) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw ProblemError(.badRequest, code: "invalid_query", detail: "\(name) must be one of \(allowed).",
                               errors: [FieldError(field: name, code: "invalid", message: "Use one of \(allowed).")])
        }
        return value
    }

    /// A `date-time` query parameter (RFC 3339), `nil` when absent; a malformed one is a 400.
    public func dateQuery(_ name: String, in query: [String: String]) throws -> Date? {
        guard let raw = query[name], !raw.isEmpty else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: raw) ?? fractional.date(from: raw) else {
            throw ProblemError(.badRequest, code: "invalid_query", detail: "\(name) must be an RFC 3339 date-time such as 2026-01-31T00:00:00Z.",
                               errors: [FieldError(field: name, code: "invalid_date", message: "Use an RFC 3339 date-time.")])
        }
        return date
    }
}

/// The small HTML pages services serve themselves (e-mail links, the hosted payment page).
public enum HTMLPage {
    /// A complete page with `title` and `body` (HTML; escape what it interpolates).
    public static func render(_ title: String, _ body: String, head: String = "") -> String {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(htmlEscape(title)) · Plexus</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">\(head)
        <style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}button{padding:.5rem 1rem}input{margin:.5rem 0;padding:.4rem}</style>
        </head><body><h1>\(htmlEscape(title))</h1>\(body)</body></html>
        """
    }
}
