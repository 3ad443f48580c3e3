import CartAPI
import Foundation
import PlexusKit

extension AddCartItemRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["variantId", "quantity"]
    public func validate() -> [FieldError] {
        (1...99).contains(quantity) ? [] : [FieldError(field: "quantity", code: "out_of_range", message: "Add 1 to 99 units.")]
    }
}

extension UpdateCartItemRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["quantity"]
    public func validate() -> [FieldError] {
        (1...99).contains(quantity) ? [] : [FieldError(field: "quantity", code: "out_of_range", message: "Use 1 to 99 units; remove the line to drop it.")]
    }
}

extension MergeCartRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["cartToken"]
    public func validate() -> [FieldError] {
        cartToken.utf8.count <= 200 ? [] : [FieldError(field: "cartToken", code: "too_long", message: "That is not a cart token.")]
    }
}

extension ApplyPromotionRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["code"]
    public func validate() -> [FieldError] {
        let trimmed = code.trimmingCharacters(in: .whitespacesAndNewlines)
        return (1...64).contains(trimmed.utf8.count) ? [] : [FieldError(field: "code", code: "invalid", message: "Give a promotion code.")]
    }
}

extension ClaimCartRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["userId", "orderId"]
}
