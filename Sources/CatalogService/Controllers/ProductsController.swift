import CatalogAPI
import Foundation
import Hummingbird
import MediaAPI
import PlexusKit

/// `/api/v1/products` and `/api/v1/variants`: browsing for everyone, changes for the owning
/// seller or an administrator.
struct ProductsController: Sendable {
    let products: ProductRepository
    let listing: ListingRepository
    let directory: ShopDirectory
    let media: MediaClient
    let cache: CatalogCache
    let currency: String
    let maxAge: Int

    func addRoutes(to router: EndpointRouter) {
        router.on(CatalogEndpoints.products) { request, context in
            let parameters = request.queryDictionary
            // Each name and value percent-encoded: a value holding `&` or `=` cannot impersonate other parameters.
            let key = ListingQuery.cacheKey(parameters)
            let cacheControl = "public, max-age=\(min(maxAge, 10))"
            if let cached = cache.listings.get(key) { return cached.response(for: request, cacheControl: cacheControl) }
            let generation = cache.generation
            let body = try CachedBody(json: try await listing.list(try ListingQuery(query: parameters), logger: context.logger))
            cache.store(ifUnchangedSince: generation) { cache.listings.set(key, body) }
            return body.response(for: request, cacheControl: cacheControl)
        }
        router.on(CatalogEndpoints.product) { request, context in try await show(request, context) }
        router.on(CatalogEndpoints.createProduct) { request, context in
            let writer = try await directory.writer(for: context)
            let body = try await request.decodeBody(CreateProductRequest.self, context: context)
            try checkCurrency(body.variants.enumerated().flatMap { index, variant in
                [("variants[\(index)].price", variant.price), ("variants[\(index)].compareAtPrice", variant.compareAtPrice)]
            })
            let shopID = try await shop(for: writer, requested: body.shopId, context: context)
            let id = try await products.create(body, shopID: shopID, currency: currency, logger: context.logger)
            return try await respond(id, context, status: .created)
        }
        router.on(CatalogEndpoints.updateProduct) { request, context in
            let writer = try await directory.writer(for: context)
            let id = try context.uuidParameter("id")
            let body = try await request.decodeBody(UpdateProductRequest.self, context: context)
            guard try await products.update(productID: id, body, writer: writer, logger: context.logger) else { throw ProblemError.notFound() }
            return try await respond(id, context)
        }
        router.on(CatalogEndpoints.archiveProduct) { _, context in
            let writer = try await directory.writer(for: context)
            let id = try context.uuidParameter("id")
            guard try await products.archive(productID: id, writer: writer, logger: context.logger) else { throw ProblemError.notFound() }
            cache.apply(id.uuidString)
            return Response.empty()
        }
        router.on(CatalogEndpoints.addVariant) { request, context in
            let writer = try await directory.writer(for: context)
            let id = try context.uuidParameter("id")
            let body = try await request.decodeBody(CreateVariantRequest.self, context: context)
            try checkCurrency([("price", body.price), ("compareAtPrice", body.compareAtPrice)])
            guard try await products.addVariant(productID: id, body, writer: writer, logger: context.logger) else { throw ProblemError.notFound() }
            return try await respond(id, context, status: .created)
        }
        router.on(CatalogEndpoints.attachImage) { request, context in
            let writer = try await directory.writer(for: context)
            let id = try context.uuidParameter("id")
            let body = try await request.decodeBody(AttachImageRequest.self, context: context)
            guard try await products.isOwned(productID: id, writer: writer, logger: context.logger) else { throw ProblemError.notFound() }
            // the media service vouches that the upload exists and is the caller's (any upload for an admin)
            let upload: MediaDTO?
            do {
                upload = try await media.attach(body.mediaId, AttachMediaRequest(ownerId: try context.requireUserID(), admin: writer.isAdmin),
                                                logger: context.logger)
            } catch let problem as RemoteProblem where problem.status == 403 {
                throw ProblemError.forbidden("Attach images you uploaded yourself.", code: "not_your_media")
            }
            guard let upload else {
                throw ProblemError.validation([FieldError(field: "mediaId", code: "unknown_media", message: "No upload has this id.")])
            }
            let thumbnails = upload.status == .ready ? upload.thumbnails : nil
            guard try await products.attachImage(productID: id, body, thumbnails: thumbnails, writer: writer, logger: context.logger) else {
                throw ProblemError.notFound()
            }
            return try await respond(id, context, status: .created)
        }
        router.on(CatalogEndpoints.detachImage) { _, context in
            let writer = try await directory.writer(for: context)
            let id = try context.uuidParameter("id")
            switch try await products.detachImage(productID: id, mediaID: try context.uuidParameter("mediaId"), writer: writer, logger: context.logger) {
            case nil: throw ProblemError.notFound()
            case false?: throw ProblemError.notFound("This image is not on the product.")
            case true?: return try await respond(id, context)
            }
        }
        addVariantRoutes(to: router)
    }

    func addVariantRoutes(to router: EndpointRouter) {
        router.on(CatalogEndpoints.updateVariant) { request, context in
            let writer = try await directory.writer(for: context)
            let body = try await request.decodeBody(UpdateVariantRequest.self, context: context)
            try checkCurrency([("price", body.price), ("compareAtPrice", body.compareAtPrice ?? nil)])
            guard let product = try await products.updateVariant(variantID: try context.uuidParameter("id"), body, writer: writer, logger: context.logger)
            else { throw ProblemError.notFound() }
            return try await respond(product, context)
        }
        router.on(CatalogEndpoints.deleteVariant) { _, context in
            let writer = try await directory.writer(for: context)
            guard let product = try await products.deleteVariant(variantID: try context.uuidParameter("id"), writer: writer, logger: context.logger)
            else { throw ProblemError.notFound() }
            cache.apply(product.uuidString)
            return Response.empty()
        }
        router.on(CatalogEndpoints.setStock) { request, context in
            let writer = try await directory.writer(for: context)
            let body = try await request.decodeBody(SetStockRequest.self, context: context)
            guard let product = try await products.setStock(variantID: try context.uuidParameter("id"), onHand: body.onHand, writer: writer, logger: context.logger)
            else { throw ProblemError.notFound() }
            return try await respond(product, context)
        }
    }

    /// Product detail: from the cache when possible; drafts only for their seller or an admin.
    func show(_ request: Request, _ context: PlexusContext) async throws -> Response {
        guard let name = IDOrSlug(try context.parameters.require("id").lowercased()) else { throw ProblemError.notFound() }
        let key = name.key
        let entry: CatalogCache.Entry
        if let cached = cache.products.get(key) {
            entry = cached
        } else {
            let generation = cache.generation
            guard let document = try await products.document(name, logger: context.logger) else { throw ProblemError.notFound() }
            entry = document
            cache.store(ifUnchangedSince: generation) { cache.products.set(key, entry) }
        }
        guard entry.status == .draft else { return entry.body.response(for: request, cacheControl: "public, max-age=\(maxAge)") }
        guard let writer = try? await directory.writer(for: context), writer.isAdmin || writer.shopID == entry.shopID else { throw ProblemError.notFound() }
        return entry.body.response(for: request, cacheControl: "private, no-store")
    }

    /// The fresh product after a change (this replica's cached copy is dropped at once; the others
    /// drop theirs when the change's NOTIFY arrives).
    func respond(_ id: UUID, _ context: PlexusContext, status: HTTPResponse.Status = .ok) async throws -> Response {
        cache.apply(id.uuidString)
        guard let document = try await products.document(.id(id), logger: context.logger) else { throw ProblemError.notFound() }
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .eTag: document.body.etag],
                        body: .init(byteBuffer: document.body.bytes))
    }

    /// The shop a new product goes to: a seller's own; an admin names an existing one.
    func shop(for writer: Writer, requested: UUID?, context: PlexusContext) async throws -> UUID {
        switch writer {
        case .seller(let own):
            if let requested, requested != own {
                throw ProblemError.validation([FieldError(field: "shopId", code: "not_your_shop", message: "Sellers add products to their own shop only.")])
            }
            return own
        case .admin:
            guard let requested else { throw ProblemError.validation([FieldError(field: "shopId", code: "required", message: "Administrators name the shop.")]) }
            guard try await directory.exists(requested, logger: context.logger) else {
                throw ProblemError.validation([FieldError(field: "shopId", code: "unknown_shop", message: "No such shop.")])
            }
            return requested
        }
    }

    func checkCurrency(_ prices: [(String, Money?)]) throws {
        let errors = CatalogRules.currency(prices, expected: currency)
        if !errors.isEmpty { throw ProblemError.validation(errors) }
    }
}
