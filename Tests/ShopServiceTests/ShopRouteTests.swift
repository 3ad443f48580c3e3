import CatalogAPI
import CatalogService
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IdentityService
import PlexusKit
import PlexusKitTesting
import PostgresNIO
import ShopAPI
import ShopService
import Testing

struct ShopHarness: Sendable {
    let client: DatabaseClient
    let issuer: TestIssuer

    static func with<T: Sendable>(catalogURL: String? = nil, _ body: @Sendable (ShopHarness, any TestClientProtocol) async throws -> T) async throws -> T {
        let url = try await TestPostgres.shared.makeDatabase(try ShopService.migrations.filter { $0.component != "kit" })
        let database = Database(url: url, maxConnections: 30, logger: testLogger())
        let issuer = try TestIssuer()
        return try await database.client.withRunning { client in
            var common = CommonConfiguration.test(.shop, database: url)
            if let catalogURL { common.serviceURLs[.catalog] = catalogURL }
            let configuration = ShopConfiguration(common: common, showProducts: catalogURL != nil)
            // The real consumers' declarations decide who receives shop's events.
            let topology = Topology([ShopService.self, IdentityService.self, CatalogService.self])
            let router = try await TestServices.assemble(ShopService.self, configuration: configuration, database: database, topology: topology,
                                                         verifier: issuer.verifier).parts.router.router
            return try await Application(router: router).test(.router) { http in try await body(ShopHarness(client: client, issuer: issuer), http) }
        }
    }
}

@Suite("Shop routes")
struct ShopRouteTests {
    @Test("a verified user opens one shop; the event for identity and catalog is in the outbox")
    func open() async throws {
        try await ShopHarness.with { harness, http in
            // setup
            let owner = UUID.v7()
            let token = try await harness.issuer.token(user: owner)

            // act
            let created = try await http.send(.post, "/api/v1/shops", CreateShopRequest(name: "Ann's Ceramics", description: "Pots"), token: token)

            // assert
            #expect(created.status == .created)
            let shop = try created.decode(ShopDTO.self)
            #expect(shop.slug == "ann-s-ceramics" && shop.ownerId == owner)
            let events = try await harness.client.column("SELECT type FROM outbox", as: String.self)
            #expect(events == [ShopEvent.created.name])
            let deliveries = try await harness.client.column("SELECT payload->>'subscriber' FROM jobs WHERE kind = 'outbox.deliver' ORDER BY 1", as: String.self)
            #expect(deliveries == ["catalog", "identity"])
            let payload = try await harness.client.column("SELECT payload->'data'->>'ownerId' FROM outbox", as: String.self)
            #expect(payload.map { UUID(uuidString: $0) } == [owner])

            // a second shop for the same user
            let again = try await http.send(.post, "/api/v1/shops", CreateShopRequest(name: "Another"), token: token)
            #expect(again.status == .conflict)
            #expect(try again.problem().code == "shop_exists")
            // the same name for another user gets its own slug
            let other = try await http.send(.post, "/api/v1/shops", CreateShopRequest(name: "Ann's Ceramics"), token: try await harness.issuer.token())
            #expect(try other.decode(ShopDTO.self).slug.hasPrefix("ann-s-ceramics-"))
        }
    }

    @Test("ten concurrent shop openings by one user make exactly one shop")
    func concurrentOpen() async throws {
        try await ShopHarness.with { harness, http in
            let token = try await harness.issuer.token()
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<10 {
                    group.addTask { Int(try await http.send(.post, "/api/v1/shops", CreateShopRequest(name: "Shop \(index)"), token: token).status.code) }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.sorted() == [201] + Array(repeating: 409, count: 9))
            #expect(try await harness.client.column("SELECT count(*)::int FROM shops", as: Int.self) == [1])
            #expect(try await harness.client.column("SELECT count(*)::int FROM outbox", as: Int.self) == [1])
        }
    }

    @Test("refusals: anonymous 401, unverified 403, bad bodies 400/422 — nothing stored")
    func refusals() async throws {
        try await ShopHarness.with { harness, http in
            #expect(try await http.send(.post, "/api/v1/shops", CreateShopRequest(name: "X Shop")).status == .unauthorized)
            let unverified = try await http.send(.post, "/api/v1/shops", CreateShopRequest(name: "X Shop"), token: try await harness.issuer.token(emailVerified: false))
            #expect(unverified.status == .forbidden)
            let token = try await harness.issuer.token()
            #expect(try await http.send(.post, "/api/v1/shops", ["name": "X Shop", "ownerId": UUID.v7().uuidString], token: token).status == .badRequest)
            #expect(try await http.send(.post, "/api/v1/shops", CreateShopRequest(name: "!"), token: token).status == .unprocessableContent)
            #expect(try await http.send(.post, "/api/v1/shops", CreateShopRequest(name: "Fine", description: String(repeating: "d", count: 2001)), token: token).status == .unprocessableContent)
            #expect(try await harness.client.column("SELECT count(*)::int FROM shops", as: Int.self) == [0])
        }
    }

    @Test("find by id or slug, search by name, edit own shop (publishing shop.updated)")
    func readAndEdit() async throws {
        try await ShopHarness.with { harness, http in
            let owner = try await harness.issuer.token(user: .v7())
            let shop = try await http.send(.post, "/api/v1/shops", CreateShopRequest(name: "Kestrel Sports"), token: owner).decode(ShopDTO.self)
            _ = try await http.send(.post, "/api/v1/shops", CreateShopRequest(name: "Lumen Books"), token: try await harness.issuer.token())

            #expect(try await http.get("/api/v1/shops/\(shop.id)").status == .ok)
            let page = try await http.get("/api/v1/shops/kestrel-sports")
            #expect(try page.decode(ShopDTO.self).id == shop.id)
            #expect(page.text.contains("\"products\":null"))
            #expect(try await http.get("/api/v1/shops/nope").status == .notFound)
            let found = try await http.get("/api/v1/shops?q=kestrl").decode(Page<ShopDTO>.self)
            #expect(found.items.map(\.id) == [shop.id])
            let all = try await http.get("/api/v1/shops?limit=1").decode(Page<ShopDTO>.self)
            #expect(all.items.count == 1 && all.nextCursor != nil)
            #expect(try await http.get("/api/v1/shops?owner=x").status == .badRequest)

            let edited = try await http.send(.patch, "/api/v1/shops/me", UpdateShopRequest(name: "Kestrel Outdoor", description: "Trails"), token: owner)
            #expect(try edited.decode(ShopDTO.self).slug == "kestrel-outdoor")
            #expect(try await harness.client.column("SELECT type FROM outbox ORDER BY created_at", as: String.self)
                    == [ShopEvent.created.name, ShopEvent.created.name, ShopEvent.updated.name])
            #expect(try await http.get("/api/v1/shops/me", token: owner).decode(ShopDTO.self).name == "Kestrel Outdoor")
            let described = try await http.send(.patch, "/api/v1/shops/me", UpdateShopRequest(description: "Only the description"), token: owner)
            #expect(try described.decode(ShopDTO.self).description == "Only the description")
            #expect(try described.decode(ShopDTO.self).slug == "kestrel-outdoor")
            let stranger = try await harness.issuer.token()
            #expect(try await http.send(.patch, "/api/v1/shops/me", UpdateShopRequest(name: "Mine"), token: stranger).status == .notFound)
        }
    }

    @Test("sales report: empty until order events fill it; dates are validated")
    func sales() async throws {
        try await ShopHarness.with { harness, http in
            let owner = UUID.v7()
            let token = try await harness.issuer.token(user: owner)
            let shop = try await http.send(.post, "/api/v1/shops", CreateShopRequest(name: "Orbit"), token: token).decode(ShopDTO.self)
            let empty = try await http.get("/api/v1/shops/me/sales?from=2026-11-01&to=2026-11-30", token: token).decode(SalesReportDTO.self)
            #expect(empty == SalesReportDTO(from: "2026-11-01", to: "2026-11-30", revenue: Money(amount: 0, currency: "USD"), orders: 0, units: 0, days: [], topProducts: []))

            // rows in the projection (as the order events will write them) are summed per day
            let product = UUID.v7()
            for (order, day, quantity) in [(UUID.v7(), "2026-11-03", 2), (UUID.v7(), "2026-11-03", 1), (UUID.v7(), "2026-11-05", 4)] {
                try await harness.client.query("""
                    INSERT INTO sales_lines (order_id, variant_id, shop_id, product_id, product_name, quantity, revenue, currency, paid_at)
                    VALUES (\(order), \(UUID.v7()), \(shop.id), \(product), 'Lamp', \(quantity), \(quantity * 1000), 'USD', \(day)::date + time '12:00')
                    """, logger: testLogger())
            }
            let report = try await http.get("/api/v1/shops/me/sales?from=2026-11-01&to=2026-11-30", token: token).decode(SalesReportDTO.self)
            #expect(report.days.map(\.date) == ["2026-11-03", "2026-11-05"])
            #expect(report.days.map(\.orders) == [2, 1])
            #expect(report.revenue.amount == 7000 && report.units == 7 && report.orders == 3)
            #expect(report.topProducts.map(\.units) == [7])

            for query in ["from=2026-13-01", "from=2026-11-30&to=2026-11-01", "from=2020-01-01&to=2026-01-01", "shop=x", "to=yesterday"] {
                #expect(try await http.get("/api/v1/shops/me/sales?\(query)", token: token).status == .badRequest, "\(query)")
            }
            #expect(try await http.get("/api/v1/shops/me/sales", token: try await harness.issuer.token()).status == .notFound)
            #expect(try await http.get("/api/v1/shops/me/sales").status == .unauthorized)
        }
    }

    @Test("the internal owner lookup needs a service token")
    func internalLookup() async throws {
        try await ShopHarness.with { harness, http in
            let owner = UUID.v7()
            _ = try await http.send(.post, "/api/v1/shops", CreateShopRequest(name: "Tamarack"), token: try await harness.issuer.token(user: owner))
            #expect(try await http.get(ShopEndpoints.byOwner.path(["userId": owner.uuidString])).status == .unauthorized)
            #expect(try await http.get(ShopEndpoints.byOwner.path(["userId": owner.uuidString]), token: try await harness.issuer.token(user: owner)).status == .unauthorized)
            let service = try TestServiceKeys.token(from: .catalog, to: .shop)
            #expect(try await http.get(ShopEndpoints.byOwner.path(["userId": owner.uuidString]), token: try TestServiceKeys.token(from: .order, to: .shop)).status == .forbidden)
            let found = try await http.get(ShopEndpoints.byOwner.path(["userId": owner.uuidString]), token: service)
            #expect(try found.decode(ShopChanged.self).ownerId == owner)
            #expect(try await http.get(ShopEndpoints.byOwner.path(["userId": UUID.v7().uuidString]), token: service).status == .notFound)
        }
    }
}
