import CartAPI
import Foundation
import Hummingbird
import Logging
import PlexusKit
import PostgresNIO

/// Checkouts' holds on carts (`cart_claims`): taken under the cart's row lock, so two checkouts of
/// one cart cannot both take it; a hold older than `staleAfter` (its checkout died and was never
/// compensated) no longer blocks.
struct CartClaims: Sendable {
    let client: DatabaseClient
    var staleAfter: Duration = .seconds(600)

    /// Holds the user's cart for `orderID` (again for the same order: the same answer).
    func claim(userID: UUID, orderID: UUID, logger: Logger) async throws -> CartClaimDTO {
        try await client.withTransaction(logger: logger) { connection in
            if let existing = try await Self.claim(orderID, on: connection, logger: logger) { return existing }
            var cartID: UUID?
            for try await id in try await connection.query("SELECT id FROM carts WHERE user_id = \(userID) FOR UPDATE", logger: logger).decode(UUID.self) {
                cartID = id
            }
            guard let cartID else { throw ProblemError(.unprocessableContent, code: "cart_empty", detail: "The cart has no lines.") }
            try await connection.query("""
                UPDATE cart_claims SET status = 'released', updated_at = now()
                WHERE cart_id = \(cartID) AND status = 'held' AND created_at < now() - make_interval(secs => \(staleAfter.seconds))
                """, logger: logger)
            for try await _ in try await connection.query("SELECT 1 FROM cart_claims WHERE cart_id = \(cartID) AND status = 'held'", logger: logger) {
                throw ProblemError.conflict("cart_checked_out", "Another checkout of this cart is running; wait for it to finish.")
            }
            guard let cart = try await CartRepository.load(cartID, on: connection, logger: logger), !cart.lines.isEmpty else {
                throw ProblemError(.unprocessableContent, code: "cart_empty", detail: "The cart has no lines.")
            }
            let lines = cart.lines.map { ClaimedLine(variantId: $0.variantID, quantity: $0.quantity) }
            let json = String(decoding: try JSON.encoder.encode(lines), as: UTF8.self)
            try await connection.query("""
                INSERT INTO cart_claims (order_id, cart_id, lines, promotion_code) VALUES (\(orderID), \(cartID), \(json)::jsonb, \(cart.promotionCode))
                """, logger: logger)
            return CartClaimDTO(cartId: cartID, orderId: orderID, lines: lines, promotionCode: cart.promotionCode)
        }
    }

    /// The order was placed: its units leave the cart (a line added to meanwhile keeps the rest), and
    /// its code too. Repeating it changes nothing.
    func complete(orderID: UUID, logger: Logger) async throws {
        try await settle(orderID: orderID, to: "completed", logger: logger) { claim, connection in
            // Lines claimed whole go; lines added to meanwhile keep the rest (deleted first, so a line
            // the update lowers is never mistaken for a whole one).
            let variants = claim.lines.map(\.variantId), quantities = claim.lines.map(\.quantity)
            try await connection.query("""
                DELETE FROM cart_lines c USING unnest(\(variants)::uuid[], \(quantities)::int[]) AS k(variant_id, quantity)
                WHERE c.cart_id = \(claim.cartId) AND c.variant_id = k.variant_id AND c.quantity <= k.quantity
                """, logger: logger)
            try await connection.query("""
                UPDATE cart_lines c SET quantity = c.quantity - k.quantity, updated_at = now()
                FROM unnest(\(variants)::uuid[], \(quantities)::int[]) AS k(variant_id, quantity)
                WHERE c.cart_id = \(claim.cartId) AND c.variant_id = k.variant_id AND c.quantity > k.quantity
                """, logger: logger)
            try await connection.query("""
                UPDATE carts SET promotion_code = CASE WHEN promotion_code IS NOT DISTINCT FROM \(claim.promotionCode) THEN NULL ELSE promotion_code END,
                       version = version + 1, updated_at = now()
                WHERE id = \(claim.cartId)
                """, logger: logger)
        }
    }

    /// The checkout failed: the cart is free again, unchanged.
    func release(orderID: UUID, logger: Logger) async throws {
        try await settle(orderID: orderID, to: "released", logger: logger) { _, _ in }
    }

    private func settle(orderID: UUID, to status: String, logger: Logger,
                        _ effect: @escaping @Sendable (CartClaimDTO, PostgresConnection) async throws -> Void) async throws {
        try await client.withTransaction(logger: logger) { connection in
            var held = false
            for try await _ in try await connection.query("""
                SELECT 1 FROM carts c JOIN cart_claims k ON k.cart_id = c.id WHERE k.order_id = \(orderID) AND k.status = 'held' FOR UPDATE
                """, logger: logger) { held = true }
            guard held, let claim = try await Self.claim(orderID, on: connection, logger: logger) else { return }
            try await effect(claim, connection)
            try await connection.query("UPDATE cart_claims SET status = \(status), updated_at = now() WHERE order_id = \(orderID)", logger: logger)
        }
    }

    static func claim(_ orderID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> CartClaimDTO? {
        let rows = try await connection.query("SELECT cart_id, lines::text, promotion_code FROM cart_claims WHERE order_id = \(orderID)", logger: logger)
        for try await (cartID, lines, code) in rows.decode((UUID, String, String?).self) {
            return CartClaimDTO(cartId: cartID, orderId: orderID, lines: try JSON.decoder.decode([ClaimedLine].self, from: Data(lines.utf8)),
                                promotionCode: code)
        }
        return nil
    }

    /// The internal routes the order service calls.
    func addRoutes(to router: EndpointRouter) {
        router.on(CartEndpoints.claim) { request, context in
            let body = try await request.decodeBody(ClaimCartRequest.self, context: context)
            return try Response.json(try await claim(userID: body.userId, orderID: body.orderId, logger: context.logger))
        }
        router.on(CartEndpoints.completeClaim) { _, context in
            try await complete(orderID: try context.uuidParameter("orderId"), logger: context.logger)
            return Response(status: .noContent)
        }
        router.on(CartEndpoints.releaseClaim) { _, context in
            try await release(orderID: try context.uuidParameter("orderId"), logger: context.logger)
            return Response(status: .noContent)
        }
    }
}
