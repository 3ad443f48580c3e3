import CatalogAPI
import Foundation
import Hummingbird
import PlexusKit

/// `/internal/reservations`: stock held for the order service (service token only).
struct ReservationsController: Sendable {
    let reservations: ReservationRepository
    let defaultHold: Int

    /// Only the order service may call these (declared in ``CatalogEndpoints``, enforced by the router).
    func addRoutes(to router: EndpointRouter) {
        router.on(CatalogEndpoints.reserve) { request, context in
            let body = try await request.decodeBody(ReserveRequest.self, context: context)
            let reservation = try await reservations.reserve(body, hold: body.holdSeconds ?? defaultHold, logger: context.logger)
            return try Response.json(reservation, status: .created)
        }
        router.on(CatalogEndpoints.reservation) { _, context in
            guard let reservation = try await reservations.find(orderID: try context.uuidParameter("orderId"), logger: context.logger)
            else { throw ProblemError.notFound() }
            return try Response.json(reservation)
        }
        router.on(CatalogEndpoints.commit) { _, context in
            guard let reservation = try await reservations.commit(orderID: try context.uuidParameter("orderId"), logger: context.logger)
            else { throw ProblemError.notFound() }
            return try Response.json(reservation)
        }
        router.on(CatalogEndpoints.release) { _, context in
            guard let reservation = try await reservations.release(orderID: try context.uuidParameter("orderId"), logger: context.logger)
            else { throw ProblemError.notFound() }
            return try Response.json(reservation)
        }
    }
}

/// `POST /internal/variants/quote`: prices and stock for carts and orders (service token only).
struct QuotesController: Sendable {
    let quotes: QuoteRepository

    func addRoutes(to router: EndpointRouter) {
        router.on(CatalogEndpoints.quote) { request, context in
            let body = try await request.decodeBody(QuoteRequest.self, context: context)
            var seen = Set<UUID>()
            let ids = body.variantIds.filter { seen.insert($0).inserted }
            return try Response.json(QuoteList(items: try await quotes.quote(ids, logger: context.logger)))
        }
    }
}
