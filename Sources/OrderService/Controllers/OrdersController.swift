import Foundation
import Hummingbird
import IdentityAPI
import OrderAPI
import PaymentAPI
import PlexusKit

/// `/api/v1/orders`, `/api/v1/admin/orders` and `/api/v1/shops/me/orders`.
struct OrdersController: Sendable {
    let orders: OrderRepository
    let saga: CheckoutSaga
    let addresses: any AddressLookup
    let payments: PaymentClient
    let currency: String

    func addRoutes(to router: EndpointRouter) {
        router.on(OrderEndpoints.checkout) { request, context in
            let principal = try context.requireUser()
            let customer = try context.requireUserID()
            guard principal.emailVerified else { throw ProblemError.forbidden("Verify your e-mail address before checking out.", code: "email_not_verified") }
            guard let key = request.headers[.idempotencyKey] else {
                throw ProblemError.badRequest("idempotency_key_required", "A checkout requires an Idempotency-Key header.")
            }
            let body = try await request.decodeBody(CheckoutRequest.self, context: context)
            let address = try await shippingAddress(body, customer: customer, context)
            let order = try await orders.start(customerID: customer, key: key, source: body.items == nil ? "cart" : "items", items: body.items,
                                               vip: principal.roles.contains(.vip), currency: currency, address: address,
                                               note: body.note?.trimmingCharacters(in: .whitespacesAndNewlines), returnURL: body.returnUrl,
                                               logger: context.logger)
            if order.status == "failed" {
                throw ProblemError.conflict("checkout_failed", "This checkout ended without an order; start a new one with a new Idempotency-Key.")
            }
            guard try await orders.lease(order.id, for: .seconds(60), logger: context.logger) else {
                throw ProblemError.conflict("checkout_in_progress", "This checkout is still running; retry in a moment.")
            }
            let (placed, opened): (OrderRecord, PaymentDTO?)
            do {
                (placed, opened) = try await saga.run(order, logger: context.logger)
                try? await orders.unlease(order.id, logger: context.logger)
            } catch {
                let logger = context.logger
                await Task { try? await orders.unlease(order.id, logger: logger) }.value
                throw error
            }
            var payment = opened
            if payment == nil, let paymentID = placed.paymentID {
                payment = try? await payments.payment(orderID: placed.id, logger: context.logger)
                if payment?.id != paymentID { payment = nil }
            }
            let summary = payment.map { CheckoutPayment(id: $0.id, status: $0.status.rawValue, amount: $0.amount, clientSecret: $0.clientSecret, payUrl: $0.payUrl) }
            return try Response.json(CheckoutResult(order: placed.dto, payment: summary), status: .created)
        }
        router.on(OrderEndpoints.list) { request, context in
            let customer = try context.requireUserID()
            let query = try request.query(allowing: ["status", "limit", "cursor"])
            let page = try PageRequest(query: query)
            let found = try await orders.list(customerID: customer, status: try request.enumQuery(OrderStatus.self, "status", in: query), from: nil, to: nil, page: page, logger: context.logger)
            return try Response.json(Page(fetched: found, limit: page.limit, id: \.id, item: \.dto))
        }
        router.on(OrderEndpoints.get) { _, context in
            let order = try await visible(try context.uuidParameter("id"), context)
            return try Response.json(order.dto)
        }
        router.on(OrderEndpoints.cancel) { request, context in
            let principal = try context.requireUser()
            let caller = try context.requireUserID()
            let admin = principal.roles.contains(.admin)
            let change = OrderRepository.Change(action: .cancel, actor: "\(admin ? "admin" : "customer"):\(caller.uuidString.lowercased())",
                                                reason: admin ? "cancelled by an admin" : "cancelled by the customer")
            let order = try await orders.transition(try context.uuidParameter("id"), change, expected: try request.expectedVersion(),
                                                    logger: context.logger) { order in
                guard admin || order.customerID == caller else { throw ProblemError.notFound() }
            }
            return try Response.json(order.dto)
        }
        router.on(OrderEndpoints.ship) { request, context in
            let body = try await request.decodeBody(ShipRequest.self, context: context)
            let (order, shop, actor) = try await fulfilment(body.shopId, context)
            let change = OrderRepository.Change(action: .ship(shop: shop), actor: actor, reason: "shipped by shop \(shop.uuidString.lowercased())",
                                                shipment: (body.carrier.trimmingCharacters(in: .whitespacesAndNewlines),
                                                           body.trackingNumber.trimmingCharacters(in: .whitespacesAndNewlines)))
            let updated = try await orders.transition(order, change, expected: try request.expectedVersion(), logger: context.logger)
            return try Response.json(updated.dto)
        }
        router.on(OrderEndpoints.deliver) { request, context in
            let body = try await request.decodeBody(DeliverRequest.self, context: context)
            let (order, shop, actor) = try await fulfilment(body.shopId, context)
            let change = OrderRepository.Change(action: .deliver(shop: shop), actor: actor, reason: "delivered by shop \(shop.uuidString.lowercased())")
            let updated = try await orders.transition(order, change, expected: try request.expectedVersion(), logger: context.logger)
            return try Response.json(updated.dto)
        }
        router.on(OrderEndpoints.adminList) { request, context in
            let query = try request.query(allowing: ["status", "from", "to", "limit", "cursor"])
            let page = try PageRequest(query: query)
            let found = try await orders.list(customerID: nil, status: try request.enumQuery(OrderStatus.self, "status", in: query), from: try request.dateQuery("from", in: query),
                                              to: try request.dateQuery("to", in: query), page: page, logger: context.logger)
            return try Response.json(Page(fetched: found, limit: page.limit, id: \.id, item: \.dto))
        }
        router.on(OrderEndpoints.sellerOrders) { request, context in
            let seller = try context.requireUserID()
            let query = try request.query(allowing: ["status", "limit", "cursor"])
            let page = try PageRequest(query: query)
            let status = try request.enumQuery(FulfilmentStatus.self, "status", in: query)
            let found = try await orders.list(shopOwnerID: seller, status: status, page: page, logger: context.logger)
            // the query joined on the seller's fulfilment, so every order found has one
            let views = found.compactMap { order in
                order.fulfilments.first { $0.shopOwnerID == seller }.map { part in
                    (order.id, SellerOrderDTO(id: order.id, number: order.number, status: order.orderStatus ?? .pendingPayment,
                                              lines: order.lines.filter { $0.shopOwnerID == seller }.map(\.line), fulfilment: part.dto,
                                              shippingAddress: order.shippingAddress, createdAt: order.createdAt))
                }
            }
            return try Response.json(Page(fetched: views, limit: page.limit, id: \.0, item: \.1))
        }
    }

    /// An order the caller may see (its customer, or an admin); others' are 404.
    func visible(_ id: UUID, _ context: PlexusContext) async throws -> OrderRecord {
        let principal = try context.requireUser()
        guard let order = try await orders.find(id, logger: context.logger), order.orderStatus != nil,
              order.customerID == principal.userID || principal.roles.contains(.admin) else { throw ProblemError.notFound() }
        return order
    }

    /// The order and the shop whose part the caller acts on: a seller's own part, or for an admin
    /// the part of `shopID` (the only part when the order has one).
    func fulfilment(_ shopID: UUID?, _ context: PlexusContext) async throws -> (UUID, UUID, String) {
        let principal = try context.requireUser()
        let caller = try context.requireUserID()
        let id = try context.uuidParameter("id")
        guard let order = try await orders.find(id, logger: context.logger), order.orderStatus != nil else { throw ProblemError.notFound() }
        if let own = order.fulfilments.first(where: { $0.shopOwnerID == caller }), shopID == nil || shopID == own.dto.shopId {
            return (id, own.dto.shopId, "seller:\(caller.uuidString.lowercased())")
        }
        guard principal.roles.contains(.admin) else { throw ProblemError.notFound() }
        if let shopID {
            guard order.fulfilments.contains(where: { $0.dto.shopId == shopID }) else { throw ProblemError.notFound("This order has no part from that shop.") }
            return (id, shopID, "admin:\(caller.uuidString.lowercased())")
        }
        guard order.fulfilments.count == 1, let only = order.fulfilments.first else {
            throw ProblemError.validation([FieldError(field: "shopId", code: "required", message: "This order has several shops' parts; name one.")])
        }
        return (id, only.dto.shopId, "admin:\(caller.uuidString.lowercased())")
    }

    /// The checkout's address: from the caller's address book, or the one given.
    func shippingAddress(_ body: CheckoutRequest, customer: UUID, _ context: PlexusContext) async throws -> ShippingAddress {
        if let given = body.shippingAddress { return given.normalized(fieldPrefix: "shippingAddress.").0 }
        guard let id = body.shippingAddressId else { throw ProblemError.validation([FieldError(field: "shippingAddress", code: "required", message: "Required.")]) }
        let found: AddressDTO?
        do {
            found = try await addresses.address(userID: customer, id: id, logger: context.logger)
        } catch {
            throw ProblemError.unavailable("The address book cannot be reached; retry, or give shippingAddress.", code: "identity_unavailable", retryAfter: 2)
        }
        guard let address = found else {
            throw ProblemError(.unprocessableContent, code: "address_not_found", detail: "You have no address with that id.",
                               errors: [FieldError(field: "shippingAddressId", code: "not_found", message: "Not in your address book.")])
        }
        return ShippingAddress(name: address.name, line1: address.line1, line2: address.line2, city: address.city, region: address.region,
                               postalCode: address.postalCode, country: address.country, phone: address.phone)
    }
}
