import CartAPI
import CartService
import CatalogAPI
import Foundation
import Logging
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlexusKit
import PlexusKitTesting
import PromotionAPI
import Testing

@Suite("Cart routes")
struct CartRouteTests {
    @Test("a guest gets a token, adds, adds up, changes and removes lines; every total is the server's")
    func guestCart() async throws {
        try await CartHarness.with { harness, http in
            // setup: a product at 19.99 with 5 in stock and one at 5.00
            let seller = try await harness.openShop()
            let mug = try await harness.product("Stoneware Mug", price: 1999, stock: 5, seller: (seller.token, seller.category))
            let cap = try await harness.product("Wool Cap", price: 500, stock: 50, seller: (seller.token, seller.category))

            // act + expect: the first call makes a guest cart and hands back its token
            let first = try await http.cart(.get, "/api/v1/cart")
            #expect(first.status == .ok)
            let token = try #require(first.cartToken)
            #expect(token.count == 43)
            #expect(try first.decode(CartDTO.self).lines.isEmpty)
            #expect(try await harness.cartDB.column("SELECT count(*)::int FROM carts WHERE token_hash = \(RandomToken.sha256Hex(token))", as: Int.self) == [1])

            let added = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: mug.variant, quantity: 2), cartToken: token)
            #expect(added.status == .ok)
            #expect(added.cartToken == nil, "the token is handed out once")
            _ = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: mug.variant, quantity: 1), cartToken: token)
            let withCap = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: cap.variant, quantity: 4), cartToken: token)
            let cart = try withCap.decode(CartDTO.self)
            #expect(cart.lines.map(\.quantity) == [3, 4], "the same variant adds up")
            #expect(cart.lines[0].unitPrice.amount == 1999 && cart.lines[0].lineTotal.amount == 5997)
            #expect(cart.subtotal.amount == 5997 + 2000 && cart.total == cart.subtotal && cart.discount.amount == 0)
            #expect(withCap.headers[.eTag] == "\"\(cart.version)\"")

            // more than is in stock, more than 99, a price from the client: refused, nothing changes
            let tooMany = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: mug.variant, quantity: 3), cartToken: token)
            #expect(try tooMany.status == .conflict && (try tooMany.problem().code) == "insufficient_stock")
            let hundred = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: cap.variant, quantity: 99), cartToken: token)
            #expect(hundred.status == .badRequest || hundred.status == .unprocessableContent)
            let priced = try await http.execute(uri: "/api/v1/cart/items", method: .post,
                                                headers: TestHeaders.json(extra: [HTTPField.Name("X-Cart-Token")!: token]),
                                                body: .raw(#"{"variantId":"\#(cap.variant)","quantity":1,"price":{"amount":1,"currency":"USD"}}"#)) { $0 }
            #expect(priced.status == .badRequest)
            let unknown = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: UUID.v7(), quantity: 1), cartToken: token)
            #expect(try unknown.status == .unprocessableContent && (try unknown.problem().code) == "not_purchasable")
            let unchanged = try await http.cart(.get, "/api/v1/cart", cartToken: token).decode(CartDTO.self)
            #expect(unchanged.version == cart.version && unchanged.subtotal == cart.subtotal)

            // change and remove, with and without If-Match
            let stale = try await http.cart(.patch, "/api/v1/cart/items/\(cart.lines[1].id)", UpdateCartItemRequest(quantity: 1),
                                            cartToken: token, ifMatch: "\"\(cart.version - 1)\"")
            #expect(try stale.status == .preconditionFailed && (try stale.problem().code) == "version_mismatch")
            let changed = try await http.cart(.patch, "/api/v1/cart/items/\(cart.lines[1].id)", UpdateCartItemRequest(quantity: 1),
                                              cartToken: token, ifMatch: "\"\(cart.version)\"")
            #expect(changed.status == .ok)
            #expect(try changed.decode(CartDTO.self).lines[1].quantity == 1)
            let removed = try await http.cart(.delete, "/api/v1/cart/items/\(cart.lines[0].id)", cartToken: token)
            #expect(try removed.decode(CartDTO.self).lines.map(\.variantId) == [cap.variant])

            // another guest's cart never sees these lines; a line id of another cart is a 404
            let other = try await http.cart(.get, "/api/v1/cart")
            let otherToken = try #require(other.cartToken)
            #expect(try other.decode(CartDTO.self).lines.isEmpty)
            let foreign = try await http.cart(.delete, "/api/v1/cart/items/\(cart.lines[1].id)", cartToken: otherToken)
            #expect(foreign.status == .notFound)
        }
    }

    @Test("signing in merges the guest cart once: quantities add, capped by stock, even when two merges race")
    func mergeOnSignIn() async throws {
        try await CartHarness.with { harness, http in
            // setup: the user has 2 mugs; as a guest they put 3 mugs (4 in stock) and a cap in a cart
            let seller = try await harness.openShop()
            let mug = try await harness.product("Stoneware Mug", price: 1999, stock: 4, seller: (seller.token, seller.category))
            let cap = try await harness.product("Wool Cap", price: 500, stock: 10, seller: (seller.token, seller.category))
            let user = try await harness.issuer.token()
            _ = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: mug.variant, quantity: 2), token: user)
            let guest = try #require(try await http.cart(.get, "/api/v1/cart").cartToken)
            _ = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: mug.variant, quantity: 3), cartToken: guest)
            _ = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: cap.variant, quantity: 1), cartToken: guest)

            // act: two merges of the same guest cart at once
            async let one = http.cart(.post, "/api/v1/cart/merge", MergeCartRequest(cartToken: guest), token: user)
            async let two = http.cart(.post, "/api/v1/cart/merge", MergeCartRequest(cartToken: guest), token: user)
            let statuses = try await [one.status, two.status]

            // expect: one merged, the other found nothing; the mugs capped at the 4 in stock
            #expect(statuses.sorted { $0.code < $1.code } == [.ok, .notFound])
            let merged = try await http.cart(.get, "/api/v1/cart", token: user).decode(CartDTO.self)
            #expect(Dictionary(uniqueKeysWithValues: merged.lines.map { ($0.variantId, $0.quantity) }) == [mug.variant: 4, cap.variant: 1])
            #expect(try await harness.cartDB.column("SELECT count(*)::int FROM carts WHERE user_id IS NULL", as: Int.self) == [0])

            // a bearer token with a cart token merges on its own
            let later = try #require(try await http.cart(.get, "/api/v1/cart").cartToken)
            _ = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: cap.variant, quantity: 2), cartToken: later)
            let automatic = try await http.cart(.get, "/api/v1/cart", token: user, cartToken: later).decode(CartDTO.self)
            #expect(automatic.lines.first { $0.variantId == cap.variant }?.quantity == 3)
        }
    }

    @Test("a read shows what changed: an archived product is unavailable, a new price is pointed out, few left is said")
    func readShowsChanges() async throws {
        try await CartHarness.with { harness, http in
            let seller = try await harness.openShop()
            let mug = try await harness.product("Stoneware Mug", price: 1999, stock: 10, seller: (seller.token, seller.category))
            let cap = try await harness.product("Wool Cap", price: 500, stock: 10, seller: (seller.token, seller.category))
            let user = try await harness.issuer.token()
            _ = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: mug.variant, quantity: 3), token: user)
            _ = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: cap.variant, quantity: 1), token: user)

            // act: the seller archives the cap, lowers the mug's price and sells all but 2
            #expect(try await harness.catalog.delete("/api/v1/products/\(cap.product)", token: seller.token).status == .noContent)
            let product = try await harness.catalog.get("/api/v1/products/\(mug.product)").decode(ProductDTO.self)
            let variant = product.variants[0]
            #expect(try await harness.catalog.send(.patch, "/api/v1/variants/\(variant.id)", ["price": Money(amount: 1799, currency: "USD")],
                                                   token: seller.token).status == .ok)
            #expect(try await harness.catalog.send(.put, "/api/v1/variants/\(variant.id)/stock", ["onHand": 2], token: seller.token).status == .ok)

            // expect
            let cart = try await http.cart(.get, "/api/v1/cart", token: user).decode(CartDTO.self)
            let mugLine = try #require(cart.lines.first { $0.variantId == mug.variant })
            let capLine = try #require(cart.lines.first { $0.variantId == cap.variant })
            #expect(capLine.availability == .unavailable && capLine.notices == ["No longer available."])
            #expect(mugLine.availability == .limited && mugLine.available == 2 && mugLine.unitPrice.amount == 1799)
            #expect(mugLine.priceChangedFrom?.amount == 1999)
            #expect(mugLine.notices.contains("Only 2 left.") && mugLine.notices.contains { $0.contains("19.99 USD to 17.99 USD") })
            #expect(cart.subtotal.amount == 2 * 1799 && cart.itemCount == 2 && !cart.readyForCheckout)
        }
    }

    @Test("a read of a ten-line cart makes one catalogue call")
    func oneCatalogueCallPerRead() async throws {
        try await CartHarness.with { harness, http in
            let seller = try await harness.openShop()
            let user = try await harness.issuer.token()
            for index in 0..<10 {
                let item = try await harness.product("Item \(index)", price: 100 + index, stock: 5, seller: (seller.token, seller.category))
                _ = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: item.variant, quantity: 1), token: user)
            }
            let before = harness.quotes.calls
            let read = try await http.cart(.get, "/api/v1/cart", token: user)
            let cart = try read.decode(CartDTO.self)
            #expect(cart.lines.count == 10 && cart.subtotal.amount == (100..<110).reduce(0, +))
            #expect(harness.quotes.calls - before == 1)
            // in the order they were added, with the version of the lines shown as the ETag
            #expect(cart.lines.map(\.productName) == (0..<10).map { "Item \($0)" })
            #expect(read.headers[.eTag] == "\"\(cart.version)\"" && cart.version == 11)
        }
    }

    @Test("a signed-in read finds no cart (one is made), then an empty one, then one with lines")
    func signedInReads() async throws {
        try await CartHarness.with { harness, http in
            let seller = try await harness.openShop()
            let mug = try await harness.product("Stoneware Mug", price: 1999, stock: 4, seller: (seller.token, seller.category))
            let user = try await harness.issuer.token()
            let first = try await http.cart(.get, "/api/v1/cart", token: user).decode(CartDTO.self)
            let again = try await http.cart(.get, "/api/v1/cart", token: user).decode(CartDTO.self)
            #expect(first.lines.isEmpty && again.lines.isEmpty && first.id == again.id && again.version == 1 && again.total.amount == 0)
            _ = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: mug.variant, quantity: 2), token: user)
            let filled = try await http.cart(.get, "/api/v1/cart", token: user).decode(CartDTO.self)
            #expect(filled.id == first.id && filled.version == 2 && filled.lines.map(\.quantity) == [2] && filled.subtotal.amount == 2 * 1999)
            #expect(try await harness.cartDB.column("SELECT count(*)::int FROM carts WHERE user_id IS NOT NULL", as: Int.self) == [1])
            // the catalogue quotes a variant named twice once, and an unknown one not at all
            let quoted = try await harness.quotes.quote([mug.variant, UUID(), mug.variant], logger: Logger(label: "test"))
            #expect(quoted.map(\.variantId) == [mug.variant] && quoted.first?.unitPrice.amount == 1999 && quoted.first?.available == 4)
        }
    }

    @Test("a seller cannot put their own shop's products in their cart")
    func sellerOwnProducts() async throws {
        try await CartHarness.with { harness, http in
            let seller = try await harness.openShop()
            let mug = try await harness.product("Stoneware Mug", price: 1999, stock: 5, seller: (seller.token, seller.category))
            let refused = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: mug.variant, quantity: 1), token: seller.token)
            #expect(try refused.status == .conflict && (try refused.problem().code) == "own_product")
            let other = try await harness.issuer.token()
            #expect(try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: mug.variant, quantity: 1), token: other).status == .ok)
        }
    }

    @Test("a code discounts the eligible lines; re-applying does not stack; refusals name their reason and change nothing")
    func promotions() async throws {
        try await CartHarness.with { harness, http in
            // setup: two products of one shop; marketplace codes made by an admin
            let seller = try await harness.openShop()
            let mug = try await harness.product("Stoneware Mug", price: 2000, stock: 10, seller: (seller.token, seller.category))
            let cap = try await harness.product("Wool Cap", price: 1000, stock: 10, seller: (seller.token, seller.category))
            let admin = try await harness.issuer.token(roles: [.customer, .admin])
            let codes = [
                CreatePromotionRequest(code: "WELCOME10", kind: .percentage, percentage: 10),
                CreatePromotionRequest(code: "SPRING24", kind: .percentage, percentage: 15, startsAt: Date().addingTimeInterval(-86_400 * 60),
                                       endsAt: Date().addingTimeInterval(-86_400 * 30)),
                CreatePromotionRequest(code: "VIP20", kind: .percentage, percentage: 20, vipOnly: true),
                CreatePromotionRequest(code: "OTHERSHOP", kind: .fixed, amount: Money(amount: 500, currency: "USD"), shopIds: [UUID.v7()]),
                CreatePromotionRequest(code: "SAVE5", kind: .fixed, amount: Money(amount: 500, currency: "USD"),
                                       minSubtotal: Money(amount: 5000, currency: "USD")),
            ]
            for code in codes { #expect(try await harness.promotion.send(.post, "/api/v1/promotions", code, token: admin).status == .created) }
            let token = try #require(try await http.cart(.get, "/api/v1/cart").cartToken)
            _ = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: mug.variant, quantity: 1), cartToken: token)
            _ = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: cap.variant, quantity: 1), cartToken: token)

            // act + expect: 10 % of 30.00; applying it again changes nothing
            let applied = try await http.cart(.put, "/api/v1/cart/promotion", ApplyPromotionRequest(code: " welcome10 "), cartToken: token)
            #expect(applied.status == .ok, "\(applied.text)")
            let cart = try applied.decode(CartDTO.self)
            #expect(cart.promotion == AppliedPromotionDTO(code: "WELCOME10", discount: Money(amount: 300, currency: "USD")))
            #expect(cart.subtotal.amount == 3000 && cart.discount.amount == 300 && cart.total.amount == 2700)
            let again = try await http.cart(.put, "/api/v1/cart/promotion", ApplyPromotionRequest(code: "WELCOME10"), cartToken: token).decode(CartDTO.self)
            #expect(again.discount.amount == 300 && again.total.amount == 2700)

            // refusals: each names why, and the cart keeps its code
            for (code, reason) in [("SPRING24", "promotion_expired"), ("VIP20", "promotion_sign_in_required"), ("OTHERSHOP", "promotion_not_applicable"),
                                   ("SAVE5", "promotion_minimum_not_met"), ("NOPE", "promotion_not_found")] {
                let refused = try await http.cart(.put, "/api/v1/cart/promotion", ApplyPromotionRequest(code: code), cartToken: token)
                #expect(try refused.problem().code == reason, "\(code): \(refused.text)")
                #expect(refused.status == (reason == "promotion_not_found" ? .notFound : .unprocessableContent))
            }
            #expect(try await http.cart(.get, "/api/v1/cart", cartToken: token).decode(CartDTO.self).promotion?.code == "WELCOME10")

            // a VIP member's code needs the role on the verified token
            let member = try await harness.issuer.token(roles: [.customer])
            _ = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: mug.variant, quantity: 1), token: member)
            let notVIP = try await http.cart(.put, "/api/v1/cart/promotion", ApplyPromotionRequest(code: "VIP20"), token: member)
            #expect(try notVIP.problem().code == "promotion_vip_only")
            let vip = try await harness.issuer.token(roles: [.customer, .vip])
            _ = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: mug.variant, quantity: 1), token: vip)
            let vipCart = try await http.cart(.put, "/api/v1/cart/promotion", ApplyPromotionRequest(code: "VIP20"), token: vip).decode(CartDTO.self)
            #expect(vipCart.discount.amount == 400)

            // removing the code
            let removed = try await http.cart(.delete, "/api/v1/cart/promotion", cartToken: token).decode(CartDTO.self)
            #expect(removed.promotion == nil && removed.discount.amount == 0 && removed.total.amount == 3000)
        }
    }

    @Test("an evaluation is reused between reads until promotion.changed for its code arrives")
    func evaluationCache() async throws {
        try await CartHarness.with(quoteCacheTTL: .seconds(600)) { harness, http in
            let seller = try await harness.openShop()
            let mug = try await harness.product("Stoneware Mug", price: 2000, stock: 10, seller: (seller.token, seller.category))
            let admin = try await harness.issuer.token(roles: [.customer, .admin])
            let promotion = try await harness.promotion.send(.post, "/api/v1/promotions", CreatePromotionRequest(code: "LATER", kind: .percentage, percentage: 10),
                                                             token: admin).decode(PromotionDTO.self)
            let user = try await harness.issuer.token()
            _ = try await http.cart(.post, "/api/v1/cart/items", AddCartItemRequest(variantId: mug.variant, quantity: 1), token: user)
            #expect(try await http.cart(.put, "/api/v1/cart/promotion", ApplyPromotionRequest(code: "LATER"), token: user).decode(CartDTO.self)
                .discount.amount == 200)

            // act: the promotion ends; until its event arrives the cart keeps the answer it has
            #expect(try await harness.promotion.delete("/api/v1/promotions/\(promotion.id)", token: admin).status == .noContent)
            #expect(try await http.cart(.get, "/api/v1/cart", token: user).decode(CartDTO.self).discount.amount == 200)
            let event = EventEnvelope(PromotionEvent.changed, data: PromotionChanged(promotionId: promotion.id, code: "LATER"))
            let delivered = try await http.execute(uri: "/internal/events", method: .post,
                                                   headers: TestHeaders.json(token: try TestServiceKeys.token(from: .promotion, to: .cart)),
                                                   body: .json(event)) { $0 }
            #expect(delivered.status == .ok)

            // expect: the next read asks again and shows why the code no longer applies
            let after = try await http.cart(.get, "/api/v1/cart", token: user).decode(CartDTO.self)
            #expect(after.discount.amount == 0 && after.promotion?.code == "LATER")
            #expect(after.notices.contains { $0.contains("LATER") })
        }
    }

    @Test("guest carts idle past the limit are deleted by the periodic job")
    func guestExpiry() async throws {
        try await CartHarness.with { harness, http in
            let idle = try #require(try await http.cart(.get, "/api/v1/cart").cartToken)
            let fresh = try #require(try await http.cart(.get, "/api/v1/cart").cartToken)
            try await harness.cartDB.query("UPDATE carts SET seen_at = now() - interval '31 days' WHERE token_hash = \(RandomToken.sha256Hex(idle))",
                                           logger: testLogger())
            try await JobQueue.enqueue(JobKind<NoPayload>("cart.expire_guest_carts"), NoPayload(), client: harness.cartDB, logger: testLogger())
            #expect(try await harness.worker.runOnce() == 1)
            #expect(try await harness.cartDB.column("SELECT count(*)::int FROM carts", as: Int.self) == [1])
            #expect(try await http.cart(.get, "/api/v1/cart", cartToken: fresh).cartToken == nil, "the fresh cart is still there")
        }
    }
}
