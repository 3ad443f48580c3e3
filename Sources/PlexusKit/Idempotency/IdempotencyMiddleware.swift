import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO

/// Makes unsafe requests safe to retry with an `Idempotency-Key` header.
///
/// The first request with a key (per caller) is run and its response stored together with a
/// fingerprint of the request. A replay with the same body gets the stored response again
/// (`Idempotent-Replayed: true`); the same key with a different body is a 422; the same key while the
/// first request still runs is a 409. 5xx responses are not stored, so the client may retry them.
public struct IdempotencyMiddleware: RouterMiddleware {
    let client: DatabaseClient
    let requiredFor: @Sendable (Request) -> Bool
    let excluded: @Sendable (Request) -> Bool

    /// Creates the middleware. `requiredFor` says which requests must carry a key (400 otherwise);
    /// `excluded` which never take part (responses holding credentials must not be stored).
    public init(client: DatabaseClient, requiredFor: @escaping @Sendable (Request) -> Bool = { _ in false },
                excluded: @escaping @Sendable (Request) -> Bool = { _ in false }) {
        self.client = client
        self.requiredFor = requiredFor
        self.excluded = excluded
    }

    static let replayed = HTTPField.Name("Idempotent-Replayed")!

    /// Handles one request.
    public func handle(_ request: Request, context: PlexusContext, next: (Request, PlexusContext) async throws -> Response) async throws -> Response {
        guard request.method == .post, !request.uri.path.hasPrefix("/internal/"), !excluded(request) else { return try await next(request, context) }
        guard let key = request.headers[.idempotencyKey] else {
            if requiredFor(request) {
                throw ProblemError.badRequest("idempotency_key_required", "This request requires an Idempotency-Key header.")
            }
            return try await next(request, context)
        }
        guard (1...255).contains(key.utf8.count) else {
            throw ProblemError.badRequest("invalid_idempotency_key", "Idempotency-Key must be 1 to 255 characters.")
        }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        let scope = context.principal.map { "\($0.kind == .user ? "user" : "service"):\($0.subject)" } ?? "anonymous"
        let fingerprint = Self.fingerprint(method: request.method.rawValue, path: request.uri.path, body: body)

        if let existing = try await claim(scope: scope, key: key, fingerprint: fingerprint, logger: context.logger) {
            return try existing.replay(fingerprint: fingerprint)
        }
        let response: Response
        do { response = try await next(request, context) } catch {
            let problem = ProblemMiddleware.problem(for: error)
            // A refusal is the answer to this request and is replayed; a server fault or a request
            // cancelled mid-way (the client hung up) releases the key so a retry can run. The
            // release runs in its own task: the cancelled request's task cannot run queries.
            let logger = context.logger
            if problem.status.code >= 500 || error is CancellationError || Task.isCancelled {
                await Task { try? await self.release(scope: scope, key: key, logger: logger) }.value
            } else {
                try await finish(scope: scope, key: key, response: ProblemMiddleware.render(problem, requestID: context.requestID), logger: logger)
            }
            throw error
        }
        return try await finish(scope: scope, key: key, response: response, logger: context.logger)
    }

    /// The request's fingerprint: method, path and body. A JSON body is taken with its keys sorted,
    /// so the same object encoded with its keys in another order (JSON encoders do not promise one)
    /// is the same request.
    static func fingerprint(method: String, path: String, body: ByteBuffer) -> String {
        var hasher = SHA256()
        hasher.update(data: Data("\(method) \(path)\n".utf8))
        let bytes = Data(buffer: body)
        if let object = try? JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed]),
           let canonical = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed]) {
            hasher.update(data: canonical)
        } else {
            hasher.update(data: bytes)
        }
        return RandomToken.hex(hasher.finalize())
    }

    struct Stored {
        var fingerprint: String
        var status: String
        var responseStatus: Int?
        var headers: String?
        var body: ByteBuffer?

        func replay(fingerprint: String) throws -> Response {
            guard self.fingerprint == fingerprint else {
                throw ProblemError(.unprocessableContent, code: "idempotency_key_reused", detail: "This Idempotency-Key was used with a different request.")
            }
            guard status == "done", let responseStatus else {
                throw ProblemError.conflict("idempotency_request_in_progress", "A request with this Idempotency-Key is still being processed.")
            }
            var fields = HTTPFields()
            let pairs = (try? JSON.decoder.decode([[String]].self, from: Data((headers ?? "[]").utf8))) ?? []
            for pair in pairs where pair.count == 2 {
                if let name = HTTPField.Name(pair[0]) { fields.append(HTTPField(name: name, value: pair[1])) }
            }
            fields[IdempotencyMiddleware.replayed] = "true"
            return Response(status: .init(code: responseStatus), headers: fields, body: .init(byteBuffer: body ?? ByteBuffer()))
        }
    }

    /// Forgets a running record, so the key can be used again.
    func release(scope: String, key: String, logger: Logger) async throws {
        try await client.query("DELETE FROM idempotency_keys WHERE scope = \(scope) AND key = \(key) AND status = 'running'", logger: logger)
    }

    /// Inserts a running record; returns the existing record when the key was already taken.
    func claim(scope: String, key: String, fingerprint: String, logger: Logger) async throws -> Stored? {
        let inserted = try await client.query("""
            INSERT INTO idempotency_keys (scope, key, fingerprint, status) VALUES (\(scope), \(key), \(fingerprint), 'running')
            ON CONFLICT (scope, key) DO NOTHING RETURNING key
            """, logger: logger)
        for try await _ in inserted { return nil }
        let rows = try await client.query("""
            SELECT fingerprint, status, response_status, response_headers::text, response_body
            FROM idempotency_keys WHERE scope = \(scope) AND key = \(key)
            """, logger: logger)
        for try await (fingerprint, status, responseStatus, headers, body) in rows.decode((String, String, Int?, String?, ByteBuffer?).self) {
            return Stored(fingerprint: fingerprint, status: status, responseStatus: responseStatus, headers: headers, body: body)
        }
        // Deleted between the two statements (a 5xx released it): treat as in progress.
        return Stored(fingerprint: fingerprint, status: "running")
    }

    /// Stores a final (non-5xx) response, or releases the key after a 5xx.
    @discardableResult
    func finish(scope: String, key: String, response: Response, logger: Logger) async throws -> Response {
        guard response.status.code < 500 else {
            try await client.query("DELETE FROM idempotency_keys WHERE scope = \(scope) AND key = \(key)", logger: logger)
            return response
        }
        let collector = BodyCollector()
        var response = response
        try await response.body.write(collector)
        let body = collector.buffer
        let headers = response.headers.filter { $0.name != .requestID && $0.name != .date }.map { [$0.name.canonicalName, $0.value] }
        let headersJSON = String(decoding: try JSON.encoder.encode(headers), as: UTF8.self)
        try await client.query("""
            UPDATE idempotency_keys SET status = 'done', response_status = \(response.status.code),
                   response_headers = \(headersJSON)::jsonb, response_body = \(body)
            WHERE scope = \(scope) AND key = \(key)
            """, logger: logger)
        response.body = .init(byteBuffer: body)
        return response
    }
}

/// Collects a response body into one buffer.
final class BodyCollector: ResponseBodyWriter, Sendable {
    private let storage = NIOLockedValueBox(ByteBuffer())

    var buffer: ByteBuffer { storage.withLockedValue { $0 } }

    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        storage.withLockedValue { $0.writeBuffer(&buffer) }
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
