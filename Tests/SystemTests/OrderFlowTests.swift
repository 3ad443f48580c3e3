import AsyncHTTPClient
import CartAPI
import CatalogAPI
import Foundation
import IdentityAPI
import NotificationAPI
import NIOCore
import NIOHTTP1
import OrderAPI
import PaymentAPI
import PaymentService
import PlexusKit
import PlexusKitTesting
import ShopAPI
import Testing

extension RunningSystems {
    /// Buying through the gateway with every service running as its own process (`plexus up --demo`):
    /// checkout, payment with the sandbox's test cards and its real webhooks, fulfilment by two shops,
    /// cancellation with refund, the payment window, webhook abuse, and the races the contract names.
    @Suite struct OrderFlowTests {
        static let address = ShippingAddress(name: "Ada Buyer", line1: "1 Main Street", city: "Springfield", postalCode: "12345", country: "us")

        @Test func checkoutPayShipDeliverCancelRefundExpire() async throws {
            let system = try await RunningSystem(settings: ["PLEXUS_ORDER_PAYMENT_WINDOW_SECONDS": "20", "PLEXUS_DEMO_ORDERS": "false"])
            defer { system.stop() }
            let api = API(gateway: system.gateway)
            let customer = try await api.login("customer@plexus.local", "plexus-customer-2026")
            let seller = try await api.login("seller@plexus.local", "plexus-seller-2026")
            let admin = try await api.login("admin@plexus.local", "plexus-admin-2026")

            // two products from two shops: the demo seller's and another's
            let sellerID = try await api.decode(UserDTO.self, api.get("/api/v1/users/me", token: seller)).id
            let shops = try await api.decode(Page<ShopDTO>.self, api.get("/api/v1/shops?limit=100")).items
            let ownShop = try #require(shops.first { $0.ownerId == sellerID })
            let otherShop = try #require(shops.first { $0.ownerId != sellerID })
            let mine = try await api.variant(ofShop: ownShop.id)
            let theirs = try await api.variant(ofShop: otherShop.id)

            // the cart: two lines and WELCOME10
            #expect(try await api.post("/api/v1/cart/items", AddCartItemRequest(variantId: mine.id, quantity: 2), token: customer).status == 200)
            #expect(try await api.post("/api/v1/cart/items", AddCartItemRequest(variantId: theirs.id, quantity: 1), token: customer).status == 200)
            #expect(try await api.post("/api/v1/cart/promotion", ApplyPromotionRequest(code: "WELCOME10"), token: customer, method: .PUT).status == 200)

            // checkout: a key is required; the same key returns the same order; the cart is emptied
            let body = CheckoutRequest(shippingAddress: Self.address, note: "Leave at the door")
            let keyless = try await api.post("/api/v1/orders/checkout", body, token: customer)
            #expect(keyless.status == 400 && keyless.text.contains("idempotency_key_required"))
            let placed = try await api.post("/api/v1/orders/checkout", body, token: customer, headers: ["Idempotency-Key": "checkout-1"])
            #expect(placed.status == 201, "\(placed.text)")
            let result = try api.decode(CheckoutResult.self, placed)
            let order = result.order
            let subtotal = mine.price.amount * 2 + theirs.price.amount
            #expect(order.status == .pendingPayment && order.subtotal.amount == subtotal && order.discount.amount == subtotal / 10)
            #expect(order.total.amount == order.subtotal.amount - order.discount.amount && order.fulfilments.count == 2)
            #expect(order.shippingAddress.country == "US" && order.number.hasPrefix("PLX-") && order.promotionCode == "WELCOME10")
            let payment = try #require(result.payment)
            #expect(payment.amount == order.total && payment.status == "requires_confirmation")
            let replay = try await api.post("/api/v1/orders/checkout", body, token: customer, headers: ["Idempotency-Key": "checkout-1"])
            #expect(try api.decode(CheckoutResult.self, replay).order.id == order.id)
            #expect(try await api.decode(CartDTO.self, api.get("/api/v1/cart", token: customer)).lines.isEmpty)
            let emptyAgain = try await api.post("/api/v1/orders/checkout", body, token: customer, headers: ["Idempotency-Key": "checkout-2"])
            #expect(emptyAgain.status == 422 && emptyAgain.text.contains("cart_empty"))
            // another user cannot read it or its payment
            #expect(try await api.get("/api/v1/orders/\(order.id)", token: seller).status == 404)
            #expect(try await api.get("/api/v1/payments/\(payment.id)", token: seller).status == 404)

            // pay: a declined card, then a good one; the order becomes paid once, from the confirm or the webhook
            let declined = try await api.post("/api/v1/payments/\(payment.id)/confirm", ConfirmPaymentRequest(paymentMethod: .card("4000 0000 0000 0002")),
                                              token: customer, headers: ["Idempotency-Key": "pay-1"])
            #expect(declined.status == 402 && declined.text.contains("card_declined"))
            let paid = try await api.post("/api/v1/payments/\(payment.id)/confirm", ConfirmPaymentRequest(paymentMethod: .card("4242 4242 4242 4242")),
                                          token: customer, headers: ["Idempotency-Key": "pay-2"])
            #expect(paid.status == 200, "\(paid.text)")
            let settled = try api.decode(PaymentDTO.self, paid)
            #expect(settled.status == .succeeded && settled.card == CardSummary(brand: "visa", last4: "4242"))
            #expect(!paid.text.contains("4242424242424242") && !system.output.contains("4242424242424242"))
            let again = try await api.post("/api/v1/payments/\(payment.id)/confirm", ConfirmPaymentRequest(paymentMethod: .card("4242 4242 4242 4242")),
                                           token: customer, headers: ["Idempotency-Key": "pay-3"])
            #expect(again.status == 409 && again.text.contains("payment_not_confirmable"))
            #expect(try await api.until { try await api.order(order.id, customer).status == .paid })
            // the sandbox's webhook arrived too and changed nothing more
            #expect(try await api.until {
                let payments = try await api.decode(Page<PaymentDTO>.self, api.get("/api/v1/admin/payments?limit=100", token: admin)).items
                return payments.first { $0.id == payment.id }?.events?.contains { $0.type == "payment.succeeded" } == true
            })
            // the sale reaches the seller's report and the catalogue's best sellers
            #expect(try await api.until {
                let report = try await api.decode(SalesReportDTO.self, api.get("/api/v1/shops/me/sales", token: seller))
                return report.units == 2 && report.orders == 1 && report.topProducts.first?.productId == mine.productId
            }, "the seller's sales report did not fill")
            #expect(try await api.until(timeout: .seconds(70)) {
                let best = try await api.decode(ProductListDTO.self, api.get("/api/v1/products?sort=bestSelling&limit=2")).items.map(\.id)
                return best == [mine.productId, theirs.productId]
            }, "bestSelling does not reflect the sale")
            let history = try await api.order(order.id, customer).history
            #expect(history.filter { $0.status == .paid }.count == 1 && history.first?.status == .pendingPayment)

            // fulfilment: the seller sees only their lines and ships them; another shop's part is not theirs
            let sellerOrders = try await api.decode(Page<SellerOrderDTO>.self, api.get("/api/v1/shops/me/orders", token: seller)).items
            let seen = try #require(sellerOrders.first { $0.id == order.id })
            #expect(seen.lines.map(\.variantId) == [mine.id] && seen.fulfilment.shopId == ownShop.id && seen.shippingAddress.name == "Ada Buyer")
            #expect(try await api.get("/api/v1/shops/me/orders", token: customer).status == 403)
            let shipped = try await api.post("/api/v1/orders/\(order.id)/ship", ShipRequest(carrier: "UPS", trackingNumber: "1Z999"), token: seller)
            #expect(shipped.status == 200, "\(shipped.text)")
            #expect(try api.decode(OrderDTO.self, shipped).status == .paid) // one of two shops shipped
            let twice = try await api.post("/api/v1/orders/\(order.id)/ship", ShipRequest(carrier: "UPS", trackingNumber: "1Z999"), token: seller)
            #expect(twice.status == 409 && twice.text.contains("illegal_transition"))
            let notTheirs = try await api.post("/api/v1/orders/\(order.id)/ship", ShipRequest(carrier: "UPS", trackingNumber: "1Z1", shopId: otherShop.id),
                                               token: seller)
            #expect(notTheirs.status == 404, "a seller cannot ship another shop's part: \(notTheirs.text)")
            let byAdmin = try await api.post("/api/v1/orders/\(order.id)/ship", ShipRequest(carrier: "DHL", trackingNumber: "JD0002", shopId: otherShop.id), token: admin)
            #expect(try api.decode(OrderDTO.self, byAdmin).status == .shipped)
            let lateCancel = try await api.post("/api/v1/orders/\(order.id)/cancel", [String: String](), token: customer)
            #expect(lateCancel.status == 409 && lateCancel.text.contains("illegal_transition"))
            _ = try await api.post("/api/v1/orders/\(order.id)/deliver", DeliverRequest(), token: seller)
            let stale = try await api.post("/api/v1/orders/\(order.id)/deliver", DeliverRequest(shopId: otherShop.id), token: admin, headers: ["If-Match": "\"1\""])
            #expect(stale.status == 412)
            let delivered = try await api.post("/api/v1/orders/\(order.id)/deliver", DeliverRequest(shopId: otherShop.id), token: admin)
            #expect(try api.decode(OrderDTO.self, delivered).status == .delivered)

            // buy now with the second-confirmation card, then cancel: refunded automatically, stock back
            let before = try await api.available(mine.id, product: mine.productId)
            let now = try await api.post("/api/v1/orders/checkout", CheckoutRequest(shippingAddress: Self.address, items: [CheckoutItem(variantId: mine.id, quantity: 1)]),
                                         token: customer, headers: ["Idempotency-Key": "buy-now-1"])
            let second = try api.decode(CheckoutResult.self, now)
            #expect(try await api.until { try await api.available(mine.id, product: mine.productId) == before - 1 })
            let secure = ConfirmPaymentRequest(paymentMethod: .card("4000 0025 0000 3155"))
            let first = try await api.post("/api/v1/payments/\(second.payment!.id)/confirm", secure, token: customer, headers: ["Idempotency-Key": "3ds-1"])
            #expect(try api.decode(PaymentDTO.self, first).status == .requiresAction)
            let confirmed = try await api.post("/api/v1/payments/\(second.payment!.id)/confirm", secure, token: customer, headers: ["Idempotency-Key": "3ds-2"])
            #expect(try api.decode(PaymentDTO.self, confirmed).status == .succeeded)
            #expect(try await api.until { try await api.order(second.order.id, customer).status == .paid })
            let cancelled = try await api.post("/api/v1/orders/\(second.order.id)/cancel", [String: String](), token: customer)
            #expect(try cancelled.status == 200 && (api.decode(OrderDTO.self, cancelled).status) == .cancelled, "\(cancelled.text)")
            #expect(try await api.until { try await api.order(second.order.id, customer).status == .refunded })
            let refunded = try await api.decode(PaymentDTO.self, api.get("/api/v1/payments/\(second.payment!.id)", token: customer))
            #expect(refunded.status == .refunded && refunded.refundedAmount == refunded.amount)
            #expect(try await api.until { try await api.available(mine.id, product: mine.productId) == before })

            // refunds by an admin: partial, never above what is left
            let third = try api.decode(CheckoutResult.self, try await api.post("/api/v1/orders/checkout",
                CheckoutRequest(shippingAddress: Self.address, items: [CheckoutItem(variantId: theirs.id, quantity: 1)]), token: customer,
                headers: ["Idempotency-Key": "buy-now-2"]))
            _ = try await api.post("/api/v1/payments/\(third.payment!.id)/confirm", ConfirmPaymentRequest(paymentMethod: .card("4242424242424242")),
                                   token: customer, headers: ["Idempotency-Key": "pay-third"])
            let total = third.order.total
            let part = try await api.post("/api/v1/payments/\(third.payment!.id)/refunds", RefundRequest(amount: Money(amount: 100, currency: total.currency)), token: admin)
            #expect(try part.status == 201 && (api.decode(PaymentDTO.self, part).status) == .partiallyRefunded, "\(part.text)")
            let tooMuch = try await api.post("/api/v1/payments/\(third.payment!.id)/refunds", RefundRequest(amount: total), token: admin)
            #expect(tooMuch.status == 422 && tooMuch.text.contains("refund_exceeds_captured"))
            #expect(try await api.post("/api/v1/payments/\(third.payment!.id)/refunds", RefundRequest(amount: total), token: customer).status == 403)
            let concurrent = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        try await api.post("/api/v1/payments/\(third.payment!.id)/refunds", RefundRequest(amount: Money(amount: total.amount - 100, currency: total.currency)),
                                           token: admin).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(concurrent.filter { $0 == 201 }.count == 1 && concurrent.filter { $0 == 422 }.count == 4, "\(concurrent)")

            // the hosted payment page: a signed link, a declined card, then a good one and back to the shop
            let hosted = try api.decode(CheckoutResult.self, try await api.post("/api/v1/orders/checkout",
                CheckoutRequest(shippingAddress: Self.address, items: [CheckoutItem(variantId: theirs.id, quantity: 1)], returnUrl: "https://shop.example/thanks"),
                token: customer, headers: ["Idempotency-Key": "hosted-1"]))
            let payURL = try #require(hosted.payment?.payUrl)
            let link = try #require(URLComponents(string: payURL))
            #expect(payURL.hasPrefix(system.gateway.replacingOccurrences(of: "127.0.0.1", with: "localhost")))
            let pagePath = link.path + "?" + (link.percentEncodedQuery ?? "")
            let form = try await api.get(pagePath)
            #expect(form.status == 200 && form.text.contains("Pay for your order") && form.text.contains(hosted.order.total.displayString))
            let linkFields = Dictionary(uniqueKeysWithValues: (link.queryItems ?? []).map { ($0.name, $0.value ?? "") })
            let nonce = try #require(form.text.range(of: #"name="nonce" value="([0-9a-f-]+)""#, options: .regularExpression).map { String(form.text[$0]).components(separatedBy: "\"")[3] })
            #expect(try await api.get(link.path + "?expires=\(linkFields["expires"]!)&sig=00\(linkFields["sig"]!.dropFirst(2))").status == 403)
            var card = linkFields.merging(["number": "4000 0000 0000 0002", "expMonth": "12", "expYear": "2040", "cvc": "123", "nonce": nonce]) { $1 }
            let declinedPage = try await api.form(link.path, card)
            #expect(declinedPage.status == 402 && declinedPage.text.contains("declined"), "\(declinedPage.text)")
            card["number"] = "4242 4242 4242 4242"
            card["nonce"] = UUID().uuidString
            let paidPage = try await api.form(link.path, card)
            #expect(paidPage.status == 200 && paidPage.text.contains("https://shop.example/thanks?payment=\(hosted.payment!.id.uuidString.lowercased())&amp;status=succeeded"),
                    "\(paidPage.text)")
            #expect(try await api.until { try await api.order(hosted.order.id, customer).status == .paid })
            let resubmitted = try await api.form(link.path, card)
            #expect(resubmitted.text.contains("Payment received"), "a second submission does not pay twice: \(resubmitted.status) \(resubmitted.text)")

            // an unpaid order is cancelled when its window ends; its payment can no longer be confirmed
            let unpaid = try api.decode(CheckoutResult.self, try await api.post("/api/v1/orders/checkout",
                CheckoutRequest(shippingAddress: Self.address, items: [CheckoutItem(variantId: mine.id, quantity: 1)]), token: customer,
                headers: ["Idempotency-Key": "unpaid-1"]))
            #expect(try await api.until(timeout: .seconds(60)) { try await api.order(unpaid.order.id, customer).status == .cancelled })
            let expiredOrder = try await api.order(unpaid.order.id, customer)
            #expect(expiredOrder.history.last?.reason == "payment_window_expired" && expiredOrder.history.last?.actor == "system")
            #expect(try await api.until {
                let late = try await api.post("/api/v1/payments/\(unpaid.payment!.id)/confirm", ConfirmPaymentRequest(paymentMethod: .card("4242424242424242")),
                                              token: customer, headers: ["Idempotency-Key": "late-\(UUID())"])
                return late.status == 409
            })
            #expect(try await api.until { try await api.available(mine.id, product: mine.productId) == before })

            // webhooks: bad signatures, stale times, wrong amounts, unknown payments, and duplicates at once
            let secret = try String(contentsOf: system.data.appendingPathComponent("secrets/payment-webhook-secret"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let reference = "sbx_pi_" + third.payment!.id.uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let event = WebhookEvent(id: "evt_test_\(UUID())", type: "payment.succeeded", createdAt: Date(),
                                     data: WebhookEventData(paymentId: third.payment!.id, providerReference: reference, amount: total))
            let raw = try JSON.encoder.encode(event)
            let hook = "/api/v1/payments/webhooks/sandbox"
            #expect(try await api.raw(hook, raw, headers: ["Plexus-Signature": WebhookSignature.header(for: raw, secret: "not-the-secret-at-all")]).status == 400)
            #expect(try await api.raw(hook, raw, headers: ["Plexus-Signature": WebhookSignature.header(for: raw, secret: secret, time: Date().addingTimeInterval(-600))]).status == 400)
            #expect(try await api.raw(hook, raw, headers: [:]).status == 400)
            var wrong = event
            wrong.id = "evt_test_\(UUID())"
            wrong.data.amount = Money(amount: total.amount + 1, currency: total.currency)
            let wrongRaw = try JSON.encoder.encode(wrong)
            let mismatch = try await api.raw(hook, wrongRaw, headers: ["Plexus-Signature": WebhookSignature.header(for: wrongRaw, secret: secret)])
            #expect(mismatch.status == 422 && mismatch.text.contains("amount_mismatch"))
            var unknown = event
            unknown.id = "evt_test_\(UUID())"
            unknown.data.paymentId = UUID()
            let unknownRaw = try JSON.encoder.encode(unknown)
            #expect(try await api.raw(hook, unknownRaw, headers: ["Plexus-Signature": WebhookSignature.header(for: unknownRaw, secret: secret)]).text.contains("ignored"))
            let fiveAtOnce = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<5 { group.addTask { try await api.raw(hook, raw, headers: ["Plexus-Signature": WebhookSignature.header(for: raw, secret: secret)]).status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(fiveAtOnce.allSatisfy { $0 == 200 }, "\(fiveAtOnce)")
            let afterHooks = try await api.decode(PaymentDTO.self, api.get("/api/v1/payments/\(third.payment!.id)", token: customer))
            #expect(afterHooks.status == .refunded && afterHooks.refundedAmount == total, "a replayed success must not capture again")
            #expect(try await api.order(third.order.id, customer).history.filter { $0.status == .paid }.count == 1)

            // the customer's e-mails: one confirmation per paid order (a refund sends none), one per
            // shipment with its tracking link, the declined payment, and each cancellation
            #expect(try await api.until {
                let mails = try await api.decode(Page<NotificationDTO>.self, api.get("/api/v1/notifications?limit=100", token: customer)).items
                func count(_ template: String, _ number: String) -> Int { mails.filter { $0.template == template && $0.subject.contains(number) }.count }
                return count("order_confirmation", order.number) == 1 && count("order_shipped", order.number) == 2
                    && count("order_confirmation", second.order.number) == 1 && count("order_cancelled", second.order.number) == 1
                    && count("order_cancelled", unpaid.order.number) == 1 && mails.contains { $0.template == "payment_failed" }
            }, "the order e-mails did not all arrive")

            // the books balance across services; a corrupted row is reported and fails the audit
            let audit = try await system.auditUntilClean()
            #expect(audit.clean, "plexus audit: \(audit.output)")
            try await system.execute("UPDATE variants SET reserved = reserved + 1, on_hand = on_hand + 1 WHERE id = '\(mine.id)'", on: .catalog)
            try await system.execute("UPDATE promotions SET usage_count = usage_count + 5 WHERE code = 'WELCOME10'", on: .promotion)
            let dirty = try system.audit()
            #expect(dirty.status == 1 && dirty.output.contains("holds add up to") && dirty.output.contains("WELCOME10 counts"), "\(dirty.output)")
            #expect(!system.output.contains("request failed"), "a server error was logged")
        }

        @Test func anOrderPlacedWhileThePaymentServiceIsFrozenIsPaidWhenItReturns() async throws {
            let system = try await RunningSystem(settings: ["PLEXUS_DEMO_ORDERS": "false"])
            defer { system.stop() }
            let api = API(gateway: system.gateway)
            let customer = try await api.login("customer@plexus.local", "plexus-customer-2026")
            let shops = try await api.decode(Page<ShopDTO>.self, api.get("/api/v1/shops?limit=100")).items
            let variant = try await api.variant(ofShop: try #require(shops.first).id)
            let before = try await api.available(variant.id, product: variant.productId)

            // the payment service stops answering (a hang, worse than a crash): the order is still placed and its stock held
            let payment = try #require(system.pid(of: .payment), "the payment service's process")
            kill(payment, SIGSTOP)
            let placed = try await api.post("/api/v1/orders/checkout",
                                             CheckoutRequest(shippingAddress: Self.address, items: [CheckoutItem(variantId: variant.id, quantity: 1)]),
                                             token: customer, headers: ["Idempotency-Key": "frozen-1"], timeout: .seconds(60))
            kill(payment, SIGCONT)
            #expect(placed.status == 201, "\(placed.text)")
            let result = try api.decode(CheckoutResult.self, placed)
            #expect(result.payment == nil && result.order.status == .pendingPayment && result.order.paymentId == nil)
            #expect(try await api.until { try await api.available(variant.id, product: variant.productId) == before - 1 })

            // back: the resume job opens its payment, and it is paid as any other
            let opened = LockedBox(UUID?.none)
            #expect(try await api.until(timeout: .seconds(60)) {
                opened.value = try await api.order(result.order.id, customer).paymentId
                return opened.value != nil
            }, "the payment was not opened after the service returned")
            let paymentID = try #require(opened.value)
            let paid = try await api.post("/api/v1/payments/\(paymentID)/confirm", ConfirmPaymentRequest(paymentMethod: .card("4242424242424242")),
                                          token: customer, headers: ["Idempotency-Key": "frozen-pay"])
            #expect(paid.status == 200, "\(paid.text)")
            #expect(try await api.until { try await api.order(result.order.id, customer).status == .paid })
            let audit = try await system.auditUntilClean()
            #expect(audit.clean, "plexus audit: \(audit.output)")
        }

        @Test func racesForTheLastUnitAndForOneCart() async throws {
            let system = try await RunningSystem(settings: ["PLEXUS_DEMO_ORDERS": "false"])
            defer { system.stop() }
            let api = API(gateway: system.gateway)
            let customer = try await api.login("customer@plexus.local", "plexus-customer-2026")
            let seller = try await api.login("seller@plexus.local", "plexus-seller-2026")
            let sellerID = try await api.decode(UserDTO.self, api.get("/api/v1/users/me", token: seller)).id
            let shops = try await api.decode(Page<ShopDTO>.self, api.get("/api/v1/shops?limit=100")).items
            let ownShop = try #require(shops.first { $0.ownerId == sellerID })
            let last = try await api.variant(ofShop: ownShop.id)
            #expect(try await api.post("/api/v1/variants/\(last.id)/stock", SetStockRequest(onHand: 1), token: seller, method: .PUT).status == 200)

            // 50 checkouts of the last unit at once: exactly one order, the rest a clear 409
            let statuses = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let reply = try await api.post("/api/v1/orders/checkout",
                                                       CheckoutRequest(shippingAddress: Self.address, items: [CheckoutItem(variantId: last.id, quantity: 1)]),
                                                       token: customer, headers: ["Idempotency-Key": "last-unit-\(index)"], timeout: .seconds(60))
                        return (reply.status, reply.text)
                    }
                }
                return try await group.reduce(into: [(Int, String)]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == 201 }.count == 1, "\(statuses.map(\.0))")
            #expect(statuses.filter { $0.0 == 409 && $0.1.contains("insufficient_stock") }.count == 49, "\(statuses.filter { $0.0 != 201 }.map(\.1).prefix(3))")
            let winner = try api.decode(CheckoutResult.self, RunningSystem.Reply(status: 201, body: ByteBuffer(string: try #require(statuses.first { $0.0 == 201 }).1)))
            #expect(try await api.until { try await api.available(last.id, product: last.productId) == 0 })
            _ = try await api.post("/api/v1/payments/\(winner.payment!.id)/confirm", ConfirmPaymentRequest(paymentMethod: .card("4242424242424242")),
                                   token: customer, headers: ["Idempotency-Key": "pay-last"])
            #expect(try await api.until { try await api.order(winner.order.id, customer).status == .paid })

            // one cart checked out twice at once with different keys: one order, nothing reserved twice
            let spare = try await api.variant(ofShop: try #require(shops.first { $0.ownerId != sellerID }).id)
            let spareBefore = try await api.available(spare.id, product: spare.productId)
            #expect(try await api.post("/api/v1/cart/items", AddCartItemRequest(variantId: spare.id, quantity: 1), token: customer).status == 200)
            let pair = try await withThrowingTaskGroup(of: RunningSystem.Reply.self) { group in
                for key in ["cart-a", "cart-b"] {
                    group.addTask { try await api.post("/api/v1/orders/checkout", CheckoutRequest(shippingAddress: Self.address), token: customer, headers: ["Idempotency-Key": key]) }
                }
                return try await group.reduce(into: [RunningSystem.Reply]()) { $0.append($1) }
            }
            #expect(pair.filter { $0.status == 201 }.count == 1, "\(pair.map(\.text))")
            #expect(pair.contains { $0.status == 409 && $0.text.contains("cart_checked_out") || $0.status == 422 && $0.text.contains("cart_empty") })
            #expect(try await api.until { try await api.available(spare.id, product: spare.productId) == spareBefore - 1 })

            // the same checkout twice at once with one key: one order
            #expect(try await api.post("/api/v1/cart/items", AddCartItemRequest(variantId: spare.id, quantity: 1), token: customer).status == 200)
            let same = try await withThrowingTaskGroup(of: RunningSystem.Reply.self) { group in
                for _ in 0..<2 {
                    group.addTask { try await api.post("/api/v1/orders/checkout", CheckoutRequest(shippingAddress: Self.address), token: customer, headers: ["Idempotency-Key": "same-key"]) }
                }
                return try await group.reduce(into: [RunningSystem.Reply]()) { $0.append($1) }
            }
            let ids = Set(same.filter { $0.status == 201 }.compactMap { try? api.decode(CheckoutResult.self, $0).order.id })
            #expect(ids.count == 1 && same.allSatisfy { $0.status == 201 || $0.status == 409 }, "\(same.map(\.text))")
            #expect(try await api.until { try await api.available(spare.id, product: spare.productId) == spareBefore - 2 })
            let audit = try await system.auditUntilClean()
            #expect(audit.clean, "plexus audit: \(audit.output)")
            #expect(!system.output.contains("request failed"), "a server error was logged")
        }
    }
}

/// A small client of the gateway for these tests.
struct API: Sendable {
    let gateway: String

    func get(_ path: String, token: String? = nil) async throws -> RunningSystem.Reply { try await RunningSystem.get(gateway + path, token: token) }

    func post(_ path: String, _ body: some Encodable, token: String? = nil, headers: [String: String] = [:], method: HTTPMethod = .POST,
              timeout: Duration = .seconds(10)) async throws -> RunningSystem.Reply {
        var request = HTTPClientRequest(url: gateway + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSON.encoder.encode(body)))
        let response = try await HTTPClient.plexus.execute(request, timeout: .nanoseconds(Int64(timeout.seconds * 1e9)))
        return RunningSystem.Reply(status: Int(response.status.code), body: try await response.body.collect(upTo: 1 << 20))
    }

    func delete(_ path: String, token: String? = nil) async throws -> RunningSystem.Reply {
        var request = HTTPClientRequest(url: gateway + path)
        request.method = .DELETE
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.plexus.execute(request, timeout: .seconds(10))
        return RunningSystem.Reply(status: Int(response.status.code), body: try await response.body.collect(upTo: 1 << 20))
    }

    func form(_ path: String, _ fields: [String: String]) async throws -> RunningSystem.Reply {
        let allowed = CharacterSet.alphanumerics.union(["-", "_", ".", "~"])
        let body = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
        return try await raw(path, Data(body.utf8), headers: ["Content-Type": "application/x-www-form-urlencoded"])
    }

    func raw(_ path: String, _ body: Data, headers: [String: String]) async throws -> RunningSystem.Reply {
        var request = HTTPClientRequest(url: gateway + path)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if !request.headers.contains(name: "Content-Type") { request.headers.add(name: "Content-Type", value: "application/json") }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.plexus.execute(request, timeout: .seconds(10))
        return RunningSystem.Reply(status: Int(response.status.code), body: try await response.body.collect(upTo: 1 << 20))
    }

    func decode<T: Decodable>(_ type: T.Type, _ reply: RunningSystem.Reply) throws -> T {
        do { return try JSON.decoder.decode(T.self, from: Data(buffer: reply.body)) } catch {
            Issue.record("\(reply.status): \(reply.text)")
            throw error
        }
    }

    func login(_ email: String, _ password: String) async throws -> String {
        try decode(TokenPair.self, try await post("/api/v1/auth/login", LoginRequest(email: email, password: password))).accessToken
    }

    func order(_ id: UUID, _ token: String) async throws -> OrderDTO {
        try decode(OrderDTO.self, try await get("/api/v1/orders/\(id)", token: token))
    }

    /// A variant in stock (at least 5) of a published product of `shop`.
    func variant(ofShop shop: UUID) async throws -> VariantDTO {
        let products = try decode(ProductListDTO.self, try await get("/api/v1/products?shop=\(shop)&limit=50")).items
        for summary in products where summary.inStock {
            let product = try decode(ProductDTO.self, try await get("/api/v1/products/\(summary.id)"))
            if let variant = product.variants.first(where: { $0.available >= 5 }) { return variant }
        }
        throw NoVariant()
    }

    struct NoVariant: Error {}

    /// Units of a variant available now (the catalogue's cache is emptied on every stock change).
    func available(_ variant: UUID, product: UUID) async throws -> Int {
        let reply = try await get("/api/v1/products/\(product)")
        return try decode(ProductDTO.self, reply).variants.first { $0.id == variant }?.available ?? -1
    }

    /// Polls `condition` until it holds (or `timeout`).
    func until(timeout: Duration = .seconds(20), _ condition: @escaping @Sendable () async throws -> Bool) async throws -> Bool {
        try await eventually(timeout: timeout, condition)
    }
}

extension RunningSystem.Reply {
    var text: String { String(buffer: body) }
}
