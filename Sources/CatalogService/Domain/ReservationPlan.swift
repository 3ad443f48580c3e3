import CatalogAPI
import Foundation

/// Pure stock arithmetic for reservations.
enum ReservationPlan {
    /// One line per variant (quantities of repeated variants added), sorted by variant id so that
    /// concurrent reservations lock rows in the same order and cannot deadlock each other.
    static func merge(_ lines: [ReservationLineRequest]) -> [ReservationLineRequest] {
        var totals: [UUID: Int] = [:]
        for line in lines { totals[line.variantId, default: 0] += line.quantity }
        return totals.map { ReservationLineRequest(variantId: $0.key, quantity: $0.value) }
            .sorted { $0.variantId.uuidString < $1.variantId.uuidString }
    }

    /// Whether a repeated request asks for exactly what is already held.
    static func sameLines(_ held: [ReservedLineDTO], _ requested: [ReservationLineRequest]) -> Bool {
        let heldTotals = Dictionary(held.map { ($0.variantId, $0.quantity) }, uniquingKeysWith: +)
        let requestedTotals = Dictionary(merge(requested).map { ($0.variantId, $0.quantity) }, uniquingKeysWith: +)
        return heldTotals == requestedTotals
    }
}
