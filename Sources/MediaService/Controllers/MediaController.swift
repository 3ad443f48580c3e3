import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MediaAPI
import NIOCore
import PlexusKit

/// `/api/v1/media` (upload, metadata, the file, delete), `/media/{key}` (stored objects) and the
/// internal attachment check.
struct MediaController: Sendable {
    let media: MediaRepository
    let processor: MediaProcessor
    let store: any BlobStore
    let limits: MediaLimits
    let gate: UploadGate

    func addRoutes(to router: EndpointRouter) {
        router.on(MediaEndpoints.upload) { request, context in
            let owner = try context.requireUserID()
            // a cheap refusal before reading a body the quota would refuse anyway
            if let wait = try await media.quotaWait(owner: owner, bytes: 1, limits: limits.quota, logger: context.logger) {
                throw MediaProblems.quota(retryAfter: wait)
            }
            guard gate.enter() else { throw MediaProblems.busy }
            defer { gate.leave() }
            let upload = try await UploadReader.read(request, limit: limits.maxBytes)
            guard let probe = ImageProbe.read(upload.bytes) else { throw MediaProblems.unsupported }
            // a header may declare 4294967295×4294967295: multiplied without trapping
            let (pixels, overflow) = probe.width.multipliedReportingOverflow(by: probe.height)
            guard !overflow, pixels <= limits.maxPixels else { throw MediaProblems.pixels(probe, limit: limits.maxPixels) }
            guard let stripped = MetadataStripper.strip(upload.bytes, probe: probe) else { throw MediaProblems.unsupported }

            let id = UUID.v7()
            let key = BlobKey.make(suffix: "." + probe.format.fileExtension)
            do {
                try await store.put(key, ByteBuffer(bytes: stripped), contentType: probe.format.contentType, logger: context.logger)
            } catch {
                throw MediaController.storeUnavailable(error, logger: context.logger)
            }
            let record: MediaRecord
            do {
                record = try await media.create(id: id, owner: owner, probe: probe, size: stripped.count, filename: upload.filename, key: key,
                                                limits: limits.quota, logger: context.logger)
            } catch {
                await processor.remove([key], logger: context.logger)
                throw error
            }
            var response = try Response.json(media.urls.dto(record), status: .created)
            response.headers[.location] = "/api/v1/media/\(id.uuidString.lowercased())"
            return response
        }
        router.on(MediaEndpoints.get) { _, context in
            guard let record = try await media.find(try context.uuidParameter("id"), logger: context.logger) else { throw ProblemError.notFound() }
            return try Response.json(media.urls.dto(record))
        }
        router.on(MediaEndpoints.file) { request, context in
            guard let record = try await media.find(try context.uuidParameter("id"), logger: context.logger) else { throw ProblemError.notFound() }
            // the original may still be replaced by its upright version: cached briefly, revalidated by ETag
            return try await serve(record.originalKey, request: request, context: context, cacheControl: "public, max-age=300",
                                   filename: record.filename)
        }
        router.on(MediaEndpoints.serve) { request, context in
            guard let key = context.parameters.get("key"), BlobKey.isValid(key) else { throw ProblemError.notFound() }
            return try await serve(key, request: request, context: context, cacheControl: Self.immutable, filename: nil)
        }
        router.on(MediaEndpoints.delete) { _, context in
            let user = try context.requireUser()
            let owner = user.roles.contains(.admin) ? nil : try context.requireUserID()
            guard let keys = try await media.delete(try context.uuidParameter("id"), owner: owner, logger: context.logger) else {
                throw ProblemError.notFound()
            }
            await processor.remove(keys, logger: context.logger)
            return Response(status: .noContent)
        }
        router.on(MediaEndpoints.attach) { request, context in
            let body = try await request.decodeBody(AttachMediaRequest.self, context: context)
            guard let record = try await media.attach(try context.uuidParameter("id"), owner: body.ownerId, admin: body.admin, logger: context.logger)
            else { throw ProblemError.notFound() }
            return try Response.json(media.urls.dto(record))
        }
    }

    /// A stored object with validators, ranges and the headers that keep a browser from treating
    /// it as anything but an image.
    func serve(_ key: String, request: Request, context: PlexusContext, cacheControl: String, filename: String?) async throws -> Response {
        var headers = Self.headers(key: key, cacheControl: cacheControl, filename: filename)
        if Self.isNotModified(key: key, ifNoneMatch: request.headers[.ifNoneMatch]) {
            return Response(status: .notModified, headers: headers)
        }
        let range = Self.range(request.headers[.range])
        let read: BlobRead?
        do {
            read = try await store.get(key, range: range, logger: context.logger)
        } catch BlobStoreError.unsatisfiableRange(let size) {
            headers[.contentRange] = "bytes */\(size)"
            throw ProblemError(.rangeNotSatisfiable, code: "range_not_satisfiable", detail: "The file has \(size) bytes.", headers: headers)
        } catch BlobStoreError.invalidKey {
            throw ProblemError.notFound()
        } catch {
            throw MediaController.storeUnavailable(error, logger: context.logger)
        }
        guard let read else { throw ProblemError.notFound() }
        let status = Self.complete(&headers, key: key, read: read)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: read.bytes))
    }

    /// `GET`/`HEAD /media/{key}` of an object the cache holds, answered on the connection's event
    /// loop with what ``serve(_:request:context:cacheControl:filename:)`` answers; nil (the router
    /// answers) for anything else: another path, an object not in memory, a range it cannot serve.
    static func immediateAnswer(_ request: HTTPRequest, store: CachingBlobStore) -> ImmediateAnswer? {
        guard let path = request.path, path.utf8.starts(with: "/media/".utf8) else { return nil }
        let key = String(path.utf8.dropFirst(7))! // after the ASCII prefix: a whole-character boundary
        guard BlobKey.isValid(key) else { return nil }
        var headers = Self.headers(key: key, cacheControl: immutable, filename: nil)
        if Self.isNotModified(key: key, ifNoneMatch: request.headerFields[.ifNoneMatch]) {
            return ImmediateAnswer(response: HTTPResponse(status: .notModified, headerFields: headers), body: nil, route: MediaEndpoints.serve.path)
        }
        guard let read = try? store.cached(key, range: Self.range(request.headerFields[.range])) else { return nil }
        let status = Self.complete(&headers, key: key, read: read)
        return ImmediateAnswer(response: HTTPResponse(status: status, headerFields: headers), body: read.bytes, route: MediaEndpoints.serve.path)
    }

    /// Stored objects never change (a new version gets a new key).
    static let immutable = "public, max-age=31536000, immutable"

    /// The headers of every answer about `key`.
    static func headers(key: String, cacheControl: String, filename: String?) -> HTTPFields {
        var headers = MediaController.servedHeaders
        headers[.eTag] = "\"\(key)\""
        headers[.cacheControl] = cacheControl
        headers[.contentDisposition] = MediaController.disposition(filename ?? key)
        return headers
    }

    /// Whether `If-None-Match` names the object's tag (or `*`).
    static func isNotModified(key: String, ifNoneMatch: String?) -> Bool {
        guard let ifNoneMatch else { return false }
        let etag = "\"\(key)\""
        return ifNoneMatch.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == etag || $0 == "*" }
    }

    /// The one byte range asked for; anything else is ignored (the whole file is served), as RFC 9110 allows.
    static func range(_ header: String?) -> ByteRangeRequest? {
        header.flatMap(ByteRangeRequest.init(header:))
    }

    /// The type, length and range of what was read; 206 for a range, 200 otherwise.
    static func complete(_ headers: inout HTTPFields, key: String, read: BlobRead) -> HTTPResponse.Status {
        headers[.contentType] = MediaController.contentType(of: key)
        headers[.contentLength] = String(read.bytes.readableBytes)
        guard let served = read.range else { return .ok }
        headers[.contentRange] = "bytes \(served.lowerBound)-\(served.upperBound)/\(read.size)"
        return .partialContent
    }

    /// What every served file says of itself, made once.
    static let servedHeaders: HTTPFields = [
        .acceptRanges: "bytes", .xContentTypeOptions: "nosniff", .contentSecurityPolicy: "default-src 'none'; sandbox",
    ]

    /// A store that failed or could not be reached: the operator's problem (logged), a 503 for the client.
    static func storeUnavailable(_ error: any Error, logger: Logger) -> ProblemError {
        logger.error("file store failed", metadata: ["error": .string(String(describing: error))])
        return ProblemError.unavailable("The file store is not available; try again shortly.", code: "store_unavailable", retryAfter: 5)
    }

    /// The type of a stored object, from the extension this service gave its key.
    static func contentType(of key: String) -> String {
        guard let dot = key.utf8.lastIndex(of: UInt8(ascii: ".")) else { return "application/octet-stream" }
        return contentTypes[String(key[key.index(after: dot)...])] ?? "application/octet-stream"
    }

    /// Content type by file extension, made once (this runs on every file served).
    static let contentTypes = Dictionary(uniqueKeysWithValues: ImageFormat.allCases.map { ($0.fileExtension, $0.contentType) })

    /// `inline` with an ASCII file name and, when the name is not ASCII, its UTF-8 form (RFC 6266).
    static func disposition(_ filename: String) -> String {
        // Most names (every stored key) are printable ASCII without quotes: nothing to replace.
        if filename.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            return "inline; filename=\"" + filename + "\""
        }
        let ascii = String(String.UnicodeScalarView(filename.unicodeScalars.map { $0.isASCII && $0 != "\"" && $0 != "\\" ? $0 : "_" }))
        var value = "inline; filename=\"\(ascii)\""
        if ascii != filename { value += "; filename*=UTF-8''" + SigV4Signer.uriEncode(filename) }
        return value
    }
}

/// The limits of uploads.
struct MediaLimits: Sendable {
    var maxBytes: Int
    /// Uploads read at once by one process.
    var concurrentUploads: Int
    var maxPixels: Int
    var quota: QuotaLimits
}
