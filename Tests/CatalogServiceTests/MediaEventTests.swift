import CatalogAPI
import Foundation
import MediaAPI
import PlexusKit
import PlexusKitTesting
import Testing

@Suite("Catalog: the media service's events")
struct MediaEventTests {
    @Test("media.ready puts thumbnails on every product showing the upload (detail and listing); media.deleted takes the image off")
    func thumbnailsFollowEvents() async throws {
        try await CatalogHarness.with { harness, http in
            let category = try await harness.category(http, "Prints")
            let (seller, _) = try await harness.openShop(http)
            let first = try await http.create(product("Harbour Print", category: category, sku: "HP-1"), token: seller)
            let second = try await http.create(product("River Print", category: category, sku: "RP-1"), token: seller)
            let media = UUID.v7()
            // as an attachment the media service vouched for would have stored it
            for product in [first.id, second.id] {
                try await harness.client.query("INSERT INTO product_images (product_id, media_id, position) VALUES (\(product), \(media), 0)", logger: testLogger())
            }
            let before = try await http.get("/api/v1/products/\(first.id)").decode(ProductDTO.self)
            #expect(before.images.first?.url == "http://localhost:8080/api/v1/media/\(media.uuidString.lowercased())/file")
            #expect(before.images.first?.thumbnails == nil)

            let thumbnails = MediaThumbnails(small: "http://localhost:8080/media/a-small.webp", medium: "http://localhost:8080/media/a-medium.webp",
                                             large: "http://localhost:8080/media/a-large.webp")
            let token = try TestServiceKeys.token(from: .media, to: .catalog)
            let ready = EventEnvelope(MediaEvent.ready, data: MediaChanged(mediaId: media, url: before.images[0].url, thumbnails: thumbnails))
            #expect(try await http.execute(uri: "/internal/events", method: .post, headers: TestHeaders.json(token: token), body: .json(ready)) { $0 }.status == .ok)
            // the cached copies are dropped through NOTIFY, which arrives just after the event's commit
            for product in [first.id, second.id] {
                #expect(try await eventually {
                    try await http.get("/api/v1/products/\(product)").decode(ProductDTO.self).images.first?.thumbnails == thumbnails
                }, "the cached detail was dropped")
            }
            #expect(try await eventually {
                let listing = try await http.get("/api/v1/products?category=\(category)").decode(ProductListDTO.self)
                return listing.items.count == 2 && listing.items.allSatisfy { $0.image?.url == thumbnails.medium }
            })

            let deleted = EventEnvelope(MediaEvent.deleted, data: MediaChanged(mediaId: media))
            #expect(try await http.execute(uri: "/internal/events", method: .post, headers: TestHeaders.json(token: token), body: .json(deleted)) { $0 }.status == .ok)
            #expect(try await eventually { try await http.get("/api/v1/products/\(first.id)").decode(ProductDTO.self).images.isEmpty })
        }
    }
}
