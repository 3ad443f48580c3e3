import CatalogAPI
import Foundation
import IdentityAPI
import NotificationAPI
import OrderAPI
import PlexusKit
import PlexusKitTesting
import ReviewAPI
import ShopAPI
import Testing

extension RunningSystems {
    /// From a delivered order to a published review with a photo and the seller's reply, through
    /// the gateway with every service running: the invitation e-mail, the catalogue's rating, the
    /// reply e-mail, and the demo's reviews on the listing. Run by ``MediaFlowTests`` on its system.
    enum ReviewFlowTests {
        static func deliveredOrderToReviewWithPhotoAndReply(_ system: RunningSystem) async throws {
            let api = API(gateway: system.gateway)
            let customer = try await api.login("customer@plexus.local", "plexus-customer-2026")
            let admin = try await api.login("admin@plexus.local", "plexus-admin-2026")

            // the demo's reviews reach the catalogue: the best rated products come first
            #expect(try await api.until(timeout: .seconds(60)) {
                let items = try api.decode(ProductListDTO.self, try await api.get("/api/v1/products?sort=rating&limit=5")).items
                return items.count == 5 && items.allSatisfy { $0.rating.count > 0 } && items.first!.rating.average >= items.last!.rating.average
            }, "the demo reviews' summaries did not reach the listing")

            // the demo customer's delivered order, and the invitation it brought
            let deliveredOrder = { @Sendable () async throws -> OrderDTO? in
                try api.decode(Page<OrderDTO>.self, try await api.get("/api/v1/orders?limit=100", token: customer)).items.first { $0.status == .delivered }
            }
            #expect(try await api.until(timeout: .seconds(60)) { try await deliveredOrder() != nil }, "up --demo placed no delivered order")
            let delivered = try #require(try await deliveredOrder())
            let line = try #require(delivered.lines.first)
            #expect(try await api.until {
                let mails = try api.decode(Page<NotificationDTO>.self, try await api.get("/api/v1/notifications?limit=100", token: customer)).items
                return mails.contains { $0.template == "review_invitation" && $0.subject == "How is your order \(delivered.number)?" }
            }, "no invitation e-mail")

            // not bought: refused; bought and delivered: a review with the customer's own photo
            let bought = Set(try api.decode(Page<OrderDTO>.self, try await api.get("/api/v1/orders?limit=100", token: customer)).items
                .flatMap { $0.lines.map(\.productId) })
            let other = try #require(try api.decode(ProductListDTO.self, try await api.get("/api/v1/products?limit=50")).items
                .first { !bought.contains($0.id) })
            let refused = try await api.post("/api/v1/products/\(other.id)/reviews", CreateReviewRequest(rating: 5, title: "t", body: "b"), token: customer)
            #expect(refused.status == 403 && refused.text.contains("not_purchased"), "\(refused.text)")
            let photo = try await MediaFlowTests.upload(api, try await MediaFlowTests.jpeg(width: 640, height: 480), token: customer)
            #expect(photo.status == 201, "\(photo.text)")
            struct Uploaded: Decodable { var id: UUID }
            let mediaID = try api.decode(Uploaded.self, photo).id
            let path = "/api/v1/products/\(line.productId)/reviews"
            let before = try api.decode(ProductReviewsPage.self, try await api.get(path)).summary
            let created = try await api.post(path, CreateReviewRequest(rating: 4, title: "Sturdy", body: "Arrived well packed.", mediaIds: [mediaID]),
                                             token: customer)
            #expect(created.status == 201, "\(created.text)")
            let review = try api.decode(ReviewDTO.self, created)
            #expect(review.photos.map(\.mediaId) == [mediaID] && review.authorName.hasSuffix("."))
            let page = try api.decode(ProductReviewsPage.self, try await api.get(path))
            #expect(page.items.first?.id == review.id && page.summary.count == before.count + 1)
            // the catalogue's detail follows from the summary event
            #expect(try await api.until {
                let rating = try api.decode(ProductDTO.self, try await api.get("/api/v1/products/\(line.productId)")).rating
                return rating.count == page.summary.count && rating.histogram == page.summary.histogram
            }, "the catalogue's rating did not follow")
            // the photo's thumbnails arrive from media.ready
            #expect(try await api.until(timeout: .seconds(30)) {
                try api.decode(ReviewDTO.self, try await api.get("/api/v1/reviews/\(review.id)")).photos.first?.thumbnails?.small != nil
            }, "the photo's thumbnails did not arrive")

            // the product's seller replies (found as the admin sees the shop's owner); the author is told
            let shop = try api.decode(ShopPageDTO.self, try await api.get("/api/v1/shops/\(line.shopId)")).shop
            let users = try api.decode(Page<UserDTO>.self, try await api.get("/api/v1/admin/users?limit=100", token: admin)).items
            let owner = try #require(users.first { $0.id == shop.ownerId })
            let seller = try await api.login(owner.email, "plexus-seller-2026")
            let replied = try await api.post("/api/v1/reviews/\(review.id)/reply", ReplyRequest(body: "Thank you, enjoy it!"), token: seller)
            #expect(replied.status == 201, "\(replied.text)")
            let notSeller = try await api.post("/api/v1/reviews/\(review.id)/reply", ReplyRequest(body: "Me too"), token: customer)
            #expect(notSeller.status == 403)
            #expect(try await api.until {
                let mails = try api.decode(Page<NotificationDTO>.self, try await api.get("/api/v1/notifications?limit=100", token: customer)).items
                return mails.contains { $0.template == "review_reply" }
            }, "no reply e-mail")
            #expect(!system.output.contains("request failed"), "a server error was logged")
        }
    }
}
