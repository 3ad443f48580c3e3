import AsyncHTTPClient
import Foundation
import NIOCore
@testable import PlexusKit
import PlexusKitTesting
import Testing

@Suite("Kit: object storage")
struct BlobStoreTests {
    // AWS's published examples: the SigV4 test suite's get-vanilla and
    // get-vanilla-query-order-key-case, and the S3 developer guide's GET Object with a Range.
    @Test("SigV4 signatures match AWS's published test vectors")
    func signatureVectors() {
        let suite = SigV4Signer(accessKey: "AKIDEXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", region: "us-east-1", service: "service")
        let date = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z
        let vanilla = suite.sign(method: "GET", path: "/", query: [], headers: [("Host", "example.amazonaws.com")],
                                 payloadHash: SigV4Signer.emptyPayloadHash, date: date, includeContentHash: false)
        #expect(vanilla.first { $0.0 == "Authorization" }?.1
            == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        let ordered = suite.sign(method: "GET", path: "/", query: [("Param2", "value2"), ("Param1", "value1")], headers: [("Host", "example.amazonaws.com")],
                                 payloadHash: SigV4Signer.emptyPayloadHash, date: date, includeContentHash: false)
        #expect(ordered.last?.1.hasSuffix("Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500") == true)

        let s3 = SigV4Signer(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1", service: "s3")
        let ranged = s3.sign(method: "GET", path: "/test.txt", query: [], headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")],
                             payloadHash: SigV4Signer.emptyPayloadHash, date: Date(timeIntervalSince1970: 1_369_353_600))  // 20130524T000000Z
        #expect(ranged.last?.1 == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(SigV4Signer.uriEncode("a b/ü~*", keepSlash: true) == "a%20b/%C3%BC~%2A")
    }

    @Test("ranges: first-last, first-, -suffix, clamped, unsatisfiable, and what is not one range")
    func ranges() {
        #expect(ByteRangeRequest(header: "bytes=0-9")?.resolve(size: 100) == 0...9)
        #expect(ByteRangeRequest(header: "bytes=90-")?.resolve(size: 100) == 90...99)
        #expect(ByteRangeRequest(header: "bytes=-5")?.resolve(size: 100) == 95...99)
        #expect(ByteRangeRequest(header: "bytes=50-500")?.resolve(size: 100) == 50...99)
        #expect(ByteRangeRequest(header: "bytes=-500")?.resolve(size: 100) == 0...99)
        #expect(ByteRangeRequest(header: "bytes=100-")?.resolve(size: 100) == nil)
        for bad in ["bytes=5-1", "bytes=0-1,5-6", "items=0-1", "bytes=-0", "bytes=a-b", "bytes=-"] { #expect(ByteRangeRequest(header: bad) == nil, "\(bad)") }
        #expect(BlobKey.isValid("0a1b-small.webp"))
        for bad in ["", "../x", ".hidden", "a/b", "a\\b", "a b", String(repeating: "a", count: 201)] { #expect(!BlobKey.isValid(bad), "\(bad)") }
    }

    /// put, full and ranged reads, an unsatisfiable range, delete, and a key outside the alphabet.
    static func roundTrip(_ store: any BlobStore) async throws {
        let logger = testLogger()
        let key = BlobKey.make(suffix: ".bin")
        let bytes = ByteBuffer(bytes: (0..<1000).map { UInt8($0 % 251) })
        try await store.put(key, bytes, contentType: "application/octet-stream", logger: logger)
        let whole = try #require(try await store.get(key, range: nil, logger: logger))
        #expect(whole.bytes == bytes && whole.size == 1000 && whole.range == nil)
        let part = try #require(try await store.get(key, range: .from(10, through: 19), logger: logger))
        #expect(part.bytes == bytes.getSlice(at: 10, length: 10) && part.range == 10...19 && part.size == 1000)
        let tail = try #require(try await store.get(key, range: .suffix(5), logger: logger))
        #expect(tail.bytes == bytes.getSlice(at: 995, length: 5) && tail.range == 995...999)
        await #expect(throws: BlobStoreError.unsatisfiableRange(size: 1000)) { try await store.get(key, range: .from(1000, through: nil), logger: logger) }
        try await store.delete(key, logger: logger)
        #expect(try await store.get(key, range: nil, logger: logger) == nil)
        try await store.delete(key, logger: logger)  // absent: not an error
        await #expect(throws: BlobStoreError.invalidKey("../etc/passwd")) { try await store.put("../etc/passwd", bytes, contentType: "text/plain", logger: logger) }
    }

    @Test("the local store: round trip, atomic files, nothing outside its directory")
    func local() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-blobs-\(RandomToken.hex(bytes: 4))")
        defer { try? FileManager.default.removeItem(at: directory) }
        try await Self.roundTrip(try LocalBlobStore(directory: directory))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("the caching store: small objects come from memory (ranges cut from the copy), a delete drops them, large ones are not kept")
    func caching() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-blobs-\(RandomToken.hex(bytes: 4))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let local = try LocalBlobStore(directory: directory)
        let store = CachingBlobStore(local, entries: 10, maxObjectBytes: 2_000)
        try await Self.roundTrip(store)
        let logger = testLogger()
        try await store.put("small.bin", ByteBuffer(bytes: Array(repeating: 1, count: 100)), contentType: "x", logger: logger)
        try await store.put("large.bin", ByteBuffer(bytes: Array(repeating: 2, count: 5_000)), contentType: "x", logger: logger)
        _ = try await store.get("small.bin", range: nil, logger: logger)
        _ = try await store.get("large.bin", range: nil, logger: logger)
        // gone underneath (as through another replica): the small copy is still served, the large is not
        try await local.delete("small.bin", logger: logger)
        try await local.delete("large.bin", logger: logger)
        #expect(try await store.get("small.bin", range: .suffix(10), logger: logger)?.range == 90...99)
        #expect(try await store.get("large.bin", range: nil, logger: logger) == nil)
        try await store.delete("small.bin", logger: logger)
        #expect(try await store.get("small.bin", range: nil, logger: logger) == nil)
    }

    @Test("the S3 store against a real S3-compatible server: round trip, a multipart upload, path and virtual-host addressing")
    func s3() async throws {
        let server = try await S3TestServer()
        defer { server.stop() }
        let store = try S3BlobStore(settings: server.settings(bucket: "plexus-media"), http: .plexus)
        try await store.createBucket(logger: testLogger())
        try await Self.roundTrip(store)

        // 11 MiB in parts of 5 MiB: three parts, read back whole and across a part boundary
        let big = ByteBuffer(bytes: (0..<(11 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 12) })
        try await store.put("big.bin", big, contentType: "application/octet-stream", logger: testLogger())
        let read = try #require(try await store.get("big.bin", range: nil, logger: testLogger()))
        #expect(read.size == big.readableBytes && read.bytes == big)
        let boundary = try #require(try await store.get("big.bin", range: .from((5 << 20) - 3, through: (5 << 20) + 2), logger: testLogger()))
        #expect(boundary.bytes == big.getSlice(at: (5 << 20) - 3, length: 6))
        try await store.delete("big.bin", logger: testLogger())

        // a wrong secret is refused by signature-checking stores; the addressing styles
        let virtual = try S3BlobStore(settings: S3Settings(endpoint: "https://s3.eu-west-1.amazonaws.com", region: "eu-west-1", bucket: "shop",
                                                           accessKey: "a", secretKey: "b", pathStyle: false), http: .plexus)
        #expect(virtual.location("k1.jpg") == ("shop.s3.eu-west-1.amazonaws.com", "/k1.jpg"))
        #expect(store.location("k1.jpg") == ("127.0.0.1:\(server.port)", "/plexus-media/k1.jpg"))
    }
}
