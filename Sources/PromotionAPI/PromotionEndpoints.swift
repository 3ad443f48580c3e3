import Foundation
import Logging
import PlexusContract

/// The promotion service's endpoints: the one declaration its router, typed client, the gateway
/// and the documentation read.
public enum PromotionEndpoints {
    static let manage = Access.roles([.seller, .admin])
    static let noShop = ProblemCase(403, "no_shop", "A seller needs a shop first.")

    public static let create = Endpoint<CreatePromotionRequest, PromotionDTO>("createPromotion", .POST, "/api/v1/promotions", access: manage,
        summary: "Create a promotion: an admin for the whole marketplace, a seller for their own shop's products.", status: 201,
        problems: [ProblemCase(409, "code_taken", "Another promotion has this code."), noShop])
    public static let list = Endpoint<NoBody, Page<PromotionDTO>>("listPromotions", .GET, "/api/v1/promotions", access: manage,
        summary: "Promotions with their usage counts (a seller sees their own).",
        query: [QueryParameter("code", .string(), "Part of the code."), QueryParameter("active", .boolean, "Only those running now (`true`) or not (`false`)."),
                .limit, .cursor])
    public static let get = Endpoint<NoBody, PromotionDTO>("getPromotion", .GET, "/api/v1/promotions/{id}", access: manage, summary: "A promotion.")
    public static let update = Endpoint<UpdatePromotionRequest, PromotionDTO>("updatePromotion", .PATCH, "/api/v1/promotions/{id}", access: manage,
        summary: "Change a promotion's end, limits, minimum or VIP flag.")
    public static let delete = Endpoint<NoBody, NoContent>("deletePromotion", .DELETE, "/api/v1/promotions/{id}", access: manage,
        summary: "End a promotion (kept, with its usage, but no longer usable).", status: 204)

    /// Why a code does not apply: the `code` of the 422 problem names the reason.
    public static let refusals = [
        ProblemCase(404, "promotion_not_found", "No promotion has this code."),
        ProblemCase(422, "promotion_not_started", "It starts later."),
        ProblemCase(422, "promotion_expired", "It has ended."),
        ProblemCase(422, "promotion_exhausted", "It has been used as often as it may."),
        ProblemCase(422, "promotion_customer_limit", "This customer has used it as often as they may."),
        ProblemCase(422, "promotion_vip_only", "Only VIP members may use it."),
        ProblemCase(422, "promotion_sign_in_required", "Sign in to use it."),
        ProblemCase(422, "promotion_not_applicable", "No line of the cart is eligible (another shop, product or category)."),
        ProblemCase(422, "promotion_minimum_not_met", "The eligible lines do not reach its minimum."),
    ]
    public static let evaluate = Endpoint<EvaluationRequest, EvaluationResult>("evaluatePromotion", .POST, "/internal/promotions/evaluate",
        access: .services([.cart, .order]), summary: "What a code takes off some lines for a customer, per line.", problems: refusals)

    public static let redeem = Endpoint<RedeemRequest, RedemptionDTO>("redeemPromotion", .POST, "/internal/promotions/redemptions",
        access: .services([.order]), summary: "Count one use of a code by a paid order, atomically within its limits (repeating it for the order is harmless).",
        status: 201, problems: [ProblemCase(404, "promotion_not_found", "No promotion has this code."),
                                ProblemCase(409, "promotion_exhausted", "Its usage limit is reached."),
                                ProblemCase(409, "promotion_customer_limit", "The customer's limit is reached.")])
    public static let release = Endpoint<NoBody, RedemptionDTO>("releasePromotionRedemption", .POST, "/internal/promotions/redemptions/{orderId}/release",
        access: .services([.order]), summary: "Give back the use an order made (it was cancelled); repeating it is harmless.")

    /// Every endpoint the promotion service serves.
    public static let all: [EndpointDescription] = [create.description, list.description, get.description, update.description, delete.description,
                                                    evaluate.description, redeem.description, release.description]
}

/// Event types the promotion service publishes.
public enum PromotionEvent {
    /// A promotion was created, changed or ended: carts should evaluate its code afresh.
    public static let changed = EventType("promotion.changed", publisher: .promotion, payload: PromotionChanged.self)

    /// Every type the promotion service publishes.
    public static let all: [EventDescriptor] = [changed.descriptor]
}

/// `promotion.changed`.
public struct PromotionChanged: Codable, Sendable, Equatable {
    public var promotionId: UUID
    public var code: String

    public init(promotionId: UUID, code: String) {
        self.promotionId = promotionId
        self.code = code
    }
}

/// What the cart and the order service ask the promotion service.
public protocol PromotionEvaluating: Sendable {
    /// The discount of `request.code` on its lines; a refusal arrives as a ``RemoteProblem`` (404/422).
    func evaluate(_ request: EvaluationRequest, logger: Logger) async throws -> EvaluationResult
}

/// The promotion service's typed client over any transport.
public struct PromotionClient: PromotionEvaluating {
    let transport: any EndpointTransport

    /// Creates a client.
    public init(_ transport: any EndpointTransport) {
        self.transport = transport
    }

    public func evaluate(_ request: EvaluationRequest, logger: Logger) async throws -> EvaluationResult {
        try await transport.call(PromotionEndpoints.evaluate, body: request, deadline: .seconds(5), logger: logger)
    }

    /// Counts one use of a code by an order (atomically within its limits).
    public func redeem(_ request: RedeemRequest, logger: Logger) async throws -> RedemptionDTO {
        try await transport.call(PromotionEndpoints.redeem, body: request, deadline: .seconds(5), logger: logger)
    }

    /// Gives back the use an order made; `nil` when it made none.
    public func release(orderID: UUID, logger: Logger) async throws -> RedemptionDTO? {
        try await transport.callIfFound(PromotionEndpoints.release, path: ["orderId": orderID.uuidString], logger: logger)
    }
}
