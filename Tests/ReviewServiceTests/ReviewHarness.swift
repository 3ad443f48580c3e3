import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IdentityService
@testable import MediaService
import NIOCore
import OrderAPI
import PlexusKit
import PlexusKitTesting
import ReviewAPI
import ReviewService
import ServiceLifecycle
import ShopAPI
import Testing

/// A real review router over its own database, with a real identity (names) and a real media
/// service (photos) on sockets, each over its own database. Users are rows in identity's
/// database; purchases and shops arrive as the order and shop services' events would.
struct ReviewHarness: Sendable {
    let client: DatabaseClient
    let identity: DatabaseClient
    let issuer: TestIssuer
    let mediaBase: String
    /// The review service's companions (its cache listener).
    let companions: [any Service]

    static func with<T: Sendable>(cacheEntries: Int = 0, _ body: @Sendable (ReviewHarness, any TestClientProtocol) async throws -> T) async throws -> T {
        let issuer = try TestIssuer()
        let identityURL = try await TestPostgres.shared.makeDatabase(try IdentityService.migrations.filter { $0.component != "kit" })
        let mediaURL = try await TestPostgres.shared.makeDatabase(try MediaService.migrations.filter { $0.component != "kit" })
        let reviewURL = try await TestPostgres.shared.makeDatabase(try ReviewService.migrations.filter { $0.component != "kit" })
        let identityDatabase = Database(url: identityURL, maxConnections: 10, logger: testLogger())
        let mediaDatabase = Database(url: mediaURL, maxConnections: 10, logger: testLogger())
        let reviewDatabase = Database(url: reviewURL, maxConnections: 40, logger: testLogger())
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-review-test-\(RandomToken.hex(bytes: 4))")
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await identityDatabase.client.withRunning { identityDB in
            try await mediaDatabase.client.withRunning { _ in
                try await reviewDatabase.client.withRunning { reviewDB in
                    let mediaConfiguration = MediaConfiguration(common: .test(.media, database: mediaURL), store: .local(directory: directory))
                    let media = try await TestServices.assemble(MediaService.self, configuration: mediaConfiguration, database: mediaDatabase,
                                                                verifier: issuer.verifier)
                    return try await withLiveServer(media.parts.router.router) { mediaPort in
                        let identityConfiguration = IdentityConfiguration(common: .test(.identity, database: identityURL),
                                                                          signingKeys: try SigningKeyRing(encoded: SigningKeyRing.generateEncoded()), bcryptCost: 4)
                        let identity = try await TestServices.assemble(IdentityService.self, configuration: identityConfiguration, database: identityDatabase)
                        return try await withLiveServer(identity.parts.router.router) { identityPort in
                            let urls: [ServiceName: String] = [.identity: "http://127.0.0.1:\(identityPort)", .media: "http://127.0.0.1:\(mediaPort)"]
                            let configuration = ReviewConfiguration(common: .test(.review, database: reviewURL, serviceURLs: urls), cacheEntries: cacheEntries)
                            let review = try await TestServices.assemble(ReviewService.self, configuration: configuration, database: reviewDatabase,
                                                                         verifier: issuer.verifier)
                            let harness = ReviewHarness(client: reviewDB, identity: identityDB, issuer: issuer, mediaBase: urls[.media]!,
                                                        companions: review.parts.companions)
                            return try await Application(router: review.parts.router.router).test(.router) { http in try await body(harness, http) }
                        }
                    }
                }
            }
        }
    }

    /// A customer identity knows by `name`, and their access token.
    func customer(_ name: String = "Ada Lovelace", roles: [Role] = [.customer]) async throws -> (id: UUID, token: String) {
        let id = UUID.v7()
        try await identity.query("""
            INSERT INTO users (id, email, name, password_hash, roles, email_verified)
            VALUES (\(id), \("user-\(id.uuidString.lowercased())@example.com"), \(name), 'not-a-hash', \(roles.map(\.rawValue)), true)
            """, logger: testLogger())
        return (id, try await issuer.token(user: id, roles: roles))
    }

    func admin() async throws -> String { try await customer("Admin Person", roles: [.customer, .admin]).token }

    /// A shop the review service learnt from `shop.created`, with its owner's seller token.
    func shop(_ http: any TestClientProtocol) async throws -> (id: UUID, owner: UUID, token: String) {
        let owner = try await customer("Sam Seller", roles: [.customer, .seller])
        let shop = UUID.v7()
        try await deliver(http, EventEnvelope(ShopEvent.created, data: ShopChanged(shopId: shop, ownerId: owner.id, name: "Shop", slug: "shop-\(shop)")),
                          from: .shop)
        return (shop, owner.id, owner.token)
    }

    /// Posts an event to the review service as its publisher would.
    func deliver<Payload>(_ http: any TestClientProtocol, _ event: EventEnvelope<Payload>, from publisher: ServiceName) async throws {
        let response = try await http.execute(uri: "/internal/events", method: .post,
                                              headers: TestHeaders.json(token: try TestServiceKeys.token(from: publisher, to: .review)), body: .json(event)) { $0 }
        #expect(response.status == .ok, "\(String(buffer: response.body))")
    }

    /// `order.paid` (and unless `delivered` is false, `order.delivered`) for `customer`'s order of `products`.
    @discardableResult
    func order(_ http: any TestClientProtocol, customer: UUID, products: [(id: UUID, name: String)], shop: UUID, delivered: Bool = true) async throws -> UUID {
        let order = UUID.v7()
        let price = Money(amount: 1_000, currency: "USD")
        let lines = products.map { OrderEventLine(variantId: .v7(), productId: $0.id, productName: $0.name, shopId: shop, quantity: 1, unitPrice: price,
                                                  netTotal: price) }
        func data(_ status: OrderStatus) -> OrderEventData {
            OrderEventData(orderId: order, number: "PLX-\(order.uuidString.prefix(6))", customerId: customer, status: status, lines: lines,
                           subtotal: price, discount: Money(amount: 0, currency: "USD"), shipping: Money(amount: 0, currency: "USD"), total: price,
                           promotionCode: nil, reason: nil, wasPaid: true, at: Date())
        }
        try await deliver(http, EventEnvelope(OrderEvent.paid, data: data(.paid)), from: .order)
        if delivered { try await deliver(http, EventEnvelope(OrderEvent.delivered, data: data(.delivered)), from: .order) }
        return order
    }

    /// A real upload to the media service by the holder of `token`; its id.
    func upload(token: String) async throws -> UUID {
        let boundary = "plexus-review-boundary"
        var body = ByteBuffer()
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.png\"\r\nContent-Type: image/png\r\n\r\n")
        body.writeBytes(DemoPictures.picture(1))
        body.writeString("\r\n--\(boundary)--\r\n")
        var request = HTTPClientRequest(url: mediaBase + "/api/v1/media")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.body = .bytes(body)
        let response = try await HTTPClient.plexus.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        #expect(response.status == .created, "\(String(buffer: bytes))")
        struct Created: Decodable { var id: UUID }
        return try JSONDecoder().decode(Created.self, from: Data(buffer: bytes)).id
    }

    /// The payloads of the events of `type` the review service published, oldest first.
    func published<Payload: Decodable>(_ type: EventType<Payload>) async throws -> [Payload] {
        var payloads: [Payload] = []
        for try await json in try await client.query("SELECT payload->>'data' FROM outbox WHERE type = \(type.name) ORDER BY created_at, id",
                                                     logger: testLogger()).decode(String.self) {
            payloads.append(try JSON.decoder.decode(Payload.self, from: Data(json.utf8)))
        }
        return payloads
    }
}

extension TestClientProtocol {
    func review(_ product: UUID, _ request: CreateReviewRequest, token: String?) async throws -> TestResponse {
        try await send(.post, "/api/v1/products/\(product)/reviews", request, token: token)
    }
}
