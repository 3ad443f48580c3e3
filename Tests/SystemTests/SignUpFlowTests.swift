import AsyncHTTPClient
import CartAPI
import CatalogAPI
import Foundation
import OrderAPI
import IdentityAPI
import NIOCore
import PlexusKit
import PlexusKitTesting
import ShopAPI
import Testing

extension RunningSystems {
    /// Starts the real system (`plexus up`: embedded PostgreSQL, one process per service) and walks
    /// register → mailbox → verify → login → me through the gateway, then browses the demo catalogue,
    /// opens a shop, becomes a seller and sells a product, as a person would with curl.
    @Suite struct SignUpFlowTests {
        @Test func registerVerifyLoginMeThroughTheGateway() async throws {
            // setup: `plexus up --demo`; debug adds each service's access line, so one request's trail is complete
            let system = try await RunningSystem(settings: ["PLEXUS_LOG_LEVEL": "debug"])
            defer { system.stop() }
            let gateway = system.gateway
            let gatewayPort = system.gatewayPort
            let log = system.log
            let up = system.process

            // act + assert: the person's walk
            let email = "walk-\(RandomToken.hex(bytes: 3))@example.com"
            let requestID = "trail-\(RandomToken.hex(bytes: 6))"
            let registered = try await post(gateway + "/api/v1/auth/register", RegisterRequest(email: email, password: "a long passphrase", name: "Walker"),
                                            headers: ["X-Request-ID": requestID])
            #expect(registered.status == 201)
            #expect(try await eventually(timeout: .seconds(20)) { try await get(gateway + "/dev/mailbox/latest?to=\(email)").status == 200 })
            // one request id finds the whole trail: the gateway, identity (request, event delivery job) and
            // notification (event, e-mail job)
            let trailed = try await eventually(timeout: .seconds(10)) {
                let lines = (try String(contentsOf: log, encoding: .utf8)).split(separator: "\n").filter { $0.contains(requestID) }
                // `plexus up` prefixes each child's lines with its name padded to 12 and a bar
                let services = ["gateway", "identity", "notification"].filter { name in
                    lines.contains { $0.contains(name.padding(toLength: 12, withPad: " ", startingAt: 0) + "|") }
                }
                return services.count == 3
                    && lines.contains { $0.contains("event applied") } && lines.contains { $0.contains("job done") && $0.contains("notification.send_email") }
            }
            #expect(trailed, "the logs do not show \(requestID) in gateway, identity and notification")
            let latest = try await get(gateway + "/dev/mailbox/latest?to=\(email)")
            let mail = try JSON.decoder.decode([String: String].self, from: Data(buffer: latest.body))
            let link = try #require(mail["text"]?.split(whereSeparator: \.isWhitespace).first { $0.contains("/verify-email?token=") })
            #expect(link.hasPrefix("http://localhost:\(gatewayPort)/verify-email"))
            let token = try #require(URLComponents(string: String(link))?.queryItems?.first { $0.name == "token" }?.value)
            let page = try await get(gateway + "/verify-email?token=\(token)")
            #expect(page.status == 200 && String(buffer: page.body).contains("<form"))
            #expect(try await post(gateway + "/api/v1/auth/verify-email", TokenRequest(token: token)).status == 200)
            let login = try await post(gateway + "/api/v1/auth/login", LoginRequest(email: email, password: "a long passphrase"))
            #expect(login.status == 200)
            let pair = try JSON.decoder.decode(TokenPair.self, from: Data(buffer: login.body))
            let me = try await get(gateway + "/api/v1/users/me", token: pair.accessToken)
            #expect(me.status == 200)
            #expect(try JSON.decoder.decode(UserDTO.self, from: Data(buffer: me.body)).email == email)

            // the demo catalogue answers a misspelt search
            let search = try await get(gateway + "/api/v1/products?q=wireles%20hedphones")
            #expect(search.status == 200)
            let found = try JSON.decoder.decode(ProductListDTO.self, from: Data(buffer: search.body))
            #expect(!found.items.isEmpty && found.items.allSatisfy { $0.name.contains("Wireless Headphones") })

            // open a shop; identity makes the owner a seller through the shop.created event
            let opened = try await post(gateway + "/api/v1/shops", CreateShopRequest(name: "Walker Goods \(RandomToken.hex(bytes: 2))"), token: pair.accessToken)
            #expect(opened.status == 201, "\(String(buffer: opened.body))")
            let shop = try JSON.decoder.decode(ShopDTO.self, from: Data(buffer: opened.body))
            let refreshToken = LockedBox(pair.refreshToken)
            let sellerToken = LockedBox("")
            let promoted = try await eventually(timeout: .seconds(20)) {
                let reply = try await post(gateway + "/api/v1/auth/refresh", RefreshRequest(refreshToken: refreshToken.value))
                guard reply.status == 200 else { return false }
                let next = try JSON.decoder.decode(TokenPair.self, from: Data(buffer: reply.body))
                refreshToken.value = next.refreshToken
                sellerToken.value = next.accessToken
                // The token itself must carry the role (the user record may have it a moment before a token does).
                let claims = next.accessToken.split(separator: ".").dropFirst().first.flatMap { Data(base64URLEncoded: $0) }
                struct Claims: Decodable { var roles: [String] }
                return try claims.map { try JSONDecoder().decode(Claims.self, from: $0).roles.contains(Role.seller.rawValue) } ?? false
            }
            #expect(promoted)

            // sell a product and find it
            let tree = try JSON.decoder.decode([CategoryDTO].self, from: Data(buffer: try await get(gateway + "/api/v1/categories").body))
            let leaf = try #require(tree.first?.children.first)
            let sku = "WALK-\(RandomToken.hex(bytes: 3))"
            let created = try await post(gateway + "/api/v1/products", CreateProductRequest(
                name: "Walker Zebrawood Ukulele", description: "Handmade.", categoryId: leaf.id, status: .published,
                variants: [CreateVariantRequest(sku: sku, options: ["size": "Concert"], price: Money(amount: 12900, currency: "USD"), stock: 2)]
            ), token: sellerToken.value)
            #expect(created.status == 201, "\(String(buffer: created.body))")
            let listed = try await get(gateway + "/api/v1/products?q=zebrawod%20ukulel&shop=\(shop.id)")
            #expect(try JSON.decoder.decode(ProductListDTO.self, from: Data(buffer: listed.body)).items.map(\.name) == ["Walker Zebrawood Ukulele"])
            let shopPage = try await get(gateway + "/api/v1/shops/\(shop.slug)")
            #expect(String(buffer: shopPage.body).contains("Walker Zebrawood Ukulele"))

            // a guest fills a cart through the gateway; signed in, it merges into the user's cart; the
            // seller's own product is refused
            let headphones = try #require(found.items.first { $0.inStock })
            let detail = try JSON.decoder.decode(ProductDTO.self, from: Data(buffer: try await get(gateway + "/api/v1/products/\(headphones.id)").body))
            let variant = try #require(detail.variants.first { $0.available > 0 })
            let guestCart = try await HTTPClient.plexus.execute(HTTPClientRequest(url: gateway + "/api/v1/cart"), timeout: .seconds(10))
            #expect(guestCart.status == .ok)
            let cartToken = try #require(guestCart.headers.first(name: "X-Cart-Token"))
            let added = try await post(gateway + "/api/v1/cart/items", AddCartItemRequest(variantId: variant.id, quantity: 1), headers: ["X-Cart-Token": cartToken])
            #expect(added.status == 200, "\(String(buffer: added.body))")
            #expect(try JSON.decoder.decode(CartDTO.self, from: Data(buffer: added.body)).subtotal == variant.price)
            let merged = try await post(gateway + "/api/v1/cart/merge", MergeCartRequest(cartToken: cartToken), token: sellerToken.value)
            #expect(merged.status == 200, "\(String(buffer: merged.body))")
            #expect(try JSON.decoder.decode(CartDTO.self, from: Data(buffer: merged.body)).lines.map(\.variantId) == [variant.id])
            // the demo code WELCOME10 takes 10 % off; the expired demo code says so
            let discounted = try await put(gateway + "/api/v1/cart/promotion", ApplyPromotionRequest(code: "welcome10"), token: sellerToken.value)
            #expect(discounted.status == 200, "\(String(buffer: discounted.body))")
            let withCode = try JSON.decoder.decode(CartDTO.self, from: Data(buffer: discounted.body))
            #expect(withCode.discount.amount == variant.price.amount / 10 && withCode.total.amount == variant.price.amount - variant.price.amount / 10)
            let expired = try await put(gateway + "/api/v1/cart/promotion", ApplyPromotionRequest(code: "SPRING24"), token: sellerToken.value)
            #expect(expired.status == 422 && String(buffer: expired.body).contains("promotion_expired"))
            let ukulele = try JSON.decoder.decode(ProductDTO.self, from: Data(buffer: created.body))
            let own = try await post(gateway + "/api/v1/cart/items", AddCartItemRequest(variantId: ukulele.variants[0].id, quantity: 1), token: sellerToken.value)
            #expect(own.status == 409 && String(buffer: own.body).contains("own_product"))

            // logging out everywhere stops the old access token within seconds, at the gateway and at the
            // catalogue itself (identity's revocation feed)
            let oldToken = sellerToken.value
            #expect(try await post(gateway + "/api/v1/auth/logout-all", [String: String](), token: oldToken).status == 204)
            let another = CreateProductRequest(name: "Walker Maple Ukulele", description: "Handmade.", categoryId: leaf.id, status: .published,
                                               variants: [CreateVariantRequest(sku: sku + "-2", options: [:], price: Money(amount: 9900, currency: "USD"), stock: 1)])
            let catalog = "http://127.0.0.1:\(system.ports[.catalog]!)"
            let revoked = try await eventually(timeout: .seconds(10)) {
                let viaGateway = try await post(gateway + "/api/v1/products", another, token: oldToken)
                let direct = try await post(catalog + "/api/v1/products", another, token: oldToken)
                return viaGateway.status == 401 && direct.status == 401 && String(buffer: direct.body).contains("token_revoked")
            }
            #expect(revoked, "the revoked token still works")

            // `up --demo` placed the demo customer's orders through the gateway, in five states, and the books balance
            let customer = try JSON.decoder.decode(TokenPair.self, from: Data(buffer: try await post(gateway + "/api/v1/auth/login",
                LoginRequest(email: "customer@plexus.local", password: "plexus-customer-2026")).body)).accessToken
            let statuses = LockedBox([OrderStatus]())
            let placed = try await eventually(timeout: .seconds(60)) {
                let page = try JSON.decoder.decode(Page<OrderDTO>.self, from: Data(buffer: try await get(gateway + "/api/v1/orders", token: customer).body))
                statuses.value = page.items.map(\.status)
                return Set(statuses.value) == [.delivered, .shipped, .paid, .pendingPayment, .refunded]
            }
            #expect(placed, "demo orders: \(statuses.value)")
            let audit = try await system.auditUntilClean()
            #expect(audit.clean, "plexus audit: \(audit.output)")

            // Ctrl-C stops everything cleanly
            kill(up.processIdentifier, SIGINT)
            let stopped = try await eventually(timeout: .seconds(30)) { !up.isRunning }
            #expect(stopped)
            #expect(try await eventually(timeout: .seconds(5)) { (try? await get(gateway + "/health/live")) == nil })
        }

        func get(_ url: String, token: String? = nil) async throws -> RunningSystem.Reply { try await RunningSystem.get(url, token: token) }

        func post(_ url: String, _ body: some Encodable, token: String? = nil, headers: [String: String] = [:]) async throws -> RunningSystem.Reply {
            try await RunningSystem.post(url, body, token: token, headers: headers)
        }

        func put(_ url: String, _ body: some Encodable, token: String? = nil) async throws -> RunningSystem.Reply {
            try await RunningSystem.post(url, body, token: token, method: .PUT)
        }
    }
}

/// A mutable value shared with a `@Sendable` polling closure.
final class LockedBox<Value: Sendable>: @unchecked Sendable {
    // Safe: every access goes through `lock`.
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
