import Foundation
import Hummingbird
import PaymentAPI
import PlexusKit

/// `/api/v1/memberships`: the plans, subscribing (or paying a failing renewal with another card),
/// the caller's membership, cancelling at period end.
struct MembershipsController: Sendable {
    let memberships: MembershipRepository

    func addRoutes(to router: EndpointRouter) {
        router.on(PaymentEndpoints.plans) { _, _ in
            try Response.json(memberships.plans)
        }
        router.on(PaymentEndpoints.subscribe) { request, context in
            let principal = try context.requireUser()
            let user = try context.requireUserID()
            guard principal.emailVerified else { throw ProblemError.forbidden("Verify your e-mail address before subscribing.", code: "email_not_verified") }
            let body = try await request.decodeBody(CreateMembershipRequest.self, context: context)
            let (membership, created, declined) = try await memberships.subscribe(userID: user, plan: body.plan, method: body.paymentMethod,
                                                                                  logger: context.logger)
            if let declined { throw ProblemError(.init(code: 402), code: declined.code, detail: declined.message) }
            return try Response.json(try await memberships.dto(membership, logger: context.logger), status: created ? .created : .ok)
        }
        router.on(PaymentEndpoints.mine) { _, context in
            guard let current = try await memberships.current(userID: try context.requireUserID(), logger: context.logger) else {
                throw ProblemError.notFound("You never had a membership.")
            }
            return try Response.json(current)
        }
        router.on(PaymentEndpoints.cancel) { _, context in
            let cancelled = try await memberships.cancel(userID: try context.requireUserID(), logger: context.logger)
            return try Response.json(try await memberships.dto(cancelled, logger: context.logger))
        }
    }
}
