import CatalogAPI
import Foundation
import Hummingbird
import PlexusKit
import ShopAPI

/// `/api/v1/shops`.
struct ShopsController: Sendable {
    let shops: ShopRepository
    let sales: SalesRepository
    let catalog: (any CatalogReading)?

    func addRoutes(to router: EndpointRouter) {
        router.on(ShopEndpoints.open) { request, context in
            let owner = try context.requireUserID()
            guard try context.requireUser().emailVerified else {
                throw ProblemError.forbidden("Verify your e-mail address before opening a shop.", code: "email_not_verified")
            }
            let body = try await request.decodeBody(CreateShopRequest.self, context: context)
            return try Response.json(try await shops.create(owner: owner, body, logger: context.logger), status: .created)
        }
        router.on(ShopEndpoints.search) { request, context in
            let query = try request.query(allowing: ["q", "limit", "cursor"])
            let page = try PageRequest(query: query)
            let text = query["q"].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : String($0.prefix(100)) }
            let found = try await shops.search(text, page: page, logger: context.logger)
            return try Response.json(Page(fetched: found, limit: page.limit, id: \.id, item: { $0 }))
        }
        router.on(ShopEndpoints.mine) { _, context in
            try Response.json(try await ownShop(context))
        }
        router.on(ShopEndpoints.updateMine) { request, context in
            let owner = try context.requireUserID()
            let body = try await request.decodeBody(UpdateShopRequest.self, context: context)
            guard let shop = try await shops.update(owner: owner, body, logger: context.logger) else { throw noShop }
            return try Response.json(shop)
        }
        router.on(ShopEndpoints.sales) { request, context in
            let shop = try await ownShop(context)
            let period = try SalesPeriod(query: request.queryDictionary)
            return try Response.json(try await sales.report(shopID: shop.id, period: period, logger: context.logger))
        }
        router.on(ShopEndpoints.page) { _, context in
            guard let name = IDOrSlug(try context.parameters.require("idOrSlug").lowercased()),
                  let shop = try await shops.find(name, logger: context.logger) else { throw ProblemError.notFound() }
            return try Response.json(ShopPageDTO(shop: shop, products: await products(of: shop.id, context)))
        }
    }

    /// The shop's newest products; `nil` when the catalogue cannot answer (the page still works).
    func products(of shopID: UUID, _ context: PlexusContext) async -> [ShopProductSummary]? {
        guard let catalog else { return nil }
        do {
            return try await catalog.products(ofShop: shopID, limit: 20, logger: context.logger).items
                .map { ShopProductSummary(id: $0.id, slug: $0.slug, name: $0.name, inStock: $0.inStock) }
        } catch {
            context.logger.warning("shop page without products: catalogue unavailable", metadata: ["error": .string(String(describing: error))])
            return nil
        }
    }

    var noShop: ProblemError { .notFound("You have no shop yet; open one with POST /api/v1/shops.", code: "no_shop") }

    func ownShop(_ context: PlexusContext) async throws -> ShopDTO {
        guard let shop = try await shops.find(owner: try context.requireUserID(), logger: context.logger) else { throw noShop }
        return shop
    }
}

/// `GET /internal/shops/by-owner/{userId}` for the catalogue's ownership checks.
struct InternalShopsController: Sendable {
    let shops: ShopRepository

    func addRoutes(to router: EndpointRouter) {
        router.on(ShopEndpoints.byOwner) { _, context in
            guard let shop = try await shops.find(owner: try context.uuidParameter("userId"), logger: context.logger) else { throw ProblemError.notFound() }
            return try Response.json(ShopChanged(shopId: shop.id, ownerId: shop.ownerId, name: shop.name, slug: shop.slug))
        }
    }
}
