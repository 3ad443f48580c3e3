import Foundation
import Hummingbird
import PlexusKit
import PromotionAPI

/// `/api/v1/promotions` (admins: the marketplace; sellers: their own shop) and the internal evaluation.
struct PromotionsController: Sendable {
    let promotions: PromotionRepository
    let currency: String

    /// Who manages: an admin (every promotion) or a seller (their shop's).
    struct Manager: Sendable {
        var admin: Bool
        var shopID: UUID?
    }

    func manager(_ context: PlexusContext) async throws -> Manager {
        let user = try context.requireUser()
        if user.roles.contains(.admin) { return Manager(admin: true, shopID: nil) }
        guard let shop = try await promotions.shop(ownedBy: try context.requireUserID(), logger: context.logger) else {
            throw ProblemError.forbidden("Open a shop before creating promotions.", code: "no_shop")
        }
        return Manager(admin: false, shopID: shop)
    }

    func addRoutes(to router: EndpointRouter) {
        router.on(PromotionEndpoints.create) { request, context in
            let body = try await request.decodeBody(CreatePromotionRequest.self, context: context)
            let manager = try await manager(context)
            var errors = body.validate(currency: currency, now: Date())
            if let shop = manager.shopID, let shops = body.shopIds, shops.contains(where: { $0 != shop }) {
                errors.append(FieldError(field: "shopIds", code: "not_your_shop", message: "A seller's promotion covers their own shop only."))
            }
            guard errors.isEmpty else { throw ProblemError.validation(errors) }
            let rule = try await promotions.create(body, code: PromotionEvaluation.normalized(body.code), shopID: manager.shopID, currency: currency,
                                                   now: Date(), logger: context.logger)
            return try Response.json(rule.dto, status: .created)
        }
        router.on(PromotionEndpoints.list) { request, context in
            let manager = try await manager(context)
            let query = try request.query(allowing: ["code", "active", "limit", "cursor"])
            let page = try PageRequest(query: query)
            var active: Bool?
            if let raw = query["active"] {
                guard let value = Bool(raw) else {
                    throw ProblemError(.badRequest, code: "invalid_query", detail: "active must be true or false.",
                                       errors: [FieldError(field: "active", code: "invalid", message: "Use true or false.")])
                }
                active = value
            }
            let code = query["code"].map { String($0.trimmingCharacters(in: .whitespaces).prefix(32)) }.flatMap { $0.isEmpty ? nil : $0 }
            let found = try await promotions.list(shopID: manager.shopID, admin: manager.admin, code: code, active: active, page: page, logger: context.logger)
            return try Response.json(Page(fetched: found, limit: page.limit, id: \.id, item: \.dto))
        }
        router.on(PromotionEndpoints.get) { _, context in
            let manager = try await manager(context)
            guard let rule = try await promotions.find(try context.uuidParameter("id"), shopID: manager.shopID, admin: manager.admin, logger: context.logger)
            else { throw ProblemError.notFound() }
            return try Response.json(rule.dto)
        }
        router.on(PromotionEndpoints.update) { request, context in
            let body = try await request.decodeBody(UpdatePromotionRequest.self, context: context)
            let errors = body.validate(currency: currency)
            guard errors.isEmpty else { throw ProblemError.validation(errors) }
            let manager = try await manager(context)
            let id = try context.uuidParameter("id")
            guard let current = try await promotions.find(id, shopID: manager.shopID, admin: manager.admin, logger: context.logger) else {
                throw ProblemError.notFound()
            }
            if let endsAt = body.endsAt, endsAt <= current.startsAt {
                throw ProblemError.validation([FieldError(field: "endsAt", code: "before_start", message: "It must end after it starts.")])
            }
            guard let rule = try await promotions.update(id, body, shopID: manager.shopID, admin: manager.admin, logger: context.logger) else {
                throw ProblemError.notFound()
            }
            return try Response.json(rule.dto)
        }
        router.on(PromotionEndpoints.delete) { _, context in
            let manager = try await manager(context)
            guard try await promotions.delete(try context.uuidParameter("id"), shopID: manager.shopID, admin: manager.admin, logger: context.logger)
            else { throw ProblemError.notFound() }
            return Response(status: .noContent)
        }
        router.on(PromotionEndpoints.evaluate) { request, context in
            let body = try await request.decodeBody(EvaluationRequest.self, context: context)
            guard let rule = try await promotions.find(code: PromotionEvaluation.normalized(body.code), logger: context.logger) else {
                throw PromotionRefusal.notFound.problem
            }
            let uses = rule.perCustomerLimit == nil ? 0 : try await promotions.uses(of: rule.id, by: body.customerId, logger: context.logger)
            switch PromotionEvaluation.evaluate(rule, lines: body.lines, customerID: body.customerId, vip: body.vip, customerUses: uses, now: Date()) {
            case .success(let result): return try Response.json(result)
            case .failure(let refusal): throw refusal.problem
            }
        }
        router.on(PromotionEndpoints.redeem) { request, context in
            let body = try await request.decodeBody(RedeemRequest.self, context: context)
            return try Response.json(try await promotions.redeem(body, logger: context.logger), status: .created)
        }
        router.on(PromotionEndpoints.release) { _, context in
            guard let redemption = try await promotions.release(orderID: try context.uuidParameter("orderId"), logger: context.logger) else {
                throw ProblemError.notFound("This order used no promotion.")
            }
            return try Response.json(redemption)
        }
    }
}
