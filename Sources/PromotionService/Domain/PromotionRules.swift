import Foundation
import PlexusKit
import PromotionAPI

/// A promotion as stored.
struct PromotionRule: Sendable, Equatable {
    var id: UUID
    var code: String
    var kind: PromotionKind
    var percentage: Int?
    var amount: Int?
    var currency: String
    var maxDiscount: Int?
    var minSubtotal: Int?
    var startsAt: Date
    var endsAt: Date?
    var usageLimit: Int?
    var perCustomerLimit: Int?
    var productIDs: [UUID]?
    var shopIDs: [UUID]?
    var categoryIDs: [UUID]?
    var vipOnly: Bool
    var shopID: UUID?
    var usageCount: Int
    var deleted: Bool
    var createdAt: Date
    var updatedAt: Date

    var dto: PromotionDTO {
        let money = { (amount: Int?) in amount.map { Money(amount: $0, currency: currency) } }
        return PromotionDTO(id: id, code: code, kind: kind, percentage: percentage, amount: money(amount), maxDiscount: money(maxDiscount),
                            minSubtotal: money(minSubtotal), startsAt: startsAt, endsAt: endsAt, usageLimit: usageLimit, perCustomerLimit: perCustomerLimit,
                            productIds: productIDs, shopIds: shopIDs, categoryIds: categoryIDs, vipOnly: vipOnly, shopId: shopID, usageCount: usageCount,
                            createdAt: createdAt, updatedAt: updatedAt)
    }
}

/// Why a code does not apply (the problem's `code`).
enum PromotionRefusal: String, Error, Sendable, Equatable {
    case notFound = "promotion_not_found"
    case notStarted = "promotion_not_started"
    case expired = "promotion_expired"
    case exhausted = "promotion_exhausted"
    case customerLimit = "promotion_customer_limit"
    case vipOnly = "promotion_vip_only"
    case signInRequired = "promotion_sign_in_required"
    case notApplicable = "promotion_not_applicable"
    case minimumNotMet = "promotion_minimum_not_met"

    var problem: ProblemError {
        switch self {
        case .notFound: .notFound("No promotion has this code.", code: rawValue)
        case .notStarted: ProblemError(.unprocessableContent, code: rawValue, detail: "This code is not valid yet.")
        case .expired: ProblemError(.unprocessableContent, code: rawValue, detail: "This code has expired.")
        case .exhausted: ProblemError(.unprocessableContent, code: rawValue, detail: "This code has been used up.")
        case .customerLimit: ProblemError(.unprocessableContent, code: rawValue, detail: "You have already used this code as often as you may.")
        case .vipOnly: ProblemError(.unprocessableContent, code: rawValue, detail: "This code is for VIP members only.")
        case .signInRequired: ProblemError(.unprocessableContent, code: rawValue, detail: "Sign in to use this code.")
        case .notApplicable: ProblemError(.unprocessableContent, code: rawValue, detail: "This code does not apply to anything in the cart.")
        case .minimumNotMet: ProblemError(.unprocessableContent, code: rawValue, detail: "The eligible items do not reach this code's minimum.")
        }
    }
}

/// Evaluating a promotion: a pure function of the rule, the lines, the customer and the time.
enum PromotionEvaluation {
    /// The discount of `rule` on `lines`, per line, or why it does not apply.
    static func evaluate(_ rule: PromotionRule, lines: [EvaluationLine], customerID: UUID?, vip: Bool, customerUses: Int,
                         now: Date) -> Result<EvaluationResult, PromotionRefusal> {
        if rule.deleted { return .failure(.notFound) }
        if now < rule.startsAt { return .failure(.notStarted) }
        if let endsAt = rule.endsAt, now >= endsAt { return .failure(.expired) }
        if let limit = rule.usageLimit, rule.usageCount >= limit { return .failure(.exhausted) }
        if rule.vipOnly && !vip { return .failure(customerID == nil ? .signInRequired : .vipOnly) }
        if let limit = rule.perCustomerLimit {
            guard customerID != nil else { return .failure(.signInRequired) }
            if customerUses >= limit { return .failure(.customerLimit) }
        }
        let eligible = lines.filter { isEligible($0, rule) && $0.amount.currency == rule.currency && $0.amount.amount > 0 }
        guard !eligible.isEmpty else { return .failure(.notApplicable) }
        let total = eligible.reduce(0) { $0 + $1.amount.amount }
        if let minimum = rule.minSubtotal, total < minimum { return .failure(.minimumNotMet) }
        var discount: Int
        switch rule.kind {
        case .percentage:
            discount = total * (rule.percentage ?? 0) / 100
            if let cap = rule.maxDiscount { discount = min(discount, cap) }
        case .fixed:
            discount = rule.amount ?? 0
        }
        discount = max(0, min(discount, total))
        let parts = spread(discount, over: eligible.map(\.amount.amount))
        return .success(EvaluationResult(
            promotionId: rule.id, code: rule.code, discount: Money(amount: discount, currency: rule.currency),
            lines: zip(eligible, parts).map { LineDiscount(variantId: $0.variantId, discount: Money(amount: $1, currency: rule.currency)) }))
    }

    /// Whether a line is one the promotion covers: its shop (a seller's promotion), and every
    /// filter given (products, shops, categories with their sub-categories).
    static func isEligible(_ line: EvaluationLine, _ rule: PromotionRule) -> Bool {
        if let shop = rule.shopID, line.shopId != shop { return false }
        if let products = rule.productIDs, !products.isEmpty, !products.contains(line.productId) { return false }
        if let shops = rule.shopIDs, !shops.isEmpty, !shops.contains(line.shopId) { return false }
        if let categories = rule.categoryIDs, !categories.isEmpty, Set(categories).isDisjoint(with: line.categoryIds) { return false }
        return true
    }

    /// `total` split over `amounts` in proportion to each, in whole minor units that add up to
    /// `total` exactly (largest remainders get the leftover units, earlier lines first on ties).
    /// `total` must not exceed the sum of `amounts`, so no part exceeds its amount.
    static func spread(_ total: Int, over amounts: [Int]) -> [Int] {
        let sum = amounts.reduce(0, +)
        guard sum > 0, total > 0 else { return amounts.map { _ in 0 } }
        var parts: [Int] = []
        var remainders: [(index: Int, remainder: Int)] = []
        for (index, amount) in amounts.enumerated() {
            // total × amount can exceed 64 bits: divide the full-width product
            let (quotient, remainder) = sum.dividingFullWidth(total.multipliedFullWidth(by: amount))
            parts.append(quotient)
            remainders.append((index, remainder))
        }
        var left = total - parts.reduce(0, +)
        for entry in remainders.sorted(by: { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.index < $1.index }) where left > 0 {
            parts[entry.index] += 1
            left -= 1
        }
        return parts
    }

    /// The stored form of a code: trimmed, upper case.
    static func normalized(_ code: String) -> String {
        code.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
    }
}
