import Foundation
import Logging

/// How a typed client reaches a service: one implementation in a service process (`ServiceConnection`
/// in PlexusKit: deadlines, retries, breakers, service tokens), another in any Swift program.
public protocol EndpointTransport: Sendable {
    /// Sends one request and collects the answer. `internal` asks for a service token for the callee.
    func send(_ method: HTTPVerb, path: String, query: String?, body: Data?, internal: Bool, deadline: Duration, logger: Logger) async throws -> (status: Int, body: Data)
}

/// A service answered an endpoint with a status other than the declared success.
public struct RemoteProblem: Error, Sendable, CustomStringConvertible {
    /// The operation called.
    public var endpoint: String
    /// The status it answered.
    public var status: Int
    /// The problem document, when it sent one.
    public var problem: Problem?

    /// Creates the error.
    public init(endpoint: String, status: Int, problem: Problem?) {
        self.endpoint = endpoint
        self.status = status
        self.problem = problem
    }

    /// A readable description.
    public var description: String { "\(endpoint) answered \(status)\(problem.map { " (\($0.code))" } ?? "")" }
}

extension EndpointTransport {
    /// Calls `endpoint` and decodes its success body. Any other status throws ``RemoteProblem``.
    public func call<Body: Encodable, Output>(
        _ endpoint: Endpoint<Body, Output>, path parameters: [String: String] = [:], query: [String: String] = [:], body: Body? = nil,
        deadline: Duration = .seconds(5), logger: Logger
    ) async throws -> Output {
        let data = try body.map { try JSON.encoder.encode($0) }
        let queryString = query.isEmpty ? nil : query.sorted { $0.key < $1.key }.map { key, value in
            "\(Self.encode(key))=\(Self.encode(value))"
        }.joined(separator: "&")
        let answer = try await send(endpoint.method, path: endpoint.path(parameters), query: queryString, body: data,
                                    internal: endpoint.access.isInternal, deadline: deadline, logger: logger)
        guard answer.status == endpoint.status else {
            throw RemoteProblem(endpoint: endpoint.id, status: answer.status, problem: try? JSON.decoder.decode(Problem.self, from: answer.body))
        }
        if Output.self == NoContent.self, let none = NoContent() as? Output { return none }
        return try JSON.decoder.decode(Output.self, from: answer.body)
    }

    /// The same as ``call(_:path:query:body:deadline:logger:)``, with `nil` for a 404 (no such resource).
    public func callIfFound<Body: Encodable, Output>(
        _ endpoint: Endpoint<Body, Output>, path parameters: [String: String] = [:], query: [String: String] = [:], body: Body? = nil,
        deadline: Duration = .seconds(5), logger: Logger
    ) async throws -> Output? {
        do {
            return try await call(endpoint, path: parameters, query: query, body: body, deadline: deadline, logger: logger)
        } catch let problem as RemoteProblem where problem.status == 404 {
            return nil
        }
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-", "_", ".", "~"])) ?? ""
    }
}
