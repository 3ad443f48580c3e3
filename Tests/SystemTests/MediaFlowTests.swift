import AsyncHTTPClient
import CatalogAPI
import Foundation
import MediaAPI
import NIOCore
import PlexusKit
import PlexusKitTesting
import ShopAPI
import Testing

extension RunningSystems {
    /// A seller's photo through the gateway: upload (multipart), attach to their product, thumbnails
    /// on the product and in the listing within seconds, served with long-lived caching; the demo
    /// catalogue's generated pictures processed the same way; refusals on the way.
    @Suite struct MediaFlowTests {
        /// One running system for the photo flow and the review flow (which needs photos too): each
        /// start of the whole system costs the suite most of a minute.
        @Test func uploadsAndReviewsThroughTheGateway() async throws {
            let system = try await RunningSystem()
            defer { system.stop() }
            try await uploadAttachAndSeeThumbnails(system)
            try await ReviewFlowTests.deliveredOrderToReviewWithPhotoAndReply(system)
        }

        func uploadAttachAndSeeThumbnails(_ system: RunningSystem) async throws {
            let api = API(gateway: system.gateway)
            let seller = try await api.login("seller@plexus.local", "plexus-seller-2026")
            let otherSeller = try await api.login("seller2@plexus.local", "plexus-seller-2026")
            let shop = try api.decode(ShopDTO.self, try await api.get("/api/v1/shops/me", token: seller))
            let product = try #require(try api.decode(ProductListDTO.self, try await api.get("/api/v1/products?shop=\(shop.id)&limit=1")).items.first)

            // the demo pictures were generated, stored and processed: the listing shows their thumbnails
            #expect(try await api.until(timeout: .seconds(60)) {
                let items = try api.decode(ProductListDTO.self, try await api.get("/api/v1/products?limit=20")).items
                return items.allSatisfy { $0.image?.url.hasSuffix("-medium.webp") == true }
            }, "the demo pictures' thumbnails did not reach the listing")

            // upload: a real JPEG made by vips, as curl -F would send it
            let photo = try await Self.jpeg(width: 900, height: 600)
            let uploaded = try await Self.upload(api, photo, token: seller)
            #expect(uploaded.status == 201, "\(uploaded.text)")
            let media = try api.decode(MediaDTO.self, uploaded)
            #expect(media.status == .processing && media.width == 900 && media.url.hasPrefix("http://localhost:\(system.gatewayPort)/api/v1/media/"))

            // someone else's upload cannot be attached; one's own can
            let stolen = try await api.post("/api/v1/products/\(product.id)/images", AttachImageRequest(mediaId: media.id), token: otherSeller)
            #expect(stolen.status == 404 || stolen.status == 403, "\(stolen.text)")
            let attached = try await api.post("/api/v1/products/\(product.id)/images", AttachImageRequest(mediaId: media.id, position: 0), token: seller)
            #expect(attached.status == 201, "\(attached.text)")
            let unknown = try await api.post("/api/v1/products/\(product.id)/images", AttachImageRequest(mediaId: UUID.v7()), token: seller)
            #expect(unknown.status == 422, "\(unknown.text)")

            // within seconds the product shows the three thumbnails; they are served through the gateway
            let shown = { @Sendable () async throws -> MediaThumbnails? in
                let detail = try api.decode(ProductDTO.self, try await api.get("/api/v1/products/\(product.id)"))
                return detail.images.first { $0.mediaId == media.id }?.thumbnails
            }
            #expect(try await api.until { try await shown()?.large != nil }, "no thumbnails on the product")
            let thumbnails = try #require(try await shown())
            let large = try #require(thumbnails.large).replacingOccurrences(of: "http://localhost:\(system.gatewayPort)", with: "")
            var request = HTTPClientRequest(url: system.gateway + large)
            request.headers.add(name: "Range", value: "bytes=0-11")
            let response = try await HTTPClient.plexus.execute(request, timeout: .seconds(10))
            #expect(response.status.code == 206)
            #expect(response.headers.first(name: "Cache-Control") == "public, max-age=31536000, immutable")
            #expect(response.headers.first(name: "Content-Type") == "image/webp")
            let head = try await response.body.collect(upTo: 64)
            #expect(String(decoding: head.readableBytesView.prefix(4), as: UTF8.self) == "RIFF")

            // too large for the gateway: refused before the upload reaches the service
            let huge = try await Self.upload(api, [0xFF, 0xD8, 0xFF] + [UInt8](repeating: 1, count: 11 << 20), token: seller)
            #expect(huge.status == 413)

            // detached from the product, the upload is still there for others
            let detached = try await api.delete("/api/v1/products/\(product.id)/images/\(media.id)", token: seller)
            #expect(detached.status == 200, "\(detached.text)")
            #expect(try await api.get("/api/v1/media/\(media.id)/file").status == 200)
            #expect(!system.output.contains("request failed"), "a server error was logged")
        }

        static func upload(_ api: API, _ bytes: [UInt8], token: String) async throws -> RunningSystem.Reply {
            var body = Data("--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n".utf8)
            body += Data(bytes)
            body += Data("\r\n--b0undary--\r\n".utf8)
            var request = HTTPClientRequest(url: api.gateway + "/api/v1/media")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=b0undary")
            request.body = .bytes(ByteBuffer(data: body))
            let response = try await HTTPClient.plexus.execute(request, timeout: .seconds(30))
            return RunningSystem.Reply(status: Int(response.status.code), body: try await response.body.collect(upTo: 1 << 20))
        }

        /// A JPEG of a gradient, made by `vips`.
        static func jpeg(width: Int, height: Int) async throws -> [UInt8] {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-flow-\(RandomToken.hex(bytes: 4)).jpg")
            defer { try? FileManager.default.removeItem(at: file) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["vips", "xyz", file.path, String(width), String(height)]
            try process.run()
            process.waitUntilExit()
            return Array(try Data(contentsOf: file))
        }
    }
}
