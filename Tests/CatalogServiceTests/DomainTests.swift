import CatalogAPI
@testable import CatalogService
import Foundation
import PlexusKit
import Testing

@Suite("Catalog domain (no I/O)")
struct DomainTests {
    @Test("listing queries parse into fixed choices", arguments: [
        (["q": "  wireless  "], ListingQuery.Sort.relevance),
        ([:], .newest),
        (["sort": "relevance"], .newest),
        (["sort": "-price"], .priceDescending),
        (["sort": "bestSelling", "q": "x"], .bestSelling),
    ])
    func sorts(query: [String: String], sort: ListingQuery.Sort) throws {
        #expect(try ListingQuery(query: query).sort == sort)
    }

    @Test("listing query values")
    func values() throws {
        let query = try ListingQuery(query: ["q": " lamp ", "category": "home-kitchen", "minPrice": "100", "maxPrice": "900", "inStock": "1",
                                             "attr.colour": "Red", "limit": "5"])
        #expect(query.text == "lamp")
        #expect(query.category == .slug("home-kitchen"))
        #expect(query.minPrice == 100 && query.maxPrice == 900 && query.inStock == true)
        #expect(query.attributes == ["colour": "Red"])
        #expect(query.limit == 5)
        let id = UUID()
        #expect(try ListingQuery(query: ["category": id.uuidString]).category == .id(id))
    }

    @Test("bad listing queries list every problem", arguments: [
        ["limit": "101"], ["limit": "-1"], ["sort": "name"], ["minPrice": "x"], ["maxPrice": "-5"], ["inStock": "yes please"],
        ["cursor": "%%%"], ["page": "2"], ["attr.": "x"], ["attr.colour": ""], ["q": String(repeating: "q", count: 201)],
        ["category": "Bad Slug"], ["shop": "nope"], ["minPrice": "10", "maxPrice": "5"],
    ])
    func refusals(query: [String: String]) {
        #expect(throws: ProblemError.self) { try ListingQuery(query: query) }
    }

    @Test("cursors round-trip and reject tampering")
    func cursors() {
        let cursor = ListingCursor(key: 1999, id: UUID())
        #expect(ListingCursor(encoded: cursor.encoded) == cursor)
        #expect(ListingCursor(encoded: ListingCursor(offset: 40).encoded)?.offset == 40)
        #expect(ListingCursor(encoded: ListingCursor(offset: -1).encoded) == nil)
        #expect(ListingCursor(encoded: ListingCursor().encoded) == nil)
        #expect(ListingCursor(encoded: "e30") == nil) // {}
    }

    @Test("price bands", arguments: [(0, 0), (999, 0), (1000, 1), (2499, 1), (49_999, 5), (50_000, 6), (9_999_999, 6)])
    func bands(amount: Int, band: Int) {
        #expect(PriceBands.index(of: amount) == band)
    }

    @Test("reservation lines merge per variant in a stable order")
    func merge() {
        let a = UUID(uuidString: "00000000-0000-0000-0000-00000000000A")!
        let b = UUID(uuidString: "00000000-0000-0000-0000-00000000000B")!
        let merged = ReservationPlan.merge([.init(variantId: b, quantity: 1), .init(variantId: a, quantity: 2), .init(variantId: b, quantity: 3)])
        #expect(merged == [.init(variantId: a, quantity: 2), .init(variantId: b, quantity: 4)])
        let held = [ReservedLineDTO(variantId: a, productId: a, productName: "", sku: "", options: [:], shopId: a, unitPrice: Money(amount: 1, currency: "USD"), quantity: 2)]
        #expect(ReservationPlan.sameLines(held, [.init(variantId: a, quantity: 1), .init(variantId: a, quantity: 1)]))
        #expect(!ReservationPlan.sameLines(held, [.init(variantId: a, quantity: 3)]))
    }

    @Test("field rules", arguments: [
        (CatalogRules.sku("ABC-1_2.x", field: "sku").isEmpty, true),
        (CatalogRules.sku("", field: "sku").isEmpty, false),
        (CatalogRules.sku("a b", field: "sku").isEmpty, false),
        (CatalogRules.sku(String(repeating: "a", count: 65), field: "sku").isEmpty, false),
        (CatalogRules.price(Money(amount: 0, currency: "USD"), field: "p").isEmpty, true),
        (CatalogRules.price(Money(amount: -1, currency: "USD"), field: "p").isEmpty, false),
        (CatalogRules.price(Money(amount: 100_000_000_01, currency: "USD"), field: "p").isEmpty, false),
        (CatalogRules.prices(price: Money(amount: 5, currency: "USD"), compareAt: Money(amount: 4, currency: "USD"), field: "").isEmpty, false),
        (CatalogRules.prices(price: Money(amount: 5, currency: "USD"), compareAt: Money(amount: 5, currency: "USD"), field: "").isEmpty, true),
        (CatalogRules.currency([("p", Money(amount: 5, currency: "EUR"))], expected: "USD").isEmpty, false),
        (CatalogRules.dictionary(Dictionary(uniqueKeysWithValues: (0..<31).map { ("k\($0)", "v") }), field: "a", maxEntries: 30).isEmpty, false),
        (CatalogRules.dictionary(["": "v"], field: "a", maxEntries: 30).isEmpty, false),
    ])
    func rules(valid: Bool, expected: Bool) {
        #expect(valid == expected)
    }

    @Test("the demo generator is deterministic")
    func deterministicDemo() {
        func generate(_ seed: UInt64) -> [String] {
            var random = SeededGenerator(seed: seed)
            var rows = DemoRows()
            let leaf = DemoVocabulary.tree[0].1[0]
            for index in 0..<20 { CatalogService.generateProduct(index: index, leaf: (UUID(), leaf), shop: UUID(), milliseconds: 1, random: &random, into: &rows) }
            return rows.names + rows.skus + rows.prices.map(String.init) + rows.productIDs.map(\.uuidString)
        }
        #expect(generate(42) == generate(42))
        #expect(generate(42) != generate(43))
    }
}
