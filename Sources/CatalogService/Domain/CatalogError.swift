import Foundation
import PlexusKit

/// Catalog's refusals, each with a status and a stable code.
enum CatalogError: ProblemConvertible {
    case categorySlugTaken
    case categoryCycle
    case categoryNotEmpty
    case unknownCategory
    case productSlugTaken
    case skuTaken
    case noShop
    case lastVariant
    case variantReserved
    case belowReserved(reserved: Int)
    case insufficientStock([UUID])
    case notPurchasable([UUID])
    case reservationMismatch
    case reservationSettled(ReservationStatusName)

    enum ReservationStatusName: String { case committed, released, expired, returned }

    var problem: ProblemError {
        switch self {
        case .categorySlugTaken: .conflict("slug_taken", "Another category already uses this slug.")
        case .categoryCycle: .conflict("category_cycle", "A category cannot be moved under itself or one of its descendants.")
        case .categoryNotEmpty: .conflict("category_not_empty", "Move or delete its sub-categories and products first.")
        case .unknownCategory:
            .validation([FieldError(field: "categoryId", code: "unknown_category", message: "No such category.")])
        case .productSlugTaken: .conflict("slug_taken", "Another product already uses this slug.")
        case .skuTaken: .conflict("sku_taken", "Another variant already uses this SKU.")
        case .noShop: .forbidden("Open a shop before selling products.", code: "no_shop")
        case .lastVariant: .conflict("last_variant", "A product keeps at least one variant; archive the product instead.")
        case .variantReserved: .conflict("variant_reserved", "Units of this variant are reserved by open orders.")
        case .belowReserved(let reserved):
            .conflict("below_reserved", "\(reserved) unit(s) are reserved by open orders; on-hand stock cannot go below that.")
        case .insufficientStock(let ids):
            ProblemError(.conflict, code: "insufficient_stock", detail: "Not enough stock for every line; nothing was reserved.",
                         errors: ids.map { FieldError(field: "variant:\($0.uuidString.lowercased())", code: "insufficient_stock", message: "Not enough units available.") })
        case .notPurchasable(let ids):
            ProblemError(.unprocessableContent, code: "not_purchasable", detail: "Some variants do not exist or are not for sale.",
                         errors: ids.map { FieldError(field: "variant:\($0.uuidString.lowercased())", code: "not_purchasable", message: "Unknown or not published.") })
        case .reservationMismatch: .conflict("reservation_mismatch", "This order already holds a different reservation.")
        case .reservationSettled(let status): .conflict("reservation_\(status.rawValue)", "The reservation is already \(status.rawValue).")
        }
    }
}
