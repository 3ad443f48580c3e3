import Foundation
import PlexusKit
import PromotionAPI
@testable import PromotionService
import Testing

@Suite("Promotion evaluation")
struct PromotionEvaluationTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let shopA = UUID.v7(), shopB = UUID.v7(), shoes = UUID.v7(), boots = UUID.v7(), hats = UUID.v7(), product = UUID.v7()

    static func rule(_ kind: PromotionKind = .percentage, percentage: Int? = 10, amount: Int? = nil, maxDiscount: Int? = nil, minSubtotal: Int? = nil,
                     startsAt: Date = now.addingTimeInterval(-60), endsAt: Date? = nil, usageLimit: Int? = nil, usageCount: Int = 0,
                     perCustomerLimit: Int? = nil, productIDs: [UUID]? = nil, shopIDs: [UUID]? = nil, categoryIDs: [UUID]? = nil,
                     vipOnly: Bool = false, shopID: UUID? = nil, deleted: Bool = false) -> PromotionRule {
        PromotionRule(id: .v7(), code: "TEST", kind: kind, percentage: kind == .percentage ? percentage : nil, amount: amount, currency: "USD",
                      maxDiscount: maxDiscount, minSubtotal: minSubtotal, startsAt: startsAt, endsAt: endsAt, usageLimit: usageLimit,
                      perCustomerLimit: perCustomerLimit, productIDs: productIDs, shopIDs: shopIDs, categoryIDs: categoryIDs, vipOnly: vipOnly,
                      shopID: shopID, usageCount: usageCount, deleted: deleted, createdAt: now, updatedAt: now)
    }

    static func line(_ amount: Int, shop: UUID = shopA, categories: [UUID] = [boots, shoes], product: UUID = .v7()) -> EvaluationLine {
        EvaluationLine(variantId: .v7(), productId: product, shopId: shop, categoryIds: categories, amount: Money(amount: amount, currency: "USD"))
    }

    static func discount(_ rule: PromotionRule, _ lines: [EvaluationLine], customer: UUID? = .v7(), vip: Bool = false, uses: Int = 0)
        -> Result<EvaluationResult, PromotionRefusal> {
        PromotionEvaluation.evaluate(rule, lines: lines, customerID: customer, vip: vip, customerUses: uses, now: now)
    }

    @Test("spreading keeps every minor unit", arguments: [
        (500, [333, 333, 334], [167, 166, 167]),
        (3, [1, 1, 1], [1, 1, 1]),
        (2, [1, 1, 1], [1, 1, 0]),
        (1000, [2500, 7500], [250, 750]),
        (7, [10, 10, 10, 10], [2, 2, 2, 1]),
        (0, [5, 5], [0, 0]),
        (Int(1e13), [Int(1e13), Int(1e13) * 3], [2_500_000_000_000, 7_500_000_000_000]),
    ])
    func spread(total: Int, amounts: [Int], expected: [Int]) {
        let parts = PromotionEvaluation.spread(total, over: amounts)
        #expect(parts == expected)
        #expect(parts.reduce(0, +) == total)
        #expect(zip(parts, amounts).allSatisfy { $0 <= $1 })
    }

    @Test("a fixed 5.00 over lines of 3.33, 3.33 and 3.34 adds up exactly")
    func fixedOverThreeLines() throws {
        let lines = [Self.line(333), Self.line(333), Self.line(334)]
        let result = try Self.discount(Self.rule(.fixed, amount: 500), lines).get()
        #expect(result.discount.amount == 500)
        #expect(result.lines.map(\.discount.amount) == [167, 166, 167])
    }

    @Test("percentages round down and respect the maximum; a fixed amount never exceeds the eligible total")
    func amounts() throws {
        #expect(try Self.discount(Self.rule(percentage: 15), [Self.line(999)]).get().discount.amount == 149)
        #expect(try Self.discount(Self.rule(percentage: 50, maxDiscount: 300), [Self.line(1000)]).get().discount.amount == 300)
        #expect(try Self.discount(Self.rule(percentage: 100), [Self.line(1234)]).get().discount.amount == 1234)
        #expect(try Self.discount(Self.rule(.fixed, amount: 5000), [Self.line(1200)]).get().discount.amount == 1200)
    }

    @Test("eligibility: only the lines of the named products, shops and categories (with sub-categories) count")
    func eligibility() throws {
        let inShoes = Self.line(1000, categories: [Self.boots, Self.shoes])
        let hat = Self.line(3000, shop: Self.shopB, categories: [Self.hats])
        let byCategory = try Self.discount(Self.rule(percentage: 10, categoryIDs: [Self.shoes]), [inShoes, hat]).get()
        #expect(byCategory.discount.amount == 100 && byCategory.lines.map(\.variantId) == [inShoes.variantId])
        let byShop = try Self.discount(Self.rule(percentage: 10, shopIDs: [Self.shopB]), [inShoes, hat]).get()
        #expect(byShop.lines.map(\.variantId) == [hat.variantId])
        let sellers = try Self.discount(Self.rule(percentage: 10, shopID: Self.shopA), [inShoes, hat]).get()
        #expect(sellers.lines.map(\.variantId) == [inShoes.variantId], "a seller's promotion covers their own shop only")
        let byProduct = Self.line(500, product: Self.product)
        #expect(try Self.discount(Self.rule(percentage: 10, productIDs: [Self.product]), [inShoes, byProduct]).get().discount.amount == 50)
        #expect(Self.discount(Self.rule(percentage: 10, shopIDs: [UUID.v7()]), [inShoes, hat]) == .failure(.notApplicable))
    }

    @Test("refusals name their reason", arguments: [
        (rule(startsAt: now.addingTimeInterval(60)), PromotionRefusal.notStarted),
        (rule(endsAt: now.addingTimeInterval(-1)), .expired),
        (rule(usageLimit: 10, usageCount: 10), .exhausted),
        (rule(vipOnly: true), .vipOnly),
        (rule(minSubtotal: 5001), .minimumNotMet),
        (rule(deleted: true), .notFound),
    ])
    func refusals(rule: PromotionRule, refusal: PromotionRefusal) {
        #expect(Self.discount(rule, [Self.line(5000)]) == .failure(refusal))
    }

    @Test("VIP codes need the role; limits per customer need a signed-in customer")
    func customers() throws {
        #expect(try Self.discount(Self.rule(vipOnly: true), [Self.line(1000)], vip: true).get().discount.amount == 100)
        #expect(Self.discount(Self.rule(vipOnly: true), [Self.line(1000)], customer: nil) == .failure(.signInRequired))
        #expect(Self.discount(Self.rule(perCustomerLimit: 1), [Self.line(1000)], customer: nil) == .failure(.signInRequired))
        #expect(Self.discount(Self.rule(perCustomerLimit: 1), [Self.line(1000)], uses: 1) == .failure(.customerLimit))
        #expect(try Self.discount(Self.rule(minSubtotal: 5000), [Self.line(2500), Self.line(2500)]).get().discount.amount == 500)
    }
}

