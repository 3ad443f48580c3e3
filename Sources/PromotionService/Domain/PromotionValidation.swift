import Foundation
import PlexusKit
import PromotionAPI

extension CreatePromotionRequest: PlexusContract.RequestBody {
    public static let allowedKeys: Set<String> = [
        "code", "kind", "percentage", "amount", "maxDiscount", "minSubtotal", "startsAt", "endsAt", "usageLimit", "perCustomerLimit",
        "productIds", "shopIds", "categoryIds", "vipOnly",
    ]
    public static let nestedKeys: [String: Set<String>] = ["amount": moneyKeys, "maxDiscount": moneyKeys, "minSubtotal": moneyKeys]

    /// Field errors against the marketplace's `currency` at `now`.
    func validate(currency: String, now: Date) -> [FieldError] {
        var errors: [FieldError] = []
        let code = PromotionEvaluation.normalized(self.code)
        if code.range(of: "^[A-Z0-9][A-Z0-9_-]{1,31}$", options: .regularExpression) == nil {
            errors.append(FieldError(field: "code", code: "invalid", message: "2 to 32 letters, digits, - or _ (case does not matter)."))
        }
        switch kind {
        case .percentage:
            if !(1...100).contains(percentage ?? 0) { errors.append(FieldError(field: "percentage", code: "out_of_range", message: "Use 1 to 100.")) }
            if amount != nil { errors.append(FieldError(field: "amount", code: "not_allowed", message: "A percentage promotion has no amount.")) }
        case .fixed:
            if amount == nil { errors.append(FieldError(field: "amount", code: "required", message: "A fixed promotion needs an amount.")) }
            if percentage != nil { errors.append(FieldError(field: "percentage", code: "not_allowed", message: "A fixed promotion has no percentage.")) }
            if maxDiscount != nil { errors.append(FieldError(field: "maxDiscount", code: "not_allowed", message: "Only a percentage is capped.")) }
        }
        errors += Self.money(amount, "amount", currency: currency, positive: true)
        errors += Self.money(maxDiscount, "maxDiscount", currency: currency, positive: true)
        errors += Self.money(minSubtotal, "minSubtotal", currency: currency, positive: false)
        if let endsAt, endsAt <= (startsAt ?? now) {
            errors.append(FieldError(field: "endsAt", code: "before_start", message: "It must end after it starts."))
        }
        errors += Self.limits(usageLimit, perCustomerLimit)
        for (field, ids) in [("productIds", productIds), ("shopIds", shopIds), ("categoryIds", categoryIds)] where (ids?.count ?? 0) > 100 {
            errors.append(FieldError(field: field, code: "too_many", message: "At most 100."))
        }
        return errors
    }

    static func money(_ value: Money?, _ field: String, currency: String, positive: Bool) -> [FieldError] {
        guard let value else { return [] }
        var errors = value.validate(field: field)
        if value.currency != currency {
            errors.append(FieldError(field: "\(field).currency", code: "wrong_currency", message: "The marketplace's currency is \(currency)."))
        }
        if positive && value.amount == 0 { errors.append(FieldError(field: "\(field).amount", code: "out_of_range", message: "Use more than 0.")) }
        return errors
    }

    static func limits(_ usage: Int?, _ perCustomer: Int?) -> [FieldError] {
        var errors: [FieldError] = []
        if let usage, !(1...10_000_000).contains(usage) { errors.append(FieldError(field: "usageLimit", code: "out_of_range", message: "Use 1 to 10000000.")) }
        if let perCustomer, !(1...1000).contains(perCustomer) {
            errors.append(FieldError(field: "perCustomerLimit", code: "out_of_range", message: "Use 1 to 1000."))
        }
        return errors
    }
}

extension UpdatePromotionRequest: PlexusContract.RequestBody {
    public static let allowedKeys: Set<String> = ["endsAt", "usageLimit", "perCustomerLimit", "minSubtotal", "maxDiscount", "vipOnly"]
    public static let nestedKeys: [String: Set<String>] = ["minSubtotal": moneyKeys, "maxDiscount": moneyKeys]

    func validate(currency: String) -> [FieldError] {
        CreatePromotionRequest.money(maxDiscount, "maxDiscount", currency: currency, positive: true)
            + CreatePromotionRequest.money(minSubtotal, "minSubtotal", currency: currency, positive: false)
            + CreatePromotionRequest.limits(usageLimit, perCustomerLimit)
    }
}

extension EvaluationRequest: PlexusContract.RequestBody {
    public static let allowedKeys: Set<String> = ["code", "customerId", "vip", "lines"]
    public static let nestedKeys: [String: Set<String>] = [
        "lines[]": ["variantId", "productId", "shopId", "categoryIds", "amount"], "lines[].amount": moneyKeys,
    ]
    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        if code.utf8.count > 64 { errors.append(FieldError(field: "code", code: "too_long", message: "At most 64 characters.")) }
        if lines.count > 100 { errors.append(FieldError(field: "lines", code: "too_many", message: "At most 100 lines.")) }
        for (index, line) in lines.enumerated() { errors += line.amount.validate(field: "lines[\(index)].amount") }
        return errors
    }
}

extension RedeemRequest: PlexusContract.RequestBody {
    public static let allowedKeys: Set<String> = ["code", "orderId", "customerId"]
    public func validate() -> [FieldError] {
        code.utf8.count <= 64 ? [] : [FieldError(field: "code", code: "too_long", message: "At most 64 characters.")]
    }
}
