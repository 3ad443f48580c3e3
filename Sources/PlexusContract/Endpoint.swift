import Foundation

/// An HTTP method of a declared endpoint.
public enum HTTPVerb: String, Sendable, Codable, CaseIterable {
    case GET, POST, PUT, PATCH, DELETE
}

/// Who may call an endpoint. The router enforces it before the handler runs; the document shows it.
public enum Access: Sendable, Equatable {
    /// No token needed (a token that is sent is still verified).
    case anyone
    /// A signed-in user (bearer access token).
    case user
    /// A signed-in user holding at least one of these roles.
    case roles(Set<Role>)
    /// Only these services, with a service token for the callee (`/internal/*`).
    case services(Set<ServiceName>)

    /// Whether the endpoint is internal (never routed by the gateway, never in the public document).
    public var isInternal: Bool {
        if case .services = self { return true }
        return false
    }
}

/// A documented failure of an endpoint beyond the standard ones its shape implies.
public struct ProblemCase: Sendable, Equatable {
    /// The status.
    public var status: Int
    /// The stable `code` of the problem document.
    public var code: String
    /// When it happens.
    public var summary: String

    /// Declares a failure.
    public init(_ status: Int, _ code: String, _ summary: String) {
        self.status = status
        self.code = code
        self.summary = summary
    }
}

/// A query parameter of an endpoint.
public struct QueryParameter: Sendable, Equatable {
    /// Its name.
    public var name: String
    /// Its schema (strings, integers, booleans, enumerations).
    public var schema: Schema
    /// What it does.
    public var summary: String

    /// Declares a parameter.
    public init(_ name: String, _ schema: Schema = .string(), _ summary: String) {
        self.name = name
        self.schema = schema
        self.summary = summary
    }

    /// `limit` (1–100, 20 by default).
    public static let limit = QueryParameter("limit", .integer, "Page size, 1 to 100 (20).")
    /// `cursor` (opaque).
    public static let cursor = QueryParameter("cursor", .string(), "The `nextCursor` of the previous page.")
}

/// The media type of a body.
public enum MediaType: String, Sendable {
    /// `application/json`.
    case json = "application/json"
    /// `application/x-www-form-urlencoded` (pages' forms).
    case form = "application/x-www-form-urlencoded"
    /// `text/html`.
    case html = "text/html"
    /// `text/plain` (Prometheus metrics).
    case text = "text/plain"
    /// `text/javascript` (the documentation page's script).
    case javascript = "text/javascript"
    /// `multipart/form-data` (file uploads).
    case multipart = "multipart/form-data"
    /// An image of whichever type it is (served uploads and thumbnails).
    case image = "image/*"
}

/// One HTTP operation, declared once in its service's `<Name>API` module: the router registers its
/// handler from it, typed clients call it, the gateway routes by it, and the OpenAPI document is
/// written from it. `Body` is what the handler decodes (``NoBody`` for none) and `Output` what it
/// encodes on success (``NoContent`` for an empty answer).
public struct Endpoint<Body: Decodable & Sendable, Output: Decodable & Sendable>: Sendable {
    /// The type-free description the router, gateway and document read.
    public let description: EndpointDescription

    /// Declares an endpoint: its OpenAPI `operationId` (unique in the system), method, path with
    /// `{name}` parameters, who may call it, one line for the documentation, the query parameters
    /// it reads, the success status, failures beyond the standard ones (bad input, auth, not
    /// found), media types, path parameter schemas (`id` and `…Id` are UUIDs unless named), whether
    /// the gateway applies its stricter (authentication) rate limit, and whether it exists only in
    /// development mode.
    public init(_ id: String, _ method: HTTPVerb, _ path: String, access: Access, summary: String, query: [QueryParameter] = [],
                status: Int = 200, problems: [ProblemCase] = [], bodyType: MediaType = .json, outputType: MediaType = .json,
                pathParameters: [String: Schema] = [:], strictLimit: Bool = false, developmentOnly: Bool = false, headers: [QueryParameter] = [],
                servesRanges: Bool = false) {
        description = EndpointDescription(
            id: id, method: method, path: path, access: access, summary: summary, query: query, headers: headers, status: status, problems: problems,
            bodyType: bodyType, outputType: outputType, pathParameters: pathParameters, strictLimit: strictLimit, developmentOnly: developmentOnly,
            servesRanges: servesRanges,
            body: Body.self == NoBody.self ? nil : Body.self, output: Output.self == NoContent.self ? nil : Output.self)
    }

    /// The operation id.
    public var id: String { description.id }
    /// The method.
    public var method: HTTPVerb { description.method }
    /// The path template.
    public var path: String { description.path }
    /// Who may call it.
    public var access: Access { description.access }
    /// The success status.
    public var status: Int { description.status }

    /// The path with `parameters` filled in (percent-encoded).
    public func path(_ parameters: [String: String]) -> String {
        Endpoint.fill(path, parameters)
    }
}

extension Endpoint {
    static func fill(_ template: String, _ parameters: [String: String]) -> String {
        var result = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            result += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            result += (parameters[name] ?? "").addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? ""
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}

/// An endpoint without its Swift types: what routing, the gateway table and documents need (the
/// fields of ``Endpoint/init(_:_:_:access:summary:query:status:problems:bodyType:outputType:pathParameters:strictLimit:developmentOnly:headers:)``).
public struct EndpointDescription: Sendable {
    /// The OpenAPI `operationId`.
    public var id: String
    /// The method.
    public var method: HTTPVerb
    /// The path template.
    public var path: String
    /// Who may call it.
    public var access: Access
    /// One line for the documentation.
    public var summary: String
    /// The query parameters it reads.
    public var query: [QueryParameter]
    /// The request headers it reads (beyond `Authorization`, `Content-Type` and `Idempotency-Key`).
    public var headers: [QueryParameter]
    /// The success status.
    public var status: Int
    /// Its own failures.
    public var problems: [ProblemCase]
    /// The request body's media type.
    public var bodyType: MediaType
    /// The success body's media type.
    public var outputType: MediaType
    /// Declared path parameter schemas.
    public var pathParameters: [String: Schema]
    /// Under the gateway's authentication rate limit.
    public var strictLimit: Bool
    /// Served only in development mode.
    public var developmentOnly: Bool
    /// Answers `Range` with 206 (416 when unsatisfiable) and `If-None-Match` with 304.
    public var servesRanges: Bool
    /// The request body type (nil: none).
    public var body: (any (Decodable & Sendable).Type)?
    /// The success body type (nil: empty).
    public var output: (any (Decodable & Sendable).Type)?

    /// The names of the path's `{parameters}`, in order.
    public var pathParameterNames: [String] {
        path.split(separator: "/").compactMap { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? String(segment.dropFirst().dropLast()) : nil
        }
    }

    /// The schema of path parameter `name`.
    public func schema(ofPathParameter name: String) -> Schema {
        if let declared = pathParameters[name] { return declared }
        return name == "id" || name.hasSuffix("Id") ? .string(format: "uuid") : .string()
    }
}

/// No request body.
public struct NoBody: Codable, Sendable, SchemaDescribing {
    public init() {}
    public static func describeSchema(in collector: SchemaCollector) -> Schema { .any }
}

/// An empty success answer (204).
public struct NoContent: Codable, Sendable, SchemaDescribing {
    public init() {}
    public static func describeSchema(in collector: SchemaCollector) -> Schema { .any }
}

/// An HTML page or a text body: documented by media type, not by schema.
public struct TextBody: Codable, Sendable, SchemaDescribing {
    /// The text.
    public var text: String
    public init(text: String) { self.text = text }
    public static func describeSchema(in collector: SchemaCollector) -> Schema { .string() }
}

/// Fields of a form post (`application/x-www-form-urlencoded`).
public struct FormFields: Codable, Sendable, SchemaDescribing {
    public init() {}
    public static func describeSchema(in collector: SchemaCollector) -> Schema {
        .object(properties: [], required: [], additional: .string())
    }
}

/// `{"status": "…"}`, the answer of actions that have nothing else to say.
public struct StatusMessage: Codable, Sendable, Equatable {
    /// `verified`, `accepted`.
    public var status: String
    /// Creates the message.
    public init(status: String) { self.status = status }
}
