import Foundation
import OrderAPI
import PlexusKit

extension CheckoutRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["shippingAddressId", "shippingAddress", "note", "items", "returnUrl"]
    public static let nestedKeys: [String: Set<String>] = [
        "shippingAddress": ["name", "line1", "line2", "city", "region", "postalCode", "country", "phone"],
        "items[]": ["variantId", "quantity"],
    ]
    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        switch (shippingAddressId, shippingAddress) {
        case (nil, nil):
            errors.append(FieldError(field: "shippingAddress", code: "required", message: "Give shippingAddressId or shippingAddress."))
        case (.some, .some):
            errors.append(FieldError(field: "shippingAddress", code: "ambiguous", message: "Give shippingAddressId or shippingAddress, not both."))
        case (nil, .some(let address)):
            errors += address.normalized(fieldPrefix: "shippingAddress.").1
        default: break
        }
        if let note, note.storedLength > 500 { errors.append(FieldError(field: "note", code: "too_long", message: "Use at most 500 characters.")) }
        if let items {
            if items.isEmpty || items.count > 100 { errors.append(FieldError(field: "items", code: "count", message: "Give 1 to 100 items.")) }
            for (index, item) in items.enumerated() where !(1...99).contains(item.quantity) {
                errors.append(FieldError(field: "items[\(index)].quantity", code: "out_of_range", message: "Use 1 to 99."))
            }
            let perVariant = Dictionary(items.map { ($0.variantId, $0.quantity) }, uniquingKeysWith: +)
            if perVariant.values.contains(where: { $0 > 99 }) {
                errors.append(FieldError(field: "items", code: "out_of_range", message: "At most 99 units of one variant."))
            }
        }
        if let returnUrl {
            let valid = returnUrl.utf8.count <= 2000 && URL(string: returnUrl).map { ["http", "https"].contains($0.scheme?.lowercased() ?? "") && $0.host != nil } == true
            if !valid { errors.append(FieldError(field: "returnUrl", code: "invalid_url", message: "Use an absolute http or https URL.")) }
        }
        return errors
    }
}

extension ShipRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["carrier", "trackingNumber", "shopId"]
    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        let carrier = carrier.trimmingCharacters(in: .whitespacesAndNewlines)
        let tracking = trackingNumber.trimmingCharacters(in: .whitespacesAndNewlines)
        if carrier.isEmpty || carrier.storedLength > 60 { errors.append(FieldError(field: "carrier", code: "length", message: "Use 1 to 60 characters.")) }
        if tracking.isEmpty || tracking.storedLength > 100 {
            errors.append(FieldError(field: "trackingNumber", code: "length", message: "Use 1 to 100 characters."))
        }
        return errors
    }
}

extension DeliverRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["shopId"]
}
