import CatalogAPI
import Foundation
import Hummingbird
import PlexusKit

/// `/internal/reservations`: stock held for the order service (service token only).
struct ReservationsController: Sendable {
    let reservations: ReservationRepository
    let tokens: ServiceTokens
    let defaultHold: Int
    /// Only the order service holds, commits and releases stock.
    static let callers: Set<ServiceName> = [.order]

    func addRoutes(to router: Router<PlexusContext>) {
        let group = router.group("/internal/reservations")
        group.post { request, context in
            try tokens.requireCaller(request, allowed: Self.callers)
            let body = try await request.decodeBody(ReserveRequest.self, context: context)
            let reservation = try await reservations.reserve(body, hold: body.holdSeconds ?? defaultHold, logger: context.logger)
            return try Response.json(reservation, status: .created)
        }
        group.get(":orderId") { request, context in
            try tokens.requireCaller(request, allowed: Self.callers)
            guard let reservation = try await reservations.find(orderID: try context.uuidParameter("orderId"), logger: context.logger)
            else { throw ProblemError.notFound() }
            return try Response.json(reservation)
        }
        group.post(":orderId/commit") { request, context in
            try tokens.requireCaller(request, allowed: Self.callers)
            guard let reservation = try await reservations.commit(orderID: try context.uuidParameter("orderId"), logger: context.logger)
            else { throw ProblemError.notFound() }
            return try Response.json(reservation)
        }
        group.post(":orderId/release") { request, context in
            try tokens.requireCaller(request, allowed: Self.callers)
            guard let reservation = try await reservations.release(orderID: try context.uuidParameter("orderId"), logger: context.logger)
            else { throw ProblemError.notFound() }
            return try Response.json(reservation)
        }
    }
}
