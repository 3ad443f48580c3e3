import Foundation

/// Writes an OpenAPI 3.1 document from endpoint declarations: paths and operations, who may call
/// each (security and roles), parameters, request and response schemas derived from the Swift
/// types, and every problem an operation can answer with its codes.
public enum OpenAPIDocument {
    /// A group of endpoints under one tag (a service).
    public struct Section: Sendable {
        /// The tag (service name).
        public var tag: String
        /// What the service does.
        public var summary: String
        /// Its endpoints.
        public var endpoints: [EndpointDescription]

        /// Creates a section.
        public init(tag: String, summary: String, endpoints: [EndpointDescription]) {
            self.tag = tag
            self.summary = summary
            self.endpoints = endpoints
        }
    }

    /// The document for `sections`. `includeInternal` keeps `/internal/*` operations (a service's own
    /// document); the gateway's public document leaves them out.
    public static func build(title: String, summary: String, sections: [Section], includeInternal: Bool) -> JSONValue {
        let collector = SchemaCollector()
        let problem = collector.schema(for: Problem.self)
        var paths: [String: [String: JSONValue]] = [:]
        for section in sections {
            for endpoint in section.endpoints where includeInternal || !endpoint.access.isInternal {
                paths[endpoint.path, default: [:]][endpoint.method.rawValue.lowercased()] = operation(endpoint, tag: section.tag, collector: collector, problem: problem)
            }
        }
        var schemas: [String: JSONValue] = [:]
        for (name, schema) in collector.components { schemas[name] = json(schema) }
        return [
            "openapi": "3.1.0",
            "info": ["title": .string(title), "version": "1", "description": .string(summary)],
            "tags": .array(sections.map { ["name": .string($0.tag), "description": .string($0.summary)] }),
            "paths": .object(paths.mapValues { .object($0) }),
            "components": [
                "schemas": .object(schemas),
                "securitySchemes": [
                    "bearer": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                               "description": "An access token from `POST /api/v1/auth/login` (EdDSA, 15 minutes)."],
                    "serviceToken": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                     "description": "A service token: `sub` the calling service, `aud` this one, signed with the caller's Ed25519 key."],
                ],
            ],
        ]
    }

    static func operation(_ endpoint: EndpointDescription, tag: String, collector: SchemaCollector, problem: Schema) -> JSONValue {
        var operation: [String: JSONValue] = [
            "operationId": .string(endpoint.id), "summary": .string(endpoint.summary), "tags": [.string(tag)],
            "responses": .object(responses(endpoint, collector: collector, problem: problem)),
        ]
        var parameters: [JSONValue] = endpoint.pathParameterNames.map { name in
            ["name": .string(name), "in": "path", "required": true, "schema": json(endpoint.schema(ofPathParameter: name))]
        }
        parameters += endpoint.query.map { parameter in
            ["name": .string(parameter.name), "in": "query", "required": false, "description": .string(parameter.summary), "schema": json(parameter.schema)]
        }
        parameters += endpoint.headers.map { parameter in
            ["name": .string(parameter.name), "in": "header", "required": false, "description": .string(parameter.summary), "schema": json(parameter.schema)]
        }
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        if let body = endpoint.body {
            operation["requestBody"] = ["required": true, "content": [endpoint.bodyType.rawValue: ["schema": json(collector.schema(for: body))]]]
        }
        switch endpoint.access {
        case .anyone: break
        case .user: operation["security"] = [["bearer": []]]
        case .roles(let roles):
            operation["security"] = [["bearer": []]]
            operation["x-plexus-roles"] = .array(roles.map(\.rawValue).sorted().map { .string($0) })
            operation["description"] = .string("Requires the role \(roles.map(\.rawValue).sorted().joined(separator: " or ")).")
        case .services(let callers):
            operation["security"] = [["serviceToken": []]]
            operation["x-plexus-callers"] = .array(callers.map(\.rawValue).sorted().map { .string($0) })
            operation["description"] = .string("Internal: only \(callers.map(\.rawValue).sorted().joined(separator: ", ")) may call it.")
        }
        if endpoint.developmentOnly { operation["x-plexus-development-only"] = true }
        return .object(operation)
    }

    /// The success answer and every failure: the standard ones the endpoint's shape implies
    /// (malformed input, authentication, rate limits, an unavailable dependency) and its own.
    static func responses(_ endpoint: EndpointDescription, collector: SchemaCollector, problem: Schema) -> [String: JSONValue] {
        var responses: [String: JSONValue] = [:]
        if let output = endpoint.output {
            let schema: JSONValue = switch endpoint.outputType {
            case .json: json(collector.schema(for: output))
            case .image: ["type": "string", "format": "binary"]
            default: ["type": "string"]
            }
            responses[String(endpoint.status)] = ["description": "Success.", "content": [endpoint.outputType.rawValue: ["schema": schema]]]
        } else {
            responses[String(endpoint.status)] = ["description": "Done; no body."]
        }
        if endpoint.servesRanges, let success = responses[String(endpoint.status)] {
            if case .object(var partial) = success {
                partial["description"] = "The requested byte range (`Content-Range` says which)."
                responses["206"] = .object(partial)
            }
            responses["304"] = ["description": "Not modified: the copy whose `ETag` was sent is current."]
        }
        var failures: [Int: [String]] = [
            400: ["`bad_request`, `invalid_query`, `invalid_body`, `malformed_json`, `unknown_field`: the request is malformed."],
            401: ["`unauthorized`, `invalid_token`: no token, or a token that is not valid."],
            429: ["`rate_limited`: too many requests (see `Retry-After`)."],
            503: ["`upstream_unavailable`, `service_unavailable`: a dependency is down; try again shortly."],
        ]
        if endpoint.access != .anyone { failures[403, default: []].append("`forbidden`: the caller may not do this.") }
        if !endpoint.pathParameterNames.isEmpty { failures[404, default: []].append("`not_found`: no such resource (or not yours).") }
        if endpoint.body != nil {
            failures[413, default: []].append("`payload_too_large`: the body is too large.")
            failures[415, default: []].append("`unsupported_media_type`: send \(endpoint.bodyType.rawValue).")
            failures[422, default: []].append("`validation_failed`: a field is not acceptable (see `errors`).")
        }
        for problem in endpoint.problems { failures[problem.status, default: []].append("`\(problem.code)`: \(problem.summary)") }
        if endpoint.servesRanges { failures[416, default: []].append("`range_not_satisfiable`: the range starts beyond the file (`Content-Range: bytes */<size>`).") }
        // A page answers its own failures with a page; the kit's refusals are problem documents.
        var content: [String: JSONValue] = ["application/problem+json": ["schema": json(problem)]]
        if endpoint.outputType == .html { content[MediaType.html.rawValue] = ["schema": ["type": "string"]] }
        for (status, lines) in failures where responses[String(status)] == nil {
            responses[String(status)] = ["description": .string(lines.joined(separator: "\n\n")), "content": .object(content)]
        }
        return responses
    }

    /// A schema as JSON Schema 2020-12 (what OpenAPI 3.1 uses).
    public static func json(_ schema: Schema) -> JSONValue {
        switch schema {
        case .string(let format, let values):
            var object: [String: JSONValue] = ["type": "string"]
            if let format { object["format"] = .string(format) }
            if let values { object["enum"] = .array(values.map { .string($0) }) }
            return .object(object)
        case .integer: return ["type": "integer"]
        case .number: return ["type": "number"]
        case .boolean: return ["type": "boolean"]
        case .array(let items): return ["type": "array", "items": json(items)]
        case .object(let properties, let required, let additional):
            var object: [String: JSONValue] = ["type": "object"]
            if !properties.isEmpty { object["properties"] = .object(Dictionary(properties.map { ($0.name, json($0.schema)) }, uniquingKeysWith: { $1 })) }
            if !required.isEmpty { object["required"] = .array(required.map { .string($0) }) }
            if let additional { object["additionalProperties"] = json(additional) }
            return .object(object)
        case .nullable(let inner):
            return ["anyOf": [json(inner), ["type": "null"]]]
        case .reference(let name): return ["$ref": .string("#/components/schemas/\(name)")]
        case .any: return [:]
        }
    }
}
