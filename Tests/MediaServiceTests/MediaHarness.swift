import AsyncHTTPClient
import Foundation
import MediaAPI
@testable import MediaService
import NIOCore
import NIOHTTP1
import PlexusKit
import PlexusKitTesting
import PostgresNIO
import Testing

/// The media service on a real socket over a fresh database and a store of its own (a temporary
/// directory, or a bucket on a real S3-compatible server), with its job worker.
struct MediaHarness: Sendable {
    let client: DatabaseClient
    let worker: JobWorker
    let issuer: TestIssuer
    let base: String
    let directory: URL?

    struct Reply: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer

        func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSON.decoder.decode(type, from: Data(buffer: body)) }
        var code: String? { (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])?["code"] as? String }
    }

    static func with<T: Sendable>(store: MediaStoreSettings? = nil, dailyFiles: Int = 200, maxBytes: Int = 10 << 20, concurrentUploads: Int = 8,
                                  _ body: @Sendable (MediaHarness) async throws -> T) async throws -> T {
        let url = try await TestPostgres.shared.makeDatabase(try MediaService.migrations.filter { $0.component != "kit" })
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-media-test-\(RandomToken.hex(bytes: 4))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let settings = store ?? .local(directory: directory)
        let issuer = try TestIssuer()
        let database = Database(url: url, maxConnections: 20, logger: testLogger())
        return try await database.client.withRunning { client in
            let configuration = MediaConfiguration(common: .test(.media, database: url), store: settings, maxBytes: maxBytes, dailyFiles: dailyFiles,
                                                   concurrentUploads: concurrentUploads)
            let assembled = try await TestServices.assemble(MediaService.self, configuration: configuration, database: database, verifier: issuer.verifier)
            let worker = TestServices.worker(MediaService.self, assembled)
            return try await withLiveServer(assembled.parts.router.router, server: assembled.parts.server) { port in
                try await body(MediaHarness(client: client, worker: worker, issuer: issuer, base: "http://127.0.0.1:\(port)",
                                            directory: store == nil ? directory : nil))
            }
        }
    }

    /// A `multipart/form-data` body with the file in the part `field`.
    static func multipart(_ bytes: [UInt8], filename: String = "photo.jpg", declared: String = "image/jpeg", field: String = "file",
                          boundary: String = "plexus-boundary-7MA4YWxk") -> ByteBuffer {
        var body = ByteBuffer()
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\nA caption\r\n")
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(filename)\"\r\nContent-Type: \(declared)\r\n\r\n")
        body.writeBytes(bytes)
        body.writeString("\r\n--\(boundary)--\r\n")
        return body
    }

    func upload(_ bytes: [UInt8], token: String?, filename: String = "photo.jpg", declared: String = "image/jpeg", field: String = "file",
                chunked: Bool = false) async throws -> Reply {
        var request = HTTPClientRequest(url: base + "/api/v1/media")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=plexus-boundary-7MA4YWxk")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let body = Self.multipart(bytes, filename: filename, declared: declared, field: field)
        if chunked {
            // no length: the body streams in 64 KiB pieces (chunked transfer encoding)
            let pieces = stride(from: 0, to: body.readableBytes, by: 65_536).map { body.getSlice(at: $0, length: min(65_536, body.readableBytes - $0))! }
            let stream = AsyncStream<ByteBuffer> { continuation in
                for piece in pieces { continuation.yield(piece) }
                continuation.finish()
            }
            request.body = .stream(stream, length: .unknown)
        } else {
            request.body = .bytes(body)
        }
        return try await send(request)
    }

    /// A POST of `body` as it is, under a multipart content type.
    func uploadRaw(_ body: ByteBuffer, token: String) async throws -> Reply {
        var request = HTTPClientRequest(url: base + "/api/v1/media")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=plexus-boundary-7MA4YWxk")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.body = .bytes(body)
        return try await send(request)
    }

    /// An upload whose client gives up half-way through the body (the connection is closed).
    func abandonedUpload(_ bytes: [UInt8], token: String) async {
        var request = HTTPClientRequest(url: base + "/api/v1/media")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=plexus-boundary-7MA4YWxk")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let body = Self.multipart(bytes)
        struct HungUp: Error {}
        let stream = AsyncThrowingStream<ByteBuffer, any Error> { continuation in
            continuation.yield(body.getSlice(at: 0, length: body.readableBytes / 2)!)
            continuation.finish(throwing: HungUp())
        }
        request.body = .stream(stream, length: .known(Int64(body.readableBytes)))
        _ = try? await HTTPClient.plexus.execute(request, timeout: .seconds(10))
    }

    /// An upload that sends half its body and then waits until `released()`, holding its place in
    /// the service meanwhile. Refused because a place was taken when it arrived, it tries again.
    func heldUpload(_ bytes: [UInt8], token: String, released: @escaping @Sendable () -> Bool) async {
        let body = Self.multipart(bytes)
        let half = body.readableBytes / 2
        for _ in 0..<500 {
            var request = HTTPClientRequest(url: base + "/api/v1/media")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=plexus-boundary-7MA4YWxk")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let stream = AsyncStream<ByteBuffer> { continuation in
                continuation.yield(body.getSlice(at: 0, length: half)!)
                Task {
                    while !released() { try? await Task.sleep(for: .milliseconds(20)) }
                    continuation.yield(body.getSlice(at: half, length: body.readableBytes - half)!)
                    continuation.finish()
                }
            }
            request.body = .stream(stream, length: .known(Int64(body.readableBytes)))
            // a deadline far beyond the test's: the place must stay taken until released, however slow the machine
            let response = try? await HTTPClient.plexus.execute(request, timeout: .seconds(600))
            if response?.status != .serviceUnavailable { return }
        }
    }

    func get(_ path: String, headers: [(String, String)] = [], token: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: path.hasPrefix("http") ? path.replacingOccurrences(of: "http://localhost:8080", with: base) : base + path)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return try await send(request)
    }

    func delete(_ path: String, token: String) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = .DELETE
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        return try await send(request)
    }

    func attach(_ id: UUID, owner: UUID, admin: Bool = false) async throws -> Reply {
        var request = HTTPClientRequest(url: base + "/internal/media/\(id.uuidString.lowercased())/attachments")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(try TestServiceKeys.token(from: .catalog, to: .media))")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSON.encoder.encode(AttachMediaRequest(ownerId: owner, admin: admin))))
        return try await send(request)
    }

    func send(_ request: HTTPClientRequest) async throws -> Reply {
        let response = try await HTTPClient.plexus.execute(request, timeout: .seconds(30))
        return Reply(status: Int(response.status.code), headers: response.headers, body: try await response.body.collect(upTo: 32 << 20))
    }

    /// Files in the local store.
    var storedFiles: [String] {
        guard let directory else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    func count(_ sql: String) async throws -> Int {
        var total = 0
        for try await value in try await client.query(PostgresQuery(unsafeSQL: sql), logger: testLogger()).decode(Int.self) { total = value }
        return total
    }

    /// Runs queued jobs until none is left (retries made due at once).
    /// Runs the jobs (retries at once) until none is pending or running: stopping at the first pass
    /// that claimed nothing could end while a retry was still being scheduled.
    func drainJobs() async throws {
        for _ in 0..<100 {
            guard try await count("SELECT count(*)::int FROM jobs WHERE status IN ('pending', 'running')") > 0 else { return }
            try await client.query("UPDATE jobs SET run_at = now() WHERE status = 'pending'", logger: testLogger())
            if try await worker.runOnce() == 0 { try await Task.sleep(for: .milliseconds(50)) }
        }
    }
}
