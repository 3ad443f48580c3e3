import Foundation
import Logging
import PlexusContract

/// The cart service's endpoints: the one declaration its router, the gateway and the documentation read.
public enum CartEndpoints {
    /// The header carrying a guest cart's token.
    public static let cartTokenHeader = "X-Cart-Token"

    static let cartToken = QueryParameter(cartTokenHeader, .string(),
        "A guest cart's token (returned on the first cart call without a sign-in). With a bearer token too, that guest cart merges into the user's.")
    static let ifMatch = QueryParameter("If-Match", .string(), "The cart's `version` in quotes: a stale one answers 412 and changes nothing. Without it, the write applies.")
    static let writeProblems = [
        ProblemCase(412, "version_mismatch", "The cart changed since the version in If-Match."),
        ProblemCase(409, "own_product", "Sellers cannot buy from their own shop."),
        ProblemCase(409, "insufficient_stock", "Not that many units are available."),
        ProblemCase(422, "not_purchasable", "The variant does not exist or is not for sale."),
        ProblemCase(503, "catalog_unavailable", "The catalogue cannot be reached; try again."),
    ]

    public static let get = Endpoint<NoBody, CartDTO>("getCart", .GET, "/api/v1/cart", access: .anyone,
        summary: "The caller's cart (signed in, or the guest cart of X-Cart-Token; a new guest cart otherwise), priced now by the catalogue.",
        headers: [cartToken])
    public static let addItem = Endpoint<AddCartItemRequest, CartDTO>("addCartItem", .POST, "/api/v1/cart/items", access: .anyone,
        summary: "Add units of a variant; the same variant adds up (at most 99 and what is available).", problems: writeProblems,
        headers: [cartToken, ifMatch])
    public static let updateItem = Endpoint<UpdateCartItemRequest, CartDTO>("updateCartItem", .PATCH, "/api/v1/cart/items/{lineId}", access: .anyone,
        summary: "Set a line's quantity (1–99, within what is available).", problems: writeProblems, headers: [cartToken, ifMatch])
    public static let removeItem = Endpoint<NoBody, CartDTO>("removeCartItem", .DELETE, "/api/v1/cart/items/{lineId}", access: .anyone,
        summary: "Remove a line.", problems: [writeProblems[0]], headers: [cartToken, ifMatch])
    public static let applyPromotion = Endpoint<ApplyPromotionRequest, CartDTO>("applyCartPromotion", .PUT, "/api/v1/cart/promotion", access: .anyone,
        summary: "Apply a promotion code to the cart (one per cart: another replaces it, the same one does not stack); the problem's code says why one does not apply.",
        problems: [writeProblems[0], ProblemCase(404, "promotion_not_found", "No promotion has this code."),
                   ProblemCase(422, "promotion_expired", "It has ended (other reasons: promotion_not_started, promotion_exhausted, promotion_customer_limit, promotion_vip_only, promotion_sign_in_required, promotion_not_applicable, promotion_minimum_not_met)."),
                   ProblemCase(503, "promotion_unavailable", "The promotion service cannot be reached; try again.")],
        headers: [cartToken, ifMatch])
    public static let removePromotion = Endpoint<NoBody, CartDTO>("removeCartPromotion", .DELETE, "/api/v1/cart/promotion", access: .anyone,
        summary: "Remove the cart's promotion code.", problems: [writeProblems[0]], headers: [cartToken, ifMatch])
    public static let merge = Endpoint<MergeCartRequest, CartDTO>("mergeCart", .POST, "/api/v1/cart/merge", access: .user,
        summary: "Merge a guest cart into the caller's (quantities add, capped by stock); the guest cart is consumed.",
        problems: [ProblemCase(404, "cart_not_found", "No guest cart has that token (expired, or merged already).")])

    public static let claim = Endpoint<ClaimCartRequest, CartClaimDTO>("claimCart", .POST, "/internal/carts/claims", access: .services([.order]),
        summary: "Hold the user's cart for one checkout: its lines and code. A cart held by another live checkout answers 409.",
        problems: [ProblemCase(409, "cart_checked_out", "Another checkout holds this cart."), ProblemCase(422, "cart_empty", "The cart has no lines.")])
    public static let completeClaim = Endpoint<NoBody, NoContent>("completeCartClaim", .POST, "/internal/carts/claims/{orderId}/complete",
        access: .services([.order]), summary: "The checkout placed its order: empty the cart (its lines and code). Repeating it is harmless.", status: 204)
    public static let releaseClaim = Endpoint<NoBody, NoContent>("releaseCartClaim", .POST, "/internal/carts/claims/{orderId}/release",
        access: .services([.order]), summary: "The checkout failed: the cart is the user's again, unchanged. Repeating it is harmless.", status: 204)

    /// Every endpoint the cart service serves.
    public static let all: [EndpointDescription] = [
        get.description, addItem.description, updateItem.description, removeItem.description, applyPromotion.description,
        removePromotion.description, merge.description, claim.description, completeClaim.description, releaseClaim.description,
    ]
}

/// How the order service takes a cart for a checkout.
public protocol CartClaiming: Sendable {
    /// Holds the user's cart for `orderId`.
    func claim(userID: UUID, orderID: UUID, logger: Logger) async throws -> CartClaimDTO
    /// Empties the cart the order was placed from.
    func complete(orderID: UUID, logger: Logger) async throws
    /// Gives the cart back unchanged.
    func release(orderID: UUID, logger: Logger) async throws
}

/// The typed client of the cart's internal routes.
public struct CartClient: CartClaiming {
    let transport: any EndpointTransport

    /// Creates a client over a transport.
    public init(_ transport: any EndpointTransport) {
        self.transport = transport
    }

    public func claim(userID: UUID, orderID: UUID, logger: Logger) async throws -> CartClaimDTO {
        try await transport.call(CartEndpoints.claim, body: ClaimCartRequest(userId: userID, orderId: orderID), logger: logger)
    }

    public func complete(orderID: UUID, logger: Logger) async throws {
        _ = try await transport.call(CartEndpoints.completeClaim, path: ["orderId": orderID.uuidString], logger: logger)
    }

    public func release(orderID: UUID, logger: Logger) async throws {
        _ = try await transport.call(CartEndpoints.releaseClaim, path: ["orderId": orderID.uuidString], logger: logger)
    }
}
