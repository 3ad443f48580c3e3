import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import MediaAPI
import NIOCore
@testable import MediaService
import HTTPTypes
import PlexusKit
import PlexusKitTesting
import Testing

@Suite("Media: uploads, thumbnails, serving")
struct MediaRouteTests {
    @Test("a seller uploads a sideways JPEG with a GPS position: no metadata is stored, thumbnails follow, the original turns upright")
    func uploadAndProcess() async throws {
        try await MediaHarness.with { media in
            let seller = UUID.v7()
            let token = try await media.issuer.token(user: seller, roles: [.customer, .seller])
            let photo = Samples.withExif(try await Samples.image(width: 40, height: 20, ext: "jpg"), orientation: 6)

            let created = try await media.upload(photo, token: token, filename: "../../etc/Holiday Ünïcode <script>.JPG", declared: "text/html")
            #expect(created.status == 201, "\(String(buffer: created.body))")
            let dto = try created.decode(MediaDTO.self)
            #expect(dto.status == .processing && dto.contentType == "image/jpeg" && dto.ownerId == seller)
            #expect(dto.width == 40 && dto.height == 20)
            #expect(dto.filename == "Holiday Ünïcode script.JPG")
            #expect(created.headers.first(name: "Location") == "/api/v1/media/\(dto.id.uuidString.lowercased())")
            #expect(media.storedFiles.count == 1 && media.storedFiles[0].hasSuffix(".jpg") && !media.storedFiles[0].contains("Holiday"))

            // served at once, without the EXIF block's GPS position
            let file = try await media.get(dto.url)
            #expect(file.status == 200 && file.headers.first(name: "Content-Type") == "image/jpeg")
            #expect(!Samples.contains(Array(file.body.readableBytesView), "GPS-SECRET"))
            #expect(file.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(file.headers.first(name: "Content-Disposition")?.hasPrefix("inline; filename=\"Holiday _n_code script.JPG\"; filename*=UTF-8''") == true)

            try await media.drainJobs()
            let ready = try await media.get("/api/v1/media/\(dto.id.uuidString.lowercased())").decode(MediaDTO.self)
            #expect(ready.status == .ready)
            #expect(ready.width == 20 && ready.height == 40, "turned upright")
            let thumbnails = [ready.thumbnails.small, ready.thumbnails.medium, ready.thumbnails.large].compactMap { $0 }
            #expect(thumbnails.count == 3)
            for url in thumbnails {
                let thumbnail = try await media.get(url)
                #expect(thumbnail.status == 200 && thumbnail.headers.first(name: "Content-Type") == "image/webp")
                #expect(thumbnail.headers.first(name: "Cache-Control") == "public, max-age=31536000, immutable")
                #expect(Array(thumbnail.body.readableBytesView[8..<12]) == Array("WEBP".utf8))
                // small images are never enlarged: every size is the upright 20×40
                #expect(try await Samples.header(of: Array(thumbnail.body.readableBytesView), ext: "webp").contains("20x40"))
                // and no metadata at all (vips writes a small EXIF block of its own into WebP)
                #expect(!Samples.contains(Array(thumbnail.body.readableBytesView), "EXIF") && !Samples.contains(Array(thumbnail.body.readableBytesView), "Exif"))
            }
            // HEAD says what GET would, without the bytes
            var head = HTTPClientRequest(url: media.base + "/media/" + (thumbnails[0].split(separator: "/").last.map(String.init) ?? ""))
            head.method = .HEAD
            let headed = try await media.send(head)
            let got = try await media.get(thumbnails[0])
            #expect(headed.status == 200 && headed.body.readableBytes == 0)
            #expect(headed.headers.first(name: "Content-Length") == String(got.body.readableBytes) && headed.headers.first(name: "ETag") == got.headers.first(name: "ETag"))
            let upright = try await media.get(ready.url)
            #expect(try await Samples.header(of: Array(upright.body.readableBytesView), ext: "jpg").contains("20x40"))
            #expect(!Samples.contains(Array(upright.body.readableBytesView), "Exif"))
            #expect(media.storedFiles.count == 4, "the sideways original was removed: \(media.storedFiles)")
            let events = try await media.count("SELECT count(*)::int FROM outbox WHERE type = 'media.ready'")
            #expect(events == 1)
        }
    }

    @Test("what is not an acceptable image is refused with a clear problem and nothing is stored")
    func refusals() async throws {
        try await MediaHarness.with(maxBytes: 64 << 10) { media in
            let token = try await media.issuer.token(roles: [.customer, .seller])
            let svg = Array(#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>"#.utf8)
            let html = Array("<!doctype html><html><script>alert(1)</script></html>".utf8)
            let cases: [(String, MediaHarness.Reply, Int, String)] = [
                ("svg", try await media.upload(svg, token: token, filename: "x.svg", declared: "image/svg+xml"), 415, "unsupported_image"),
                ("html as png", try await media.upload(html, token: token, filename: "x.png", declared: "image/png"), 415, "unsupported_image"),
                ("text", try await media.upload(Array("hello".utf8), token: token), 415, "unsupported_image"),
                ("pixel bomb", try await media.upload(Samples.pngHeader(width: 50_000, height: 50_000), token: token, filename: "bomb.png"), 422, "image_too_large"),
                ("oversize", try await media.upload([0xFF, 0xD8, 0xFF] + [UInt8](repeating: 7, count: 200 << 10), token: token), 413, "payload_too_large"),
                ("oversize, chunked", try await media.upload([0xFF, 0xD8, 0xFF] + [UInt8](repeating: 7, count: 200 << 10), token: token, chunked: true),
                 413, "payload_too_large"),
                ("no file part", try await media.upload(try await Samples.image(width: 4, height: 4, ext: "png"), token: token, field: "photo"), 422, "validation_failed"),
                ("empty file", try await media.upload([], token: token), 422, "validation_failed"),
                ("signed out", try await media.upload(try await Samples.image(width: 4, height: 4, ext: "png"), token: nil), 401, "unauthorized"),
            ]
            for (name, reply, status, code) in cases {
                #expect(reply.status == status, "\(name): \(String(buffer: reply.body))")
                #expect(reply.code == code, "\(name)")
                #expect(reply.headers.first(name: "Content-Type") == "application/problem+json", "\(name)")
            }
            // a header declaring 4294967295×4294967295 pixels (the product overflows 64 bits)
            let enormous = try await media.upload(Samples.pngHeader(width: Int(UInt32.max), height: Int(UInt32.max)), token: token, filename: "x.png")
            #expect(enormous.status == 422 && enormous.code == "image_too_large")
            // a body that ends inside the file part, and one that is not multipart at all inside
            var truncated = MediaHarness.multipart(try await Samples.image(width: 4, height: 4, ext: "png"))
            truncated.moveWriterIndex(to: truncated.writerIndex - 30)
            let cut = try await media.uploadRaw(truncated, token: token)
            #expect(cut.status == 400 && cut.code == "invalid_multipart", "\(String(buffer: cut.body))")
            let garbage = try await media.uploadRaw(ByteBuffer(string: "--plexus-boundary-7MA4YWxk\r\nno headers end here"), token: token)
            #expect([400, 422].contains(garbage.status), "\(String(buffer: garbage.body))")
            // a client that hangs up half-way leaves nothing, and the service goes on serving
            await media.abandonedUpload(try await Samples.image(width: 64, height: 64, ext: "png"), token: token)
            #expect(try await media.get("/health/live").status == 200)

            var notMultipart = HTTPClientRequestBuilder.json(media.base + "/api/v1/media", token: token)
            notMultipart.body = .bytes(.init(string: "{}"))
            let wrongType = try await media.send(notMultipart)
            #expect(wrongType.status == 415 && wrongType.code == "unsupported_media_type")
            #expect(try await media.count("SELECT count(*)::int FROM media") == 0)
            #expect(media.storedFiles.isEmpty)
        }
    }

    @Test("serving: ranges, 304, 416, unknown keys, and keys that try to leave the store")
    func serving() async throws {
        try await MediaHarness.with { media in
            let token = try await media.issuer.token(roles: [.customer, .seller])
            let png = try await Samples.image(width: 30, height: 30, ext: "png")
            let dto = try await media.upload(png, token: token, filename: "a.png").decode(MediaDTO.self)
            let key = try #require(media.storedFiles.first)
            let size = dto.size

            let whole = try await media.get("/media/\(key)")
            #expect(whole.status == 200 && whole.body.readableBytes == size && whole.headers.first(name: "Accept-Ranges") == "bytes")
            let etag = try #require(whole.headers.first(name: "ETag"))
            let first = try await media.get("/media/\(key)", headers: [("Range", "bytes=0-9")])
            #expect(first.status == 206 && first.body.readableBytes == 10 && first.headers.first(name: "Content-Range") == "bytes 0-9/\(size)")
            #expect(first.body == whole.body.getSlice(at: 0, length: 10))
            let last = try await media.get("/media/\(key)", headers: [("Range", "bytes=-4")])
            #expect(last.status == 206 && last.body == whole.body.getSlice(at: size - 4, length: 4))
            let beyond = try await media.get("/media/\(key)", headers: [("Range", "bytes=\(size)-")])
            #expect(beyond.status == 416 && beyond.headers.first(name: "Content-Range") == "bytes */\(size)")
            let several = try await media.get("/media/\(key)", headers: [("Range", "bytes=0-1,4-5")])
            #expect(several.status == 200 && several.body.readableBytes == size)
            let cached = try await media.get("/media/\(key)", headers: [("If-None-Match", etag)])
            #expect(cached.status == 304 && cached.body.readableBytes == 0)

            for path in ["/media/nothing-here.png", "/media/..%2F..%2Fetc%2Fpasswd", "/media/.hidden", "/media/%00"] {
                let reply = try await media.get(path)
                #expect([400, 404].contains(reply.status), "\(path): \(reply.status)")
            }
            #expect(try await media.get("/api/v1/media/\(UUID.v7().uuidString)").status == 404)
            #expect(try await media.get("/api/v1/media/not-a-uuid").status == 404)
        }
    }

    @Test("a file in memory is answered on the event loop exactly as the router answers it")
    func immediateAnswers() async throws {
        try await MediaHarness.with { media in
            let token = try await media.issuer.token(roles: [.customer, .seller])
            let png = try await Samples.image(width: 20, height: 20, ext: "png")
            _ = try await media.upload(png, token: token, filename: "b.png")
            let key = try #require(media.storedFiles.first)
            // the first read misses the memory cache (the router answers and fills it); the next is immediate
            let routed = try await media.get("/media/\(key)")
            let immediate = try await media.get("/media/\(key)")
            #expect(routed.status == 200 && immediate.status == 200 && immediate.body == routed.body)
            // (`Server` aside: this harness's server has no name; a service's has, and both paths send it)
            let names = { (reply: MediaHarness.Reply) in Set(reply.headers.map { $0.name.lowercased() }).subtracting(["server"]) }
            #expect(names(immediate) == names(routed))
            for name in ["ETag", "Cache-Control", "Content-Type", "Content-Length", "Content-Disposition", "X-Content-Type-Options", "Content-Security-Policy"] {
                #expect(immediate.headers.first(name: name) == routed.headers.first(name: name), "\(name)")
            }
            #expect(immediate.headers.first(name: "X-Request-ID") != routed.headers.first(name: "X-Request-ID"))
            #expect(immediate.headers.first(name: "Date") != nil)
            var head = HTTPClientRequest(url: media.base + "/media/\(key)")
            head.method = .HEAD
            let headReply = try await HTTPClient.plexus.execute(head, timeout: .seconds(10))
            #expect(headReply.status == .ok && headReply.headers.first(name: "Content-Length") == String(routed.body.readableBytes))
            #expect(try await headReply.body.collect(upTo: 1 << 20).readableBytes == 0)

            // the answer a cached object gets straight from the controller: what the router would say
            let cache = CachingBlobStore(try LocalBlobStore(directory: try #require(media.directory)), entries: 4)
            let request = HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/media/\(key)")
            #expect(MediaController.immediateAnswer(request, store: cache) == nil, "not in memory: the router answers")
            _ = try await cache.get(key, range: nil, logger: testLogger())
            let answer = try #require(MediaController.immediateAnswer(request, store: cache))
            #expect(answer.response.status == .ok && answer.body?.readableBytes == routed.body.readableBytes)
            var ranged = request
            ranged.headerFields[.range] = "bytes=0-3"
            #expect(MediaController.immediateAnswer(ranged, store: cache)?.response.status == .partialContent)
            ranged.headerFields[.range] = "bytes=999999-"
            #expect(MediaController.immediateAnswer(ranged, store: cache) == nil, "an unsatisfiable range: the router's 416")
            var other = request
            other.path = "/media/../secret"
            #expect(MediaController.immediateAnswer(other, store: cache) == nil)
        }
    }

    @Test("a poison image fails its job into the dead state, marked failed, without holding up a good one")
    func poison() async throws {
        try await MediaHarness.with { media in
            let token = try await media.issuer.token(roles: [.customer, .seller])
            // a valid PNG header over pixel data that is not zlib
            let poison = Samples.pngHeader(width: 10, height: 10).dropLast(14) + PNGWriter.chunk("IDAT", Array("not zlib at all".utf8)) + PNGWriter.chunk("IEND", [])
            let bad = try await media.upload(Array(poison), token: token, filename: "bad.png")
            #expect(bad.status == 201)
            let good = try await media.upload(try await Samples.image(width: 8, height: 8, ext: "gif"), token: token, filename: "good.gif")
            try await media.drainJobs()
            let badDTO = try await media.get("/api/v1/media/\(try bad.decode(MediaDTO.self).id)").decode(MediaDTO.self)
            let goodDTO = try await media.get("/api/v1/media/\(try good.decode(MediaDTO.self).id)").decode(MediaDTO.self)
            #expect(badDTO.status == .failed && badDTO.thumbnails == MediaThumbnails(), "\(badDTO)")
            #expect(goodDTO.status == .ready && goodDTO.thumbnails.small != nil)
            #expect(try await media.count("SELECT count(*)::int FROM jobs WHERE kind = 'media.process' AND status = 'dead'") == 1)
            #expect(try await media.get(badDTO.url).status == 200, "still served as uploaded")
        }
    }

    @Test("quotas: the day's files run out with 429 and Retry-After, also for concurrent uploads")
    func quota() async throws {
        try await MediaHarness.with(dailyFiles: 3, concurrentUploads: 20) { media in
            let token = try await media.issuer.token(roles: [.customer])
            let png = try await Samples.image(width: 6, height: 6, ext: "png")
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 { group.addTask { try await media.upload(png, token: token, filename: "p.png").status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 3)
            #expect(statuses.filter { $0 == 429 }.count == 7)
            let refused = try await media.upload(png, token: token, filename: "p.png")
            #expect(refused.status == 429 && refused.code == "upload_quota")
            #expect(Int(refused.headers.first(name: "Retry-After") ?? "") ?? 0 > 80_000)
            #expect(media.storedFiles.count == 3, "refused uploads leave nothing behind")
            // another user is not affected
            #expect(try await media.upload(png, token: try await media.issuer.token(roles: [.customer]), filename: "p.png").status == 201)
        }
    }

    @Test("uploads beyond the ones the service reads at once get 503 uploads_busy with Retry-After; a place frees when one ends")
    func busy() async throws {
        // a quota that the polling below cannot use up, however long the slow client takes to arrive
        try await MediaHarness.with(dailyFiles: 100_000, concurrentUploads: 1) { media in
            // setup: one slow client holds the only place
            let token = try await media.issuer.token(roles: [.customer])
            let png = try await Samples.image(width: 6, height: 6, ext: "png")
            let large = try await Samples.image(width: 400, height: 300, ext: "png")
            let released = NIOLockedValueBox(false)
            let held = Task { await media.heldUpload(large, token: token, released: { released.withLockedValue { $0 } }) }
            // expect: others are told to come back (once the slow one has its place)
            #expect(try await eventually(timeout: .seconds(30)) { try await media.upload(png, token: token, filename: "p.png").status == 503 })
            let refused = try await media.upload(png, token: token, filename: "p.png")
            #expect(refused.status == 503 && refused.code == "uploads_busy" && refused.headers.first(name: "Retry-After") == "2")
            // the slow one finishes; the place is free again
            released.withLockedValue { $0 = true }
            await held.value
            #expect(try await media.upload(png, token: token, filename: "p.png").status == 201)
        }
    }

    @Test("attaching checks the owner; orphans go after a day; deleting removes every rendition")
    func housekeeping() async throws {
        do { try await housekeepingBody() } catch { Issue.record("\(String(reflecting: error))") }
    }

    func housekeepingBody() async throws {
        try await MediaHarness.with { media in
            let owner = UUID.v7()
            let token = try await media.issuer.token(user: owner, roles: [.customer, .seller])
            let png = try await Samples.image(width: 12, height: 12, ext: "png")
            let kept = try await media.upload(png, token: token, filename: "kept.png").decode(MediaDTO.self)
            let orphan = try await media.upload(png, token: token, filename: "orphan.png").decode(MediaDTO.self)
            try await media.drainJobs()
            #expect(media.storedFiles.count == 8)

            #expect(try await media.attach(kept.id, owner: UUID.v7()).code == "not_your_media")
            #expect(try await media.attach(UUID.v7(), owner: owner).status == 404)
            #expect(try await media.attach(kept.id, owner: owner).status == 200)
            #expect(try await media.attach(orphan.id, owner: UUID.v7(), admin: true).status == 200)
            try await media.client.query("UPDATE media SET attached_at = NULL WHERE id = \(orphan.id)", logger: testLogger())

            // a day later: the never-attached upload and its thumbnails go, the attached one stays
            try await media.client.query("UPDATE media SET created_at = now() - interval '25 hours'", logger: testLogger())
            try await media.client.query("UPDATE jobs SET run_at = now() WHERE kind = 'media.clean_up'", logger: testLogger())
            _ = try await media.worker.runOnce()
            let processor = MediaProcessor(media: MediaRepository(client: media.client, outbox: Outbox(source: .media, subscribers: []), urls: MediaURLs(base: "")),
                                           store: try LocalBlobStore(directory: try #require(media.directory)),
                                           thumbnailer: Thumbnailer(vips: "vips"), orphanAge: .seconds(86_400))
            try await processor.cleanUp(logger: testLogger())
            #expect(try await media.get("/api/v1/media/\(orphan.id)").status == 404)
            #expect(try await media.get("/api/v1/media/\(kept.id)").status == 200)
            #expect(media.storedFiles.count == 4)

            // deleting: not by someone else, by its uploader, every rendition with it; media.deleted for the attached one
            let stranger = try await media.issuer.token(roles: [.customer, .seller])
            #expect(try await media.delete("/api/v1/media/\(kept.id)", token: stranger).status == 404)
            #expect(try await media.delete("/api/v1/media/\(kept.id)", token: token).status == 204)
            #expect(media.storedFiles.isEmpty)
            #expect(try await media.count("SELECT count(*)::int FROM outbox WHERE type = 'media.deleted'") == 1)
            #expect(try await media.count("SELECT count(*)::int FROM media_garbage") == 0)
        }
    }

    @Test("a store that cannot be reached is a 503 for uploads and reads, never a 500, and nothing is recorded")
    func storeDown() async throws {
        let closed = S3Settings(endpoint: "http://127.0.0.1:\(try EmbeddedPostgres.freePort())", region: "us-east-1", bucket: "gone",
                                accessKey: "a", secretKey: "b")
        try await MediaHarness.with(store: .s3(closed)) { media in
            let token = try await media.issuer.token(roles: [.customer, .seller])
            let upload = try await media.upload(try await Samples.image(width: 4, height: 4, ext: "png"), token: token, filename: "p.png")
            #expect(upload.status == 503 && upload.code == "store_unavailable", "\(String(buffer: upload.body))")
            let read = try await media.get("/media/0123abcd.png")
            #expect(read.status == 503 && read.code == "store_unavailable")
            #expect(try await media.count("SELECT count(*)::int FROM media") == 0)
        }
    }

    @Test("with the S3 store against a real S3-compatible server: upload, thumbnails, ranged serving, delete")
    func s3() async throws {
        let server = try await S3TestServer()
        defer { server.stop() }
        let settings = server.settings(bucket: "media-\(RandomToken.hex(bytes: 3))")
        try await S3BlobStore(settings: settings, http: .plexus).createBucket(logger: testLogger())
        try await MediaHarness.with(store: .s3(settings)) { media in
            let token = try await media.issuer.token(roles: [.customer, .seller])
            let dto = try await media.upload(try await Samples.image(width: 50, height: 25, ext: "webp"), token: token, filename: "s3.webp").decode(MediaDTO.self)
            try await media.drainJobs()
            let ready = try await media.get("/api/v1/media/\(dto.id)").decode(MediaDTO.self)
            #expect(ready.status == .ready)
            let large = try await media.get(try #require(ready.thumbnails.large), headers: [("Range", "bytes=0-3")])
            #expect(large.status == 206 && String(buffer: large.body) == "RIFF")
            #expect(try await media.delete("/api/v1/media/\(dto.id)", token: token).status == 204)
            #expect(try await media.get(try #require(ready.thumbnails.large)).status == 404)
        }
    }
}

/// Small request builders.
enum HTTPClientRequestBuilder {
    static func json(_ url: String, token: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        return request
    }
}
