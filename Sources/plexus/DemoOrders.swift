import AsyncHTTPClient
import CartAPI
import CatalogAPI
import Foundation
import IdentityAPI
import NIOCore
import NIOHTTP1
import OrderAPI
import PaymentAPI
import PlexusKit

/// The orders `up --demo` places through the gateway, as the demo customer would, so that order
/// pages, the admin's lists and the sellers' reports are not empty: one delivered (two shops, with
/// WELCOME10), one shipped, one paid, one waiting for its payment and one cancelled and refunded.
/// Placed once: a customer who has orders already is left alone.
struct DemoOrders {
    let gateway: String

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Places them; returns the banner line.
    func place() async throws -> String {
        guard try await ready() else { throw Failure(description: "the services did not become ready") }
        let customer = try await login("customer@plexus.local", "plexus-customer-2026")
        let admin = try await login("admin@plexus.local", "plexus-admin-2026")
        guard try await call(Page<OrderDTO>.self, .GET, "/api/v1/orders?limit=1", token: customer).items.isEmpty else {
            return "orders    the demo customer has orders already; left as they are"
        }
        let variants = try await variants(count: 6)
        guard variants.count >= 6 else { throw Failure(description: "not enough products in stock") }

        // delivered: a cart with two shops' products and WELCOME10
        for variant in variants[0...1] {
            _ = try await call(CartDTO.self, .POST, "/api/v1/cart/items", AddCartItemRequest(variantId: variant.id, quantity: 1), token: customer)
        }
        _ = try await call(CartDTO.self, .PUT, "/api/v1/cart/promotion", ApplyPromotionRequest(code: "WELCOME10"), token: customer)
        let delivered = try await checkout(nil, token: customer)
        try await pay(delivered, token: customer)
        for fulfilment in delivered.order.fulfilments {
            _ = try await call(OrderDTO.self, .POST, "/api/v1/orders/\(delivered.order.id)/ship",
                               ShipRequest(carrier: "UPS", trackingNumber: "1Z\(Int.random(in: 100_000_000...999_999_999))", shopId: fulfilment.shopId), token: admin)
            _ = try await call(OrderDTO.self, .POST, "/api/v1/orders/\(delivered.order.id)/deliver", DeliverRequest(shopId: fulfilment.shopId), token: admin)
        }
        // shipped, paid, waiting, cancelled
        let shipped = try await checkout(variants[2], token: customer)
        try await pay(shipped, token: customer)
        _ = try await call(OrderDTO.self, .POST, "/api/v1/orders/\(shipped.order.id)/ship",
                           ShipRequest(carrier: "DHL", trackingNumber: "JD0146000\(Int.random(in: 10_000...99_999))", shopId: variants[2].shopId), token: admin)
        try await pay(try await checkout(variants[3], token: customer), token: customer)
        _ = try await checkout(variants[4], token: customer)
        let cancelled = try await checkout(variants[5], token: customer)
        try await pay(cancelled, token: customer)
        _ = try await call(OrderDTO.self, .POST, "/api/v1/orders/\(cancelled.order.id)/cancel", [String: String](), token: customer)
        return "orders    5 for customer@plexus.local: delivered, shipped, paid, awaiting payment, cancelled and refunded"
    }

    struct Candidate {
        var id: UUID
        var shopId: UUID
    }

    /// In-stock variants of different shops where possible.
    func variants(count: Int) async throws -> [Candidate] {
        let list = try await call(ProductListDTO.self, .GET, "/api/v1/products?limit=40&inStock=true&sort=newest")
        var found: [Candidate] = []
        var shops: [UUID] = []
        for summary in list.items where found.count < count {
            let product = try await call(ProductDTO.self, .GET, "/api/v1/products/\(summary.id)")
            guard let variant = product.variants.first(where: { $0.available >= 3 }) else { continue }
            if found.count < 2 && shops.contains(product.shopId) { continue }
            shops.append(product.shopId)
            found.append(Candidate(id: variant.id, shopId: product.shopId))
        }
        return found
    }

    func checkout(_ item: Candidate?, token: String) async throws -> CheckoutResult {
        let address = ShippingAddress(name: "Casey Customer", line1: "12 Market Street", city: "Springfield", region: "IL", postalCode: "62701", country: "US")
        let body = CheckoutRequest(shippingAddress: address, items: item.map { [CheckoutItem(variantId: $0.id, quantity: 1)] })
        return try await call(CheckoutResult.self, .POST, "/api/v1/orders/checkout", body, token: token, key: UUID().uuidString)
    }

    /// Pays with the sandbox's good test card and waits until the order is paid.
    func pay(_ result: CheckoutResult, token: String) async throws {
        guard let payment = result.payment else { throw Failure(description: "no payment was opened") }
        _ = try await call(PaymentDTO.self, .POST, "/api/v1/payments/\(payment.id)/confirm",
                           ConfirmPaymentRequest(paymentMethod: .card("4242 4242 4242 4242", expMonth: 12, expYear: 2034)), token: token, key: UUID().uuidString)
        for _ in 0..<100 {
            if try await call(OrderDTO.self, .GET, "/api/v1/orders/\(result.order.id)", token: token).status == .paid { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: "order \(result.order.number) did not become paid")
    }

    func login(_ email: String, _ password: String) async throws -> String {
        try await call(TokenPair.self, .POST, "/api/v1/auth/login", LoginRequest(email: email, password: password)).accessToken
    }

    func ready() async throws -> Bool {
        for _ in 0..<150 {
            if let response = try? await HTTPClient.plexus.execute(HTTPClientRequest(url: gateway + "/health/ready"), timeout: .seconds(2)),
               response.status == .ok { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    /// One call through the gateway. A 503 with `Retry-After` is tried again after the time it names
    /// (for up to a minute): just after a start, ten services asking identity at once can open their
    /// breakers to it for a few seconds, and tokens cannot be checked until they close.
    func call<Output: Decodable>(_ type: Output.Type, _ method: HTTPMethod, _ path: String, _ body: (some Encodable)? = nil as String?,
                                 token: String? = nil, key: String? = nil) async throws -> Output {
        var request = HTTPClientRequest(url: gateway + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let key { request.headers.add(name: "Idempotency-Key", value: key) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSON.encoder.encode(body)))
        }
        let giveUp = ContinuousClock.now + .seconds(60)
        while true {
            let response = try await HTTPClient.plexus.execute(request, timeout: .seconds(15))
            let bytes = try await response.body.collect(upTo: 4 << 20)
            if response.status == .serviceUnavailable, let wait = response.headers.first(name: "Retry-After").flatMap(Int.init),
               ContinuousClock.now + .seconds(wait) < giveUp {
                try await Task.sleep(for: .seconds(max(1, wait)))
                continue
            }
            guard (200..<300).contains(Int(response.status.code)) else {
                throw Failure(description: "\(method) \(path) answered \(response.status.code): \(String(buffer: bytes).prefix(300))")
            }
            return try JSON.decoder.decode(Output.self, from: Data(buffer: bytes))
        }
    }
}
