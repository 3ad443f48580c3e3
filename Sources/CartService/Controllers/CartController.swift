import CartAPI
import CatalogAPI
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PlexusKit
import PromotionAPI

/// The catalogue's quotes with a short cache: one catalogue call per cart read at most.
struct QuoteSource: Sendable {
    let catalog: any VariantQuoting
    let cache: TTLCache<UUID, VariantQuote>?

    init(catalog: any VariantQuoting, ttl: Duration) {
        self.catalog = catalog
        self.cache = ttl > .zero ? TTLCache(capacity: 50_000, ttl: ttl) : nil
    }

    /// Quotes for the variants of `ids` that exist, fetching every uncached one in one call.
    func quotes(_ ids: [UUID], logger: Logger) async throws -> [UUID: VariantQuote] {
        var found: [UUID: VariantQuote] = [:]
        var missing: [UUID] = []
        for id in Set(ids) {
            if let quote = cache?.get(id) { found[id] = quote } else { missing.append(id) }
        }
        guard !missing.isEmpty else { return found }
        let fetched: [VariantQuote]
        do {
            fetched = try await catalog.quote(missing, logger: logger)
        } catch {
            logger.warning("catalogue quote failed", metadata: ["error": .string(String(describing: error))])
            throw ProblemError.unavailable("The catalogue cannot be reached to price the cart; try again.", code: "catalog_unavailable", retryAfter: 1)
        }
        for quote in fetched {
            found[quote.variantId] = quote
            cache?.set(quote.variantId, quote)
        }
        return found
    }

    /// A fresh quote for one variant (a write must not rely on a cached stock figure).
    func fresh(_ id: UUID, logger: Logger) async throws -> VariantQuote? {
        cache?.remove(id)
        return try await quotes([id], logger: logger)[id]
    }
}

/// The promotion service's answers with a short cache, emptied for a code when its
/// `promotion.changed` arrives (other replicas hold an answer at most the cache's lifetime).
struct PromotionSource: Sendable {
    let promotions: any PromotionEvaluating
    let cache: TTLCache<String, EvaluationResult>?

    init(promotions: any PromotionEvaluating, ttl: Duration) {
        self.promotions = promotions
        self.cache = ttl > .zero ? TTLCache(capacity: 50_000, ttl: ttl) : nil
    }

    /// The same question gets the same key: code, customer, VIP and every line's variant and amount.
    static func key(_ request: EvaluationRequest) -> String {
        ([request.code, request.customerId?.uuidString ?? "-", request.vip ? "vip" : "-"]
            + request.lines.map { "\($0.variantId.uuidString):\($0.amount.amount)\($0.amount.currency)" }).joined(separator: "|")
    }

    /// The evaluation; only an applying code is cached (a refusal is asked again).
    func evaluate(_ request: EvaluationRequest, logger: Logger) async throws -> EvaluationResult {
        let key = Self.key(request)
        if let cached = cache?.get(key) { return cached }
        let result = try await promotions.evaluate(request, logger: logger)
        cache?.set(key, result)
        return result
    }

    /// Forgets every answer about `code`.
    func forget(code: String) {
        cache?.removeAll { key, _ in key.hasPrefix(code + "|") }
    }
}

/// `/api/v1/cart`: a signed-in user's cart, or a guest's behind `X-Cart-Token`.
struct CartController: Sendable {
    let carts: CartRepository
    let quotes: QuoteSource
    let promotions: PromotionSource
    let currency: String

    static let tokenHeader = HTTPField.Name(CartEndpoints.cartTokenHeader)!

    func addRoutes(to router: EndpointRouter) {
        router.on(CartEndpoints.get) { request, context in
            let cart = try await resolve(request, context, reading: true)
            return try await respond(cart, context)
        }
        router.on(CartEndpoints.addItem) { request, context in
            let body = try await request.decodeBody(AddCartItemRequest.self, context: context)
            let expected = try request.expectedVersion()
            let cart = try await resolve(request, context)
            let facts = try await purchasable(body.variantId, context)
            try await carts.add(facts, quantity: body.quantity, cartID: cart.id, expected: expected, logger: context.logger)
            return try await respond(cart, context)
        }
        router.on(CartEndpoints.updateItem) { request, context in
            let body = try await request.decodeBody(UpdateCartItemRequest.self, context: context)
            let expected = try request.expectedVersion()
            let lineID = try context.uuidParameter("lineId")
            let cart = try await resolve(request, context)
            guard let variant = try await carts.variant(ofLine: lineID, cartID: cart.id, logger: context.logger) else {
                throw ProblemError.notFound("The cart has no such line.")
            }
            let facts = try await purchasable(variant, context)
            try await carts.setQuantity(lineID: lineID, quantity: body.quantity, cap: facts.cap, cartID: cart.id, expected: expected, logger: context.logger)
            return try await respond(cart, context)
        }
        router.on(CartEndpoints.removeItem) { request, context in
            let expected = try request.expectedVersion()
            let lineID = try context.uuidParameter("lineId")
            let cart = try await resolve(request, context)
            try await carts.remove(lineID: lineID, cartID: cart.id, expected: expected, logger: context.logger)
            return try await respond(cart, context)
        }
        router.on(CartEndpoints.applyPromotion) { request, context in
            let body = try await request.decodeBody(ApplyPromotionRequest.self, context: context)
            let expected = try request.expectedVersion()
            let cart = try await resolve(request, context)
            guard let stored = try await carts.load(cart.id, logger: context.logger) else { throw ProblemError.notFound(code: "cart_not_found") }
            let quoted = try await quotes.quotes(stored.lines.map(\.variantID), logger: context.logger)
            let code = body.code.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
            // Applied only when it applies now: a refusal is the promotion service's own problem.
            let request = evaluation(code, stored, quoted, context)
            switch await evaluate(request, context) {
            case .applied(let result):
                try await carts.setPromotion(code, cartID: cart.id, expected: expected, logger: context.logger)
                return try await respond(cart, context, known: Known(quotes: quoted, evaluation: request, result: result))
            case .refused(let refusal):
                throw ProblemError(refusal.status == 404 ? .notFound : .unprocessableContent, code: refusal.problem?.code ?? "promotion_not_applicable",
                                   detail: refusal.problem?.detail ?? "This code does not apply.")
            case .unavailable:
                throw ProblemError.unavailable("Promotions cannot be checked right now; try again.", code: "promotion_unavailable", retryAfter: 1)
            }
        }
        router.on(CartEndpoints.removePromotion) { request, context in
            let expected = try request.expectedVersion()
            let cart = try await resolve(request, context)
            try await carts.setPromotion(nil, cartID: cart.id, expected: expected, logger: context.logger)
            return try await respond(cart, context)
        }
        router.on(CartEndpoints.merge) { request, context in
            let body = try await request.decodeBody(MergeCartRequest.self, context: context)
            let user = try context.requireUserID()
            let cartID = try await carts.userCart(user, logger: context.logger)
            guard let hash = Self.tokenHash(body.cartToken),
                  try await merge(guestTokenHash: hash, into: cartID, user: user, context) else {
                throw ProblemError.notFound("No guest cart has that token: it expired or was merged already.", code: "cart_not_found")
            }
            return try await respond(ResolvedCart(id: cartID, newToken: nil), context)
        }
    }

    // MARK: Whose cart

    struct ResolvedCart: Sendable {
        var id: UUID
        /// A guest cart made by this request: its token goes back in `X-Cart-Token`.
        var newToken: String?
        /// The cart as read while finding it (a read only: a write reads it again after changing it).
        var loaded: StoredCart? = nil
    }

    /// The signed-in caller's cart (merging the guest cart of `X-Cart-Token` into it first), the
    /// guest cart of `X-Cart-Token`, or a new guest cart. `reading`: the request only reads, so the
    /// signed-in caller's cart is read whole at once (one statement for the commonest request).
    func resolve(_ request: Request, _ context: PlexusContext, reading: Bool = false) async throws -> ResolvedCart {
        let tokenHash = request.headers[Self.tokenHeader].flatMap(Self.tokenHash)
        if let user = context.principal?.userID {
            if reading, tokenHash == nil, let stored = try await carts.load(userID: user, logger: context.logger) {
                return ResolvedCart(id: stored.id, newToken: nil, loaded: stored)
            }
            let cartID = try await carts.userCart(user, logger: context.logger)
            if let tokenHash { _ = try await merge(guestTokenHash: tokenHash, into: cartID, user: user, context) }
            return ResolvedCart(id: cartID, newToken: nil)
        }
        if let tokenHash, let cartID = try await carts.guestCart(tokenHash: tokenHash, logger: context.logger) {
            return ResolvedCart(id: cartID, newToken: nil)
        }
        let token = RandomToken.urlSafe(bytes: 32)
        let cartID = try await carts.createGuestCart(tokenHash: RandomToken.sha256Hex(token), logger: context.logger)
        return ResolvedCart(id: cartID, newToken: token)
    }

    /// The stored form of a well-formed token (43 base64url characters), or `nil`.
    static func tokenHash(_ token: String) -> String? {
        guard token.utf8.count == 43, token.utf8.allSatisfy({ byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }) else { return nil }
        return RandomToken.sha256Hex(token)
    }

    /// Merges the guest cart into the user's: quantities add, capped by 99 and what is available;
    /// lines the user may not buy (gone, unpublished, their own shop's) stay behind.
    func merge(guestTokenHash: String, into cartID: UUID, user: UUID, _ context: PlexusContext) async throws -> Bool {
        try await carts.merge(guestTokenHash: guestTokenHash, into: cartID, caps: { lines in
            let quoted = try await quotes.quotes(lines.map(\.variantID), logger: context.logger)
            var caps: [UUID: Int] = [:]
            for (id, quote) in quoted where quote.isPurchasable && quote.shopOwnerId != user {
                caps[id] = min(99, quote.available)
            }
            return caps
        }, logger: context.logger)
    }

    // MARK: Rules

    /// The evaluation of `code` on the cart's counted lines, for the caller (VIP from their verified roles).
    func evaluation(_ code: String, _ cart: StoredCart, _ quoted: [UUID: VariantQuote], _ context: PlexusContext) -> EvaluationRequest {
        EvaluationRequest(code: code, customerId: context.principal?.userID, vip: context.principal?.roles.contains(.vip) ?? false,
                          lines: CartPricing.evaluationLines(cart, quotes: quoted))
    }

    /// What the promotion service says of a code.
    enum Evaluated {
        case applied(EvaluationResult)
        /// A refusal of the code itself (any 4xx: the code is the client's).
        case refused(RemoteProblem)
        /// The promotion service could not answer.
        case unavailable
    }

    func evaluate(_ request: EvaluationRequest, _ context: PlexusContext) async -> Evaluated {
        do {
            return .applied(try await promotions.evaluate(request, logger: context.logger))
        } catch let refusal as RemoteProblem where (400..<500).contains(refusal.status) {
            return .refused(refusal)
        } catch {
            context.logger.warning("promotion service call failed", metadata: ["error": .string(String(describing: error))])
            return .unavailable
        }
    }

    /// What adding the variant needs, or the problem saying why it cannot be bought.
    func purchasable(_ variantID: UUID, _ context: PlexusContext) async throws -> LineFacts {
        guard let quote = try await quotes.fresh(variantID, logger: context.logger), quote.isPurchasable else {
            throw ProblemError(.unprocessableContent, code: "not_purchasable", detail: "That variant does not exist or is not for sale.")
        }
        if let user = context.principal?.userID, quote.shopOwnerId == user {
            throw ProblemError.conflict("own_product", "Sellers cannot buy from their own shop.")
        }
        return LineFacts(variantID: quote.variantId, productID: quote.productId, productName: quote.productName, sku: quote.sku,
                         unitPrice: quote.unitPrice, cap: min(99, quote.available))
    }

    // MARK: Answer

    /// What a write already asked, for the answer to reuse while the cart's lines are the same.
    struct Known: Sendable {
        var quotes: [UUID: VariantQuote]
        var evaluation: EvaluationRequest
        var result: EvaluationResult
    }

    /// The cart priced now, with its version as the ETag and a new guest token when one was made.
    func respond(_ cart: ResolvedCart, _ context: PlexusContext, known: Known? = nil) async throws -> Response {
        let read = if let loaded = cart.loaded { loaded } else { try await carts.load(cart.id, logger: context.logger) }
        guard let stored = read else {
            throw ProblemError.notFound("The cart no longer exists.", code: "cart_not_found")
        }
        let variants = stored.lines.map(\.variantID)
        let quoted: [UUID: VariantQuote]
        if let known, variants.allSatisfy({ known.quotes[$0] != nil }) {
            quoted = known.quotes
        } else {
            quoted = try await quotes.quotes(variants, logger: context.logger)
        }
        var outcome: PromotionOutcome?
        if let code = stored.promotionCode {
            let request = evaluation(code, stored, quoted, context)
            let evaluated = if let known, known.evaluation == request { Evaluated.applied(known.result) } else { await evaluate(request, context) }
            switch evaluated {
            case .applied(let result): outcome = .applied(result)
            case .refused(let refusal): outcome = .refused(code: code, reason: refusal.problem?.detail ?? "it is not valid for this cart.")
            case .unavailable: outcome = .refused(code: code, reason: "it cannot be checked right now; the discount shows again when it can.")
            }
        }
        let priced = CartPricing.price(stored, quotes: quoted, currency: currency, promotion: outcome)
        var headers: HTTPFields = [.eTag: "\"\(priced.version)\"", .cacheControl: "no-store"]
        if let token = cart.newToken { headers[Self.tokenHeader] = token }
        return try Response.json(priced, headers: headers)
    }
}
