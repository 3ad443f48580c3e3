import Foundation
import Hummingbird
import IdentityAPI
import MediaAPI
import PlexusKit
import ReviewAPI

/// A product's reviews, one's own review, and the author's changes.
struct ReviewsController: Sendable {
    let reviews: ReviewRepository
    let cache: ReviewCache
    let contacts: any ContactLookup
    let media: MediaClient
    let links: ReviewLinks
    let maxAge: Int

    func addRoutes(to router: EndpointRouter) {
        router.on(ReviewEndpoints.list) { request, context in
            let product = try context.uuidParameter("id")
            let query = try ReviewListQuery(query: request.queryDictionary)
            let key = ReviewCache.key(product: product, query: query)
            let cacheControl = "public, max-age=\(maxAge)"
            if let cached = cache.pages.get(key) { return cached.response(for: request, cacheControl: cacheControl) }
            let generation = cache.generation
            async let summary = reviews.summary(product, logger: context.logger)
            let records = try await reviews.list(product: product, query, logger: context.logger)
            let shown = records.prefix(query.limit)
            let next = records.count > query.limit ? shown.last.map { ReviewListQuery.Cursor(key: query.key(helpful: $0.helpfulCount, rating: $0.rating), id: $0.id).encoded } : nil
            let page = ProductReviewsPage(items: shown.map { $0.dto(base: links.base, viewer: .visitor) }, nextCursor: next, summary: try await summary)
            let body = try CachedBody(json: page)
            // only first pages of reviewed products: random product ids and forged cursors would
            // otherwise fill the cache and push out the pages everyone reads
            if query.cursor == nil && page.summary.count > 0 { cache.store(key, body, ifUnchangedSince: generation) }
            return body.response(for: request, cacheControl: cacheControl)
        }
        router.on(ReviewEndpoints.create) { request, context in
            let product = try context.uuidParameter("id")
            let body = try await request.decodeBody(CreateReviewRequest.self, context: context)
            let user = try context.requireUser()
            let author = try context.requireUserID()
            let (shop, productName): (UUID, String)
            switch try await reviews.purchase(customer: author, product: product, logger: context.logger) {
            case .none: throw ProblemError.forbidden("Only customers who bought this product review it.", code: "not_purchased")
            case .paid: throw ProblemError.forbidden("Review it once your order has been delivered.", code: "not_delivered")
            case .delivered(let shopID, let name): (shop, productName) = (shopID, name)
            }
            if try await reviews.review(by: author, of: product, logger: context.logger) != nil {
                throw ReviewRepository.alreadyReviewed
            }
            let photos = try await attach(body.mediaIds ?? [], owner: author, admin: user.roles.contains(.admin), context: context)
            guard let contact = try await contacts.contact(userID: author, logger: context.logger) else { throw ProblemError.unauthorized() }
            let record = try await reviews.create(product: product, shopID: shop, productName: productName, author: author,
                                                  authorName: ReviewRules.displayName(contact.name), body, photos: photos, logger: context.logger)
            return try Response.json(record.dto(base: links.base, viewer: .author), status: .created)
        }
        router.on(ReviewEndpoints.get) { _, context in
            guard let record = try await reviews.find(try context.uuidParameter("id"), logger: context.logger) else { throw ProblemError.notFound() }
            let viewer = record.viewer(context.principal)
            guard record.status == .published || viewer != .visitor else { throw ProblemError.notFound() }
            return try Response.json(record.dto(base: links.base, viewer: viewer))
        }
        router.on(ReviewEndpoints.update) { request, context in
            let id = try context.uuidParameter("id")
            let body = try await request.decodeBody(UpdateReviewRequest.self, context: context)
            let author = try context.requireUserID()
            guard let current = try await reviews.find(id, logger: context.logger), current.authorID == author else { throw ProblemError.notFound() }
            var photos: [(UUID, MediaThumbnails?)]?
            if let ids = body.mediaIds { photos = try await attach(ids, owner: author, admin: false, context: context) }
            guard let record = try await reviews.update(id, author: author, body, photos: photos, logger: context.logger) else { throw ProblemError.notFound() }
            return try Response.json(record.dto(base: links.base, viewer: .author))
        }
        router.on(ReviewEndpoints.delete) { _, context in
            guard try await reviews.delete(try context.uuidParameter("id"), author: try context.requireUserID(), logger: context.logger) else {
                throw ProblemError.notFound()
            }
            return Response(status: .noContent)
        }
    }

    /// The photos, each checked by the media service to be the author's upload (kept photos
    /// included: attaching again is harmless), with their thumbnails when already made.
    func attach(_ ids: [UUID], owner: UUID, admin: Bool, context: PlexusContext) async throws -> [(UUID, MediaThumbnails?)] {
        var photos: [(UUID, MediaThumbnails?)] = []
        for (index, id) in ids.enumerated() {
            let upload: MediaDTO?
            do {
                upload = try await media.attach(id, AttachMediaRequest(ownerId: owner, admin: admin), logger: context.logger)
            } catch let problem as RemoteProblem where problem.status == 403 {
                throw ProblemError.forbidden("Attach photos you uploaded yourself.", code: "not_your_media")
            }
            guard let upload else {
                throw ProblemError.validation([FieldError(field: "mediaIds[\(index)]", code: "unknown_media", message: "No upload has this id.")])
            }
            photos.append((id, upload.status == .ready ? upload.thumbnails : nil))
        }
        return photos
    }
}
