import Foundation
import Logging
import PlexusContract

/// The order service's endpoints.
public enum OrderEndpoints {
    static let ifMatch = QueryParameter("If-Match", .string(), "The order's `version` in quotes: a stale one answers 412 and changes nothing.")
    static let statusQuery = QueryParameter("status", .string(values: OrderStatus.allCases.map(\.rawValue)), "Only orders in this status.")
    static let transitionProblems = [
        ProblemCase(409, "illegal_transition", "The order's status does not allow this."),
        ProblemCase(412, "version_mismatch", "The order changed since the version in If-Match."),
    ]

    public static let checkout = Endpoint<CheckoutRequest, CheckoutResult>("checkout", .POST, "/api/v1/orders/checkout", access: .user,
        summary: "Turn the cart (or `items`, buy now) into an order: re-priced by the catalogue, the promotion re-validated, stock reserved (all lines or none), a payment opened, the cart emptied. Requires a verified e-mail and Idempotency-Key; the same key again returns the same order.",
        status: 201,
        problems: [ProblemCase(400, "idempotency_key_required", "Send an Idempotency-Key header."),
                   ProblemCase(403, "email_not_verified", "Verify your e-mail address first."),
                   ProblemCase(422, "cart_empty", "There is nothing to check out."),
                   ProblemCase(409, "cart_checked_out", "Another checkout of this cart is running."),
                   ProblemCase(409, "insufficient_stock", "A line is not available in that quantity."),
                   ProblemCase(409, "own_product", "Sellers cannot buy from their own shop."),
                   ProblemCase(422, "not_purchasable", "A variant does not exist or is not for sale."),
                   ProblemCase(422, "promotion_expired", "The cart's code no longer applies (the code says why; remove it or try another)."),
                   ProblemCase(503, "catalog_unavailable", "A service the checkout needs cannot be reached; retry with the same key.")])
    public static let list = Endpoint<NoBody, Page<OrderDTO>>("listOrders", .GET, "/api/v1/orders", access: .user,
        summary: "The caller's orders, newest first.", query: [statusQuery, .limit, .cursor])
    public static let get = Endpoint<NoBody, OrderDTO>("getOrder", .GET, "/api/v1/orders/{id}", access: .user,
        summary: "An order of the caller's with lines, totals, fulfilments and its status history (admins: any order).")
    public static let cancel = Endpoint<NoBody, OrderDTO>("cancelOrder", .POST, "/api/v1/orders/{id}/cancel", access: .user,
        summary: "Cancel before anything shipped (the owner or an admin): stock returns, a captured payment is refunded.",
        problems: transitionProblems, headers: [ifMatch])
    public static let ship = Endpoint<ShipRequest, OrderDTO>("shipOrder", .POST, "/api/v1/orders/{id}/ship", access: .roles([.seller, .admin]),
        summary: "Ship the caller's shop's part of a paid order (admins name `shopId`); the order is `shipped` when every shop has shipped.",
        problems: transitionProblems, headers: [ifMatch])
    public static let deliver = Endpoint<DeliverRequest, OrderDTO>("deliverOrder", .POST, "/api/v1/orders/{id}/deliver", access: .roles([.seller, .admin]),
        summary: "Mark the caller's shop's shipped part delivered; the order is `delivered` when every part is.",
        problems: transitionProblems, headers: [ifMatch])
    public static let adminList = Endpoint<NoBody, Page<OrderDTO>>("adminListOrders", .GET, "/api/v1/admin/orders", access: .roles([.admin]),
        summary: "Every order, newest first.",
        query: [statusQuery, QueryParameter("from", .string(format: "date-time"), "Placed at or after."),
                QueryParameter("to", .string(format: "date-time"), "Placed before."), .limit, .cursor])
    public static let sellerOrders = Endpoint<NoBody, Page<SellerOrderDTO>>("listShopOrders", .GET, "/api/v1/shops/me/orders", access: .roles([.seller]),
        summary: "The orders holding the caller's shop's lines: those lines, their fulfilment and the shipping address only.",
        query: [QueryParameter("status", .string(values: FulfilmentStatus.allCases.map(\.rawValue)), "Only parts in this fulfilment status."),
                .limit, .cursor])

    /// Every endpoint the order service serves.
    public static let all: [EndpointDescription] = [
        checkout.description, list.description, get.description, cancel.description, ship.description, deliver.description,
        adminList.description, sellerOrders.description,
    ]
}

/// The events the order service publishes.
public enum OrderEvent {
    /// A checkout created an order waiting for its payment.
    public static let placed = EventType("order.placed", publisher: .order, payload: OrderEventData.self)
    /// Its payment was captured.
    public static let paid = EventType("order.paid", publisher: .order, payload: OrderEventData.self)
    /// It was cancelled (by the customer, an admin, or when its payment window ended).
    public static let cancelled = EventType("order.cancelled", publisher: .order, payload: OrderEventData.self)
    /// One shop shipped its part.
    public static let fulfilmentShipped = EventType("order.fulfilment_shipped", publisher: .order, payload: FulfilmentShipped.self)
    /// Every part was delivered.
    public static let delivered = EventType("order.delivered", publisher: .order, payload: OrderEventData.self)

    /// Every order event.
    public static let all: [EventDescriptor] = [placed.descriptor, paid.descriptor, cancelled.descriptor, fulfilmentShipped.descriptor, delivered.descriptor]
}
