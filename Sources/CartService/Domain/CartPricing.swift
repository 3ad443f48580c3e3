import CartAPI
import CatalogAPI
import Foundation
import PlexusKit
import PromotionAPI

/// A cart as stored: no prices that count, only what the buyer saw when adding.
struct StoredCart: Sendable {
    var id: UUID
    var version: Int
    var promotionCode: String?
    var createdAt: Date
    var updatedAt: Date
    var lines: [StoredLine]
}

/// A line as stored.
struct StoredLine: Sendable {
    var id: UUID
    var variantID: UUID
    var productID: UUID
    var productName: String
    var sku: String
    var quantity: Int
    var addedPrice: Money
}

/// What the promotion service said of the cart's code.
enum PromotionOutcome: Sendable {
    /// It applies: the discount, per line.
    case applied(EvaluationResult)
    /// It does not (any more), and why, in words.
    case refused(code: String, reason: String)
}

/// Prices a stored cart with the catalogue's quotes: the server's numbers, every time.
enum CartPricing {
    /// Units of `line` that count: none when it cannot be bought, at most what is available.
    static func counted(_ line: StoredLine, _ quote: VariantQuote?) -> Int {
        guard let quote, quote.isPurchasable else { return 0 }
        return min(line.quantity, quote.available)
    }

    /// The lines a promotion is evaluated on: the ones that count, by their counted amounts.
    static func evaluationLines(_ cart: StoredCart, quotes: [UUID: VariantQuote]) -> [EvaluationLine] {
        cart.lines.compactMap { line in
            guard let quote = quotes[line.variantID], counted(line, quote) > 0 else { return nil }
            return EvaluationLine(variantId: line.variantID, productId: quote.productId, shopId: quote.shopId, categoryIds: quote.categoryIds,
                                  amount: Money(amount: quote.unitPrice.amount * counted(line, quote), currency: quote.unitPrice.currency))
        }
    }

    /// The cart a buyer sees. A line without a quote (variant deleted), of a product not
    /// published, or with nothing left is `unavailable` and counts for nothing; a line asking for
    /// more than is left is `limited` and counts only what is left.
    static func price(_ cart: StoredCart, quotes: [UUID: VariantQuote], currency: String, promotion: PromotionOutcome? = nil) -> CartDTO {
        var lines: [CartLineDTO] = []
        var subtotal = 0
        var items = 0
        var ready = !cart.lines.isEmpty
        for line in cart.lines {
            let quote = quotes[line.variantID]
            let unit = quote?.unitPrice ?? line.addedPrice
            let available = quote.map { $0.isPurchasable ? $0.available : 0 } ?? 0
            var notices: [String] = []
            let availability: CartLineAvailability
            if quote?.isPurchasable != true || available == 0 {
                availability = .unavailable
                notices.append(quote?.isPurchasable == true ? "Sold out." : "No longer available.")
            } else if available < line.quantity {
                availability = .limited
                notices.append(available == 1 ? "Only 1 left." : "Only \(available) left.")
            } else {
                availability = .available
                if available <= 5 { notices.append("Only \(available) left.") }
            }
            let changed = quote != nil && unit.amount != line.addedPrice.amount ? line.addedPrice : nil
            if let changed {
                notices.append("The price changed from \(changed.formatted) to \(unit.formatted) since you added it.")
            }
            let counted = Self.counted(line, quote)
            if availability != .available { ready = false }
            subtotal += unit.amount * counted
            items += counted
            lines.append(CartLineDTO(
                id: line.id, variantId: line.variantID, productId: quote?.productId ?? line.productID,
                productName: quote?.productName ?? line.productName, productSlug: quote?.productSlug, sku: quote?.sku ?? line.sku,
                options: quote?.options ?? [:], image: quote?.image, shopId: quote?.shopId, unitPrice: unit, quantity: line.quantity,
                lineTotal: Money(amount: unit.amount * line.quantity, currency: unit.currency), available: available,
                availability: availability, priceChangedFrom: changed, notices: notices))
        }
        var discount = 0
        var applied: AppliedPromotionDTO?
        var notices: [String] = []
        switch promotion {
        case .applied(let result):
            discount = min(result.discount.amount, subtotal)
            applied = AppliedPromotionDTO(code: result.code, discount: Money(amount: discount, currency: currency))
        case .refused(let code, let reason):
            applied = AppliedPromotionDTO(code: code, discount: Money(amount: 0, currency: currency))
            notices.append("The code \(code) does not apply: \(reason)")
        case nil:
            break
        }
        return CartDTO(id: cart.id, version: cart.version, lines: lines, promotion: applied, subtotal: Money(amount: subtotal, currency: currency),
                       discount: Money(amount: discount, currency: currency), total: Money(amount: subtotal - discount, currency: currency),
                       itemCount: items, readyForCheckout: ready, notices: notices, createdAt: cart.createdAt, updatedAt: cart.updatedAt)
    }
}

extension Money {
    /// `19.99 USD`: minor units shown with two decimals.
    var formatted: String {
        let sign = amount < 0 ? "-" : ""
        let magnitude = abs(amount)
        return "\(sign)\(magnitude / 100).\(String(format: "%02d", magnitude % 100)) \(currency)"
    }
}
