import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PlexusKit
import PlexusKitTesting
import PromotionAPI
import PromotionService
import ShopAPI
import Testing

struct PromotionHarness: Sendable {
    let client: DatabaseClient
    let issuer: TestIssuer

    static func with<T: Sendable>(_ body: @Sendable (PromotionHarness, any TestClientProtocol) async throws -> T) async throws -> T {
        let url = try await TestPostgres.shared.makeDatabase(try PromotionService.migrations.filter { $0.component != "kit" })
        let database = Database(url: url, maxConnections: 20, logger: testLogger())
        let issuer = try TestIssuer()
        return try await database.client.withRunning { client in
            let router = try await TestServices.assemble(PromotionService.self, configuration: PromotionConfiguration(common: .test(.promotion, database: url)),
                                                         database: database, verifier: issuer.verifier).parts.router.router
            return try await Application(router: router).test(.router) { http in try await body(PromotionHarness(client: client, issuer: issuer), http) }
        }
    }

    func admin() async throws -> String { try await issuer.token(roles: [.customer, .admin]) }

    /// A seller whose shop the service learnt from `shop.created`.
    func seller(_ http: any TestClientProtocol) async throws -> (token: String, shop: UUID) {
        let owner = UUID.v7(), shop = UUID.v7()
        let event = EventEnvelope(ShopEvent.created, data: ShopChanged(shopId: shop, ownerId: owner, name: "Shop", slug: "shop-\(shop)"))
        let delivered = try await http.execute(uri: "/internal/events", method: .post,
                                               headers: TestHeaders.json(token: try TestServiceKeys.token(from: .shop, to: .promotion)), body: .json(event)) { $0 }
        #expect(delivered.status == .ok)
        return (try await issuer.token(user: owner, roles: [.customer, .seller]), shop)
    }

    /// Repeats a call the way the order service would while the answer is a 503 (an overloaded
    /// machine may time a call out): what counts is the definite answer.
    static func untilDefinite(_ call: @Sendable () async throws -> HTTPResponse.Status) async throws -> HTTPResponse.Status {
        for _ in 0..<20 {
            let status = try await call()
            if status != .serviceUnavailable { return status }
            try await Task.sleep(for: .milliseconds(200))
        }
        return .serviceUnavailable
    }

    func evaluate(_ http: any TestClientProtocol, _ request: EvaluationRequest) async throws -> TestResponse {
        try await http.send(.post, "/internal/promotions/evaluate", request, token: try TestServiceKeys.token(from: .cart, to: .promotion))
    }
}

@Suite("Promotion routes")
struct PromotionRouteTests {
    static func usd(_ amount: Int) -> Money { Money(amount: amount, currency: "USD") }

    @Test("an admin creates marketplace promotions; codes are unique after trimming and case; bad rules are 422 and store nothing")
    func adminCreates() async throws {
        try await PromotionHarness.with { harness, http in
            let admin = try await harness.admin()
            let created = try await http.send(.post, "/api/v1/promotions", CreatePromotionRequest(code: " welcome10 ", kind: .percentage, percentage: 10),
                                              token: admin)
            #expect(created.status == .created)
            let promotion = try created.decode(PromotionDTO.self)
            #expect(promotion.code == "WELCOME10" && promotion.usageCount == 0 && promotion.shopId == nil)
            let again = try await http.send(.post, "/api/v1/promotions", CreatePromotionRequest(code: "Welcome10", kind: .fixed, amount: Self.usd(100)),
                                            token: admin)
            #expect(try again.status == .conflict && (try again.problem().code) == "code_taken")
            let invalid: [CreatePromotionRequest] = [
                CreatePromotionRequest(code: "ZERO", kind: .percentage, percentage: 0),
                CreatePromotionRequest(code: "MORE", kind: .percentage, percentage: 101),
                CreatePromotionRequest(code: "NOAMOUNT", kind: .fixed),
                CreatePromotionRequest(code: "EUROS", kind: .fixed, amount: Money(amount: 100, currency: "EUR")),
                CreatePromotionRequest(code: "BACKWARDS", kind: .percentage, percentage: 5, startsAt: Date(), endsAt: Date().addingTimeInterval(-60)),
                CreatePromotionRequest(code: "no spaces!", kind: .percentage, percentage: 5),
            ]
            for request in invalid {
                let refused = try await http.send(.post, "/api/v1/promotions", request, token: admin)
                #expect(refused.status == .unprocessableContent, "\(request.code): \(refused.text)")
            }
            #expect(try await harness.client.column("SELECT count(*)::int FROM promotions", as: Int.self) == [1])
            let customer = try await harness.issuer.token()
            #expect(try await http.send(.post, "/api/v1/promotions", CreatePromotionRequest(code: "MINE", kind: .percentage, percentage: 5),
                                        token: customer).status == .forbidden)
        }
    }

    @Test("the demo's sellers, whose shops were seeded without events, create promotions for their shop")
    func demoSellers() async throws {
        try await PromotionHarness.with { harness, http in
            // setup
            let owner = UUID.v7(), shop = UUID.v7()
            let demo = DemoSeed(seed: 1, products: 0, currency: "USD")
            demo[ShopDemo.shops] = [ShopChanged(shopId: shop, ownerId: owner, name: "Demo Shop", slug: "demo-shop")]
            try await PromotionService.seedDemo(demo, client: harness.client, logger: testLogger())
            // act
            let created = try await http.send(.post, "/api/v1/promotions", CreatePromotionRequest(code: "DEMO15", kind: .percentage, percentage: 15),
                                              token: try await harness.issuer.token(user: owner, roles: [.customer, .seller]))
            // expect
            #expect(created.status == .created, "\(created.text)")
            #expect(try created.decode(PromotionDTO.self).shopId == shop)
        }
    }

    @Test("a seller's promotions cover their own shop only, and they see only their own")
    func sellerScoping() async throws {
        try await PromotionHarness.with { harness, http in
            let admin = try await harness.admin()
            let marketplace = try await http.send(.post, "/api/v1/promotions", CreatePromotionRequest(code: "ALL5", kind: .percentage, percentage: 5),
                                                  token: admin).decode(PromotionDTO.self)
            let noShop = try await harness.issuer.token(roles: [.customer, .seller])
            let refused = try await http.send(.post, "/api/v1/promotions", CreatePromotionRequest(code: "NOSHOP", kind: .percentage, percentage: 5), token: noShop)
            #expect(try refused.status == .forbidden && (try refused.problem().code) == "no_shop")
            let seller = try await harness.seller(http)
            let other = try await http.send(.post, "/api/v1/promotions",
                                            CreatePromotionRequest(code: "THEIRS", kind: .percentage, percentage: 5, shopIds: [UUID.v7()]), token: seller.token)
            #expect(other.status == .unprocessableContent)
            let own = try await http.send(.post, "/api/v1/promotions", CreatePromotionRequest(code: "OWN20", kind: .percentage, percentage: 20),
                                          token: seller.token)
            #expect(own.status == .created)
            #expect(try own.decode(PromotionDTO.self).shopId == seller.shop)
            let listed = try await http.get("/api/v1/promotions", token: seller.token).decode(PageOf<PromotionDTO>.self)
            #expect(listed.items.map(\.code) == ["OWN20"])
            #expect(try await http.get("/api/v1/promotions/\(marketplace.id)", token: seller.token).status == .notFound)
            #expect(try await http.delete("/api/v1/promotions/\(marketplace.id)", token: seller.token).status == .notFound)
            let all = try await http.get("/api/v1/promotions", token: admin).decode(PageOf<PromotionDTO>.self)
            #expect(Set(all.items.map(\.code)) == ["ALL5", "OWN20"])
            // the seller's code never discounts another shop's line
            let line = EvaluationLine(variantId: .v7(), productId: .v7(), shopId: UUID.v7(), categoryIds: [], amount: Self.usd(1000))
            let evaluated = try await harness.evaluate(http, EvaluationRequest(code: "own20", customerId: .v7(), vip: false, lines: [line]))
            #expect(try evaluated.status == .unprocessableContent && (try evaluated.problem().code) == "promotion_not_applicable")
        }
    }

    @Test("evaluation through the internal route: discounts per line; an ended promotion is not found; only cart and order may call it")
    func evaluateRoute() async throws {
        try await PromotionHarness.with { harness, http in
            let admin = try await harness.admin()
            let save = try await http.send(.post, "/api/v1/promotions", CreatePromotionRequest(code: "SAVE5", kind: .fixed, amount: Self.usd(500)),
                                           token: admin).decode(PromotionDTO.self)
            let lines = [333, 333, 334].map { EvaluationLine(variantId: .v7(), productId: .v7(), shopId: .v7(), categoryIds: [], amount: Self.usd($0)) }
            let result = try await harness.evaluate(http, EvaluationRequest(code: "save5", customerId: nil, vip: false, lines: lines)).decode(EvaluationResult.self)
            #expect(result.discount.amount == 500 && result.lines.map(\.discount.amount) == [167, 166, 167])
            let asCustomer = try await http.send(.post, "/internal/promotions/evaluate",
                                                 EvaluationRequest(code: "SAVE5", customerId: nil, vip: false, lines: lines), token: try await harness.issuer.token())
            #expect(asCustomer.status == .unauthorized || asCustomer.status == .forbidden)
            #expect(try await http.delete("/api/v1/promotions/\(save.id)", token: admin).status == .noContent)
            let ended = try await harness.evaluate(http, EvaluationRequest(code: "SAVE5", customerId: nil, vip: false, lines: lines))
            #expect(try ended.status == .notFound && (try ended.problem().code) == "promotion_not_found")
            #expect(try await harness.client.column("SELECT type FROM outbox ORDER BY created_at", as: String.self) == ["promotion.changed", "promotion.changed"])
        }
    }
}

@Suite("Promotion redemptions")
struct PromotionRedemptionTests {
    @Test("30 paid orders at once on a code limited to 10 uses: exactly 10 count; a cancelled order gives its use back")
    func usageLimitRace() async throws {
        try await PromotionHarness.with { harness, http in
            let admin = try await harness.admin()
            #expect(try await http.send(.post, "/api/v1/promotions", CreatePromotionRequest(code: "FIRST10", kind: .fixed,
                                        amount: Money(amount: 1000, currency: "USD"), usageLimit: 10), token: admin).status == .created)
            let order = try TestServiceKeys.token(from: .order, to: .promotion)
            let orders = (0..<30).map { _ in UUID.v7() }
            // act
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for id in orders {
                    group.addTask {
                        try await PromotionHarness.untilDefinite {
                            try await http.send(.post, "/internal/promotions/redemptions", RedeemRequest(code: "first10", orderId: id, customerId: .v7()),
                                                token: order).status
                        }
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            // expect
            #expect(statuses.filter { $0 == .created }.count == 10)
            #expect(statuses.filter { $0 == .conflict }.count == 20)
            #expect(try await harness.client.column("SELECT usage_count FROM promotions", as: Int.self) == [10])
            let listed = try await http.get("/api/v1/promotions?code=first", token: admin).decode(PageOf<PromotionDTO>.self)
            #expect(listed.items.map(\.usageCount) == [10])
            // a paid order repeating its redemption changes nothing; cancelling one frees a use
            let counted = try await harness.client.column("SELECT order_id FROM redemptions LIMIT 1", as: UUID.self)[0]
            #expect(try await http.send(.post, "/internal/promotions/redemptions", RedeemRequest(code: "FIRST10", orderId: counted, customerId: .v7()),
                                        token: order).status == .created)
            let released = try await http.execute(uri: "/internal/promotions/redemptions/\(counted)/release", method: .post,
                                                  headers: TestHeaders.json(token: order)) { $0 }
            #expect(try released.status == .ok && (try released.decode(RedemptionDTO.self).releasedAt) != nil)
            #expect(try await harness.client.column("SELECT usage_count FROM promotions", as: Int.self) == [9])
            #expect(try await http.send(.post, "/internal/promotions/redemptions", RedeemRequest(code: "FIRST10", orderId: .v7(), customerId: .v7()),
                                        token: order).status == .created)
            // only the order service may count uses
            let asCart = try await http.send(.post, "/internal/promotions/redemptions", RedeemRequest(code: "FIRST10", orderId: .v7(), customerId: .v7()),
                                             token: try TestServiceKeys.token(from: .cart, to: .promotion))
            #expect(asCart.status == .forbidden)
        }
    }

    @Test("a customer's limit holds across their concurrent orders, and then the code no longer applies to them")
    func perCustomerLimit() async throws {
        try await PromotionHarness.with { harness, http in
            let admin = try await harness.admin()
            #expect(try await http.send(.post, "/api/v1/promotions", CreatePromotionRequest(code: "ONCE", kind: .percentage, percentage: 10,
                                        perCustomerLimit: 1), token: admin).status == .created)
            let order = try TestServiceKeys.token(from: .order, to: .promotion)
            let customer = UUID.v7()
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await PromotionHarness.untilDefinite {
                            try await http.send(.post, "/internal/promotions/redemptions", RedeemRequest(code: "ONCE", orderId: .v7(), customerId: customer),
                                                token: order).status
                        }
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1)
            let line = EvaluationLine(variantId: .v7(), productId: .v7(), shopId: .v7(), categoryIds: [], amount: Money(amount: 1000, currency: "USD"))
            let evaluated = try await harness.evaluate(http, EvaluationRequest(code: "ONCE", customerId: customer, vip: false, lines: [line]))
            #expect(try evaluated.status == .unprocessableContent && (try evaluated.problem().code) == "promotion_customer_limit")
            let someoneElse = try await harness.evaluate(http, EvaluationRequest(code: "ONCE", customerId: .v7(), vip: false, lines: [line]))
            #expect(someoneElse.status == .ok)
        }
    }
}

/// A page as a client decodes it.
struct PageOf<Item: Decodable & Sendable>: Decodable, Sendable {
    var items: [Item]
    var nextCursor: String?
}
