import Foundation
import Hummingbird
import PlexusKit
import ReviewAPI

/// What others do with a review: helpful votes, reports, the seller's reply, and moderation.
struct CommunityController: Sendable {
    let reviews: ReviewRepository
    let links: ReviewLinks

    func addRoutes(to router: EndpointRouter) {
        router.on(ReviewEndpoints.markHelpful) { _, context in
            switch try await reviews.vote(try context.uuidParameter("id"), user: try context.requireUserID(), logger: context.logger) {
            case .success(let record): return try Response.json(record.dto(base: links.base, viewer: record.viewer(context.principal)))
            case .failure(let refusal): throw Self.problem(refusal, repeated: ("already_voted", "You have marked this review helpful already."))
            }
        }
        router.on(ReviewEndpoints.unmarkHelpful) { _, context in
            guard let record = try await reviews.unvote(try context.uuidParameter("id"), user: try context.requireUserID(), logger: context.logger) else {
                throw ProblemError.notFound()
            }
            return try Response.json(record.dto(base: links.base, viewer: record.viewer(context.principal)))
        }
        router.on(ReviewEndpoints.report) { request, context in
            let body = try await request.decodeBody(ReportReviewRequest.self, context: context)
            if let refusal = try await reviews.report(try context.uuidParameter("id"), user: try context.requireUserID(), reason: body.reason,
                                                      logger: context.logger) {
                throw Self.problem(refusal, repeated: ("already_reported", "You have reported this review already."))
            }
            return Response(status: .noContent)
        }
        router.on(ReviewEndpoints.reply) { request, context in try await reply(request, context, edit: false) }
        router.on(ReviewEndpoints.editReply) { request, context in try await reply(request, context, edit: true) }
        router.on(ReviewEndpoints.moderate) { request, context in
            let id = try context.uuidParameter("id")
            let body = try await request.decodeBody(ModerationRequest.self, context: context)
            guard let record = try await reviews.moderate(id, body, reviewURL: links.review(id), logger: context.logger) else { throw ProblemError.notFound() }
            return try Response.json(record.dto(base: links.base, viewer: .admin))
        }
        router.on(ReviewEndpoints.queue) { request, context in
            let query = try request.query(allowing: ["reported", "status", "limit", "cursor"])
            let page = try PageRequest(query: query)
            var errors: [FieldError] = []
            let reported = query["reported"].flatMap { raw -> Bool? in
                if let value = Bool(raw.lowercased()) { return value }
                errors.append(FieldError(field: "reported", code: "invalid", message: "Use true or false."))
                return nil
            }
            let status = query["status"].flatMap { raw -> ReviewStatus? in
                if let value = ReviewStatus(rawValue: raw) { return value }
                errors.append(FieldError(field: "status", code: "invalid", message: "Use published or hidden."))
                return nil
            }
            guard errors.isEmpty else { throw ProblemError.invalidQuery(errors) }
            let found = try await reviews.queue(reported: reported, status: status, page: page, logger: context.logger)
            return try Response.json(Page(fetched: found, limit: page.limit, id: \.id, item: { $0.dto(base: links.base, viewer: .admin) }))
        }
    }

    func reply(_ request: Request, _ context: PlexusContext, edit: Bool) async throws -> Response {
        let id = try context.uuidParameter("id")
        let body = try await request.decodeBody(ReplyRequest.self, context: context)
        switch try await reviews.reply(id, seller: try context.requireUserID(), body: body.body, edit: edit, reviewURL: links.review(id), logger: context.logger) {
        case .replied(let record): return try Response.json(record.dto(base: links.base, viewer: record.viewer(context.principal)), status: edit ? .ok : .created)
        case .notFound: throw ProblemError.notFound()
        case .notYourProduct: throw ProblemError.forbidden("Only the seller of the reviewed product replies.", code: "not_your_product")
        case .exists: throw ProblemError.conflict("reply_exists", "This review has a reply; change it with PATCH.")
        case .missing: throw ProblemError.notFound("This review has no reply yet.")
        }
    }

    static func problem(_ refusal: ReviewRepository.Refusal, repeated: (code: String, detail: String)) -> ProblemError {
        switch refusal {
        case .notFound: ProblemError.notFound()
        case .ownReview: ProblemError.forbidden("Authors cannot vote for or report their own review.", code: "own_review")
        case .repeated: ProblemError.conflict(repeated.code, repeated.detail)
        }
    }
}
