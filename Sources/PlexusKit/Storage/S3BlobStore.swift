import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Where an S3-compatible store is and how to sign for it.
public struct S3Settings: Sendable, Equatable {
    /// `https://s3.eu-west-1.amazonaws.com`, or a compatible server's URL.
    public var endpoint: String
    public var region: String
    public var bucket: String
    public var accessKey: String
    public var secretKey: String
    /// `endpoint/bucket/key` (most compatible servers) instead of `bucket.endpoint/key` (AWS's default).
    public var pathStyle: Bool
    /// Objects larger than this go up in parts of this size (at least 5 MiB, S3's minimum part).
    public var partSize: Int

    public init(endpoint: String, region: String, bucket: String, accessKey: String, secretKey: String, pathStyle: Bool = true,
                partSize: Int = 8 << 20) {
        self.endpoint = endpoint
        self.region = region
        self.bucket = bucket
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.pathStyle = pathStyle
        self.partSize = max(5 << 20, partSize)
    }
}

/// A ``BlobStore`` on any S3-compatible object store over its REST API, each request signed with
/// ``SigV4Signer``: single `PUT`s, multipart uploads for large objects (aborted when a part fails),
/// ranged `GET`s and `DELETE`s. The bucket must exist.
public struct S3BlobStore: BlobStore {
    public let settings: S3Settings
    let http: HTTPClient
    let signer: SigV4Signer
    let scheme: String
    let host: String
    let port: Int?

    /// A store over `settings`; fails when the endpoint is not an http(s) URL.
    public init(settings: S3Settings, http: HTTPClient) throws {
        guard let url = URL(string: settings.endpoint), let scheme = url.scheme, ["http", "https"].contains(scheme), let host = url.host, !host.isEmpty
        else { throw BlobStoreError.failed(status: 0, detail: "endpoint \(settings.endpoint) is not an http(s) URL") }
        self.settings = settings
        self.http = http
        self.signer = SigV4Signer(accessKey: settings.accessKey, secretKey: settings.secretKey, region: settings.region, service: "s3")
        self.scheme = scheme
        self.host = host
        self.port = url.port
    }

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer
    }

    /// The `Host` header and the encoded path of `key` (or of the bucket when nil).
    func location(_ key: String?) -> (host: String, path: String) {
        let hostPort = host + (port.map { ":\($0)" } ?? "")
        let encodedKey = key.map { "/" + SigV4Signer.uriEncode($0, keepSlash: true) } ?? "/"
        if settings.pathStyle {
            return (hostPort, "/" + SigV4Signer.uriEncode(settings.bucket) + (key == nil ? "" : encodedKey))
        }
        return (settings.bucket + "." + hostPort, encodedKey)
    }

    func send(_ method: HTTPMethod, key: String?, query: [(String, String)] = [], headers extra: [(String, String)] = [],
              body: ByteBuffer? = nil, logger: Logger) async throws -> Reply {
        let (hostHeader, path) = location(key)
        let payloadHash = body.map { SigV4Signer.sha256Hex($0.readableBytesView) } ?? SigV4Signer.emptyPayloadHash
        var headers = extra
        headers.append(("Host", hostHeader))
        let queryString = query.map { "\(SigV4Signer.uriEncode($0.0))=\(SigV4Signer.uriEncode($0.1))" }.joined(separator: "&")
        var request = HTTPClientRequest(url: "\(scheme)://\(hostHeader)\(path)" + (queryString.isEmpty ? "" : "?" + queryString))
        request.method = method
        for (name, value) in headers + signer.sign(method: method.rawValue, path: path, query: query, headers: headers,
                                                   payloadHash: payloadHash, date: Date()) {
            request.headers.add(name: name, value: value)
        }
        if let body {
            request.headers.add(name: "Content-Length", value: String(body.readableBytes))
            request.body = .bytes(body)
        }
        let response = try await http.execute(request, timeout: .seconds(60), logger: logger)
        let bytes = try await response.body.collect(upTo: settings.partSize + (16 << 20))
        return Reply(status: Int(response.status.code), headers: response.headers, body: bytes)
    }

    static func failure(_ reply: Reply, _ action: String) -> BlobStoreError {
        let text = String(buffer: reply.body)
        let code = element("Code", in: text) ?? "HTTP \(reply.status)"
        return .failed(status: reply.status, detail: "\(action): \(code)")
    }

    /// The text of the first `<name>…</name>` in `xml`.
    static func element(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex) else { return nil }
        return String(xml[open.upperBound..<close.lowerBound])
    }

    public func put(_ key: String, _ bytes: ByteBuffer, contentType: String, logger: Logger) async throws {
        guard BlobKey.isValid(key) else { throw BlobStoreError.invalidKey(key) }
        if bytes.readableBytes > settings.partSize {
            try await putInParts(key, bytes, contentType: contentType, logger: logger)
            return
        }
        let reply = try await send(.PUT, key: key, headers: [("Content-Type", contentType)], body: bytes, logger: logger)
        guard reply.status == 200 else { throw Self.failure(reply, "PUT \(key)") }
    }

    func putInParts(_ key: String, _ bytes: ByteBuffer, contentType: String, logger: Logger) async throws {
        let started = try await send(.POST, key: key, query: [("uploads", "")], headers: [("Content-Type", contentType)], logger: logger)
        guard started.status == 200, let uploadID = Self.element("UploadId", in: String(buffer: started.body)) else {
            throw Self.failure(started, "starting the multipart upload of \(key)")
        }
        do {
            var parts: [String] = []
            var offset = bytes.readerIndex
            while offset < bytes.writerIndex {
                let length = min(settings.partSize, bytes.writerIndex - offset)
                let part = bytes.getSlice(at: offset, length: length)!
                let reply = try await send(.PUT, key: key, query: [("partNumber", String(parts.count + 1)), ("uploadId", uploadID)], body: part, logger: logger)
                guard reply.status == 200, let etag = reply.headers.first(name: "ETag") else { throw Self.failure(reply, "uploading part \(parts.count + 1) of \(key)") }
                parts.append(etag)
                offset += length
            }
            let list = parts.enumerated().map { "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\($0.element)</ETag></Part>" }.joined()
            let completed = try await send(.POST, key: key, query: [("uploadId", uploadID)], headers: [("Content-Type", "application/xml")],
                                           body: ByteBuffer(string: "<CompleteMultipartUpload>\(list)</CompleteMultipartUpload>"), logger: logger)
            // S3 may answer 200 and still report an error in the body.
            guard completed.status == 200, !String(buffer: completed.body).contains("<Error>") else { throw Self.failure(completed, "completing \(key)") }
        } catch {
            _ = try? await send(.DELETE, key: key, query: [("uploadId", uploadID)], logger: logger)
            throw error
        }
    }

    public func get(_ key: String, range: ByteRangeRequest?, logger: Logger) async throws -> BlobRead? {
        guard BlobKey.isValid(key) else { throw BlobStoreError.invalidKey(key) }
        let reply = try await send(.GET, key: key, headers: range.map { [("Range", $0.header)] } ?? [], logger: logger)
        switch reply.status {
        case 200:
            return BlobRead(bytes: reply.body, size: reply.body.readableBytes, range: range == nil ? nil : 0...max(0, reply.body.readableBytes - 1))
        case 206:
            // Content-Range: bytes first-last/size
            guard let header = reply.headers.first(name: "Content-Range"), let slash = header.lastIndex(of: "/"),
                  let size = Int(header[header.index(after: slash)...]),
                  let spec = header.split(separator: " ").last?.split(separator: "/").first?.split(separator: "-"), spec.count == 2,
                  let first = Int(spec[0]), let last = Int(spec[1]) else { throw Self.failure(reply, "GET \(key)") }
            return BlobRead(bytes: reply.body, size: size, range: first...last)
        case 404: return nil
        case 416:
            // the size from `Content-Range: bytes */size`, or from the error's `ActualObjectSize`
            let size = reply.headers.first(name: "Content-Range").flatMap { $0.split(separator: "/").last.flatMap { Int($0) } }
                ?? Self.element("ActualObjectSize", in: String(buffer: reply.body)).flatMap { Int($0) } ?? 0
            throw BlobStoreError.unsatisfiableRange(size: size)
        default: throw Self.failure(reply, "GET \(key)")
        }
    }

    public func delete(_ key: String, logger: Logger) async throws {
        guard BlobKey.isValid(key) else { throw BlobStoreError.invalidKey(key) }
        let reply = try await send(.DELETE, key: key, logger: logger)
        guard [200, 204, 404].contains(reply.status) else { throw Self.failure(reply, "DELETE \(key)") }
    }

    /// Creates the bucket (tests and first set-up); an existing bucket of ours is fine.
    public func createBucket(logger: Logger) async throws {
        let body = settings.region == "us-east-1" ? nil
            : ByteBuffer(string: "<CreateBucketConfiguration><LocationConstraint>\(settings.region)</LocationConstraint></CreateBucketConfiguration>")
        let reply = try await send(.PUT, key: nil, body: body, logger: logger)
        guard reply.status == 200 || String(buffer: reply.body).contains("BucketAlreadyOwnedByYou") else { throw Self.failure(reply, "creating the bucket") }
    }
}
