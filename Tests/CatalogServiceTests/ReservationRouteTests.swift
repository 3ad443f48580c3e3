import CatalogAPI
import CatalogService
import Foundation
import HummingbirdTesting
import PlexusKit
import PlexusKitTesting
import Testing

extension TestClientProtocol {
    func reserve(_ order: UUID, _ lines: [(UUID, Int)], token: String, hold: Int? = nil) async throws -> TestResponse {
        try await send(.post, CatalogEndpoints.reserve.path,
                       ReserveRequest(orderId: order, lines: lines.map { ReservationLineRequest(variantId: $0.0, quantity: $0.1) }, holdSeconds: hold), token: token)
    }
}

/// (onHand, reserved) of a variant, read from the database.
func stock(_ harness: CatalogHarness, _ variant: UUID) async throws -> [Int] {
    try await harness.client.column("SELECT on_hand FROM variants WHERE id = \(variant)", as: Int.self)
        + harness.client.column("SELECT reserved FROM variants WHERE id = \(variant)", as: Int.self)
}

@Suite("Catalog: stock reservations")
struct ReservationRouteTests {
    /// A published product with one variant holding `stock` units; returns the variant.
    func variant(_ harness: CatalogHarness, _ http: any TestClientProtocol, stock: Int, sku: String = "R-\(UUID().uuidString.prefix(8))") async throws -> UUID {
        let category = try await harness.category(http, "Cat \(UUID().uuidString.prefix(6))")
        let (seller, _) = try await harness.openShop(http)
        return try await http.create(product("Item \(sku)", category: category, sku: sku, stock: stock), token: seller).variants[0].id
    }

    @Test("50 concurrent reservations of the last unit: exactly one wins, stock is conserved")
    func lastUnit() async throws {
        try await CatalogHarness.with { harness, http in
            // setup
            let variant = try await variant(harness, http, stock: 1)
            let token = try await harness.serviceToken()

            // act
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<50 {
                    group.addTask { Int(try await http.reserve(.v7(), [(variant, 1)], token: token).status.code) }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }

            // assert
            #expect(statuses.filter { $0 == 201 }.count == 1)
            #expect(statuses.filter { $0 == 409 }.count == 49)
            #expect(try await stock(harness, variant) == [1, 1])
            #expect(try await harness.client.column("SELECT count(*)::int FROM reservations", as: Int.self) == [1])
            let detail = try await http.get("/api/v1/products/\(try await harness.client.column("SELECT product_id FROM variants WHERE id = \(variant)", as: UUID.self)[0])")
            #expect(try detail.decode(ProductDTO.self).variants[0].available == 0)
        }
    }

    @Test("reserve → commit takes units out of onHand; reserve → release gives them back; both idempotent")
    func lifecycle() async throws {
        try await CatalogHarness.with { harness, http in
            let a = try await variant(harness, http, stock: 10)
            let b = try await variant(harness, http, stock: 4)
            let token = try await harness.serviceToken()
            let order = UUID.v7()

            let reserved = try await http.reserve(order, [(a, 3), (b, 4), (a, 2)], token: token)
            #expect(reserved.status == .created)
            let dto = try reserved.decode(ReservationDTO.self)
            #expect(dto.status == .reserved)
            #expect(Dictionary(uniqueKeysWithValues: dto.lines.map { ($0.variantId, $0.quantity) }) == [a: 5, b: 4])
            #expect(dto.lines.allSatisfy { $0.unitPrice == usd(1999) && !$0.productName.isEmpty })
            #expect(try await stock(harness, a) == [10, 5])
            #expect(try await stock(harness, b) == [4, 4])

            // the same request again is the same reservation; a different one for the order is refused
            #expect(try await http.reserve(order, [(a, 5), (b, 4)], token: token).decode(ReservationDTO.self) == dto)
            #expect(try await http.reserve(order, [(a, 1)], token: token).status == .conflict)
            #expect(try await stock(harness, a) == [10, 5])

            // commit twice
            for _ in 0..<2 {
                let committed = try await http.send(.post, CatalogEndpoints.commit.path(["orderId": order.uuidString]), [String: String](), token: token)
                #expect(try committed.decode(ReservationDTO.self).status == .committed)
            }
            #expect(try await stock(harness, a) == [5, 0])
            #expect(try await stock(harness, b) == [0, 0])
            #expect(try await http.send(.post, CatalogEndpoints.release.path(["orderId": order.uuidString]), [String: String](), token: token).status == .conflict)

            // another order: release twice
            let second = UUID.v7()
            #expect(try await http.reserve(second, [(a, 5)], token: token).status == .created)
            #expect(try await stock(harness, a) == [5, 5])
            for _ in 0..<2 {
                #expect(try await http.send(.post, CatalogEndpoints.release.path(["orderId": second.uuidString]), [String: String](), token: token).decode(ReservationDTO.self).status == .released)
            }
            #expect(try await stock(harness, a) == [5, 0])
            #expect(try await http.send(.post, CatalogEndpoints.commit.path(["orderId": second.uuidString]), [String: String](), token: token).status == .conflict)
            #expect(try await http.send(.post, CatalogEndpoints.commit.path(["orderId": UUID.v7().uuidString]), [String: String](), token: token).status == .notFound)
        }
    }

    @Test("all or nothing: one short line reserves nothing; unknown variants are 422")
    func allOrNothing() async throws {
        try await CatalogHarness.with { harness, http in
            let a = try await variant(harness, http, stock: 10)
            let b = try await variant(harness, http, stock: 1)
            let token = try await harness.serviceToken()
            let short = try await http.reserve(.v7(), [(a, 2), (b, 2)], token: token)
            #expect(short.status == .conflict)
            #expect(try short.problem().errors?.map(\.field) == ["variant:\(b.uuidString.lowercased())"])
            #expect(try await stock(harness, a) == [10, 0])
            let unknown = try await http.reserve(.v7(), [(a, 1), (.v7(), 1)], token: token)
            #expect(unknown.status == .unprocessableContent)
            #expect(try await stock(harness, a) == [10, 0])
            #expect(try await harness.client.column("SELECT count(*)::int FROM reservations", as: Int.self) == [0])
            #expect(try await http.reserve(.v7(), [(a, 0)], token: token).status == .unprocessableContent)
            #expect(try await http.reserve(.v7(), [(a, 1)], token: try await harness.adminToken()).status == .unauthorized)
        }
    }

    @Test("a lapsed reservation returns its units when the expiry job runs; stock cannot go below what is held")
    func expiry() async throws {
        try await CatalogHarness.with { harness, http in
            let a = try await variant(harness, http, stock: 3)
            let token = try await harness.serviceToken()
            let order = UUID.v7()
            #expect(try await http.reserve(order, [(a, 2)], token: token, hold: 10).status == .created)

            // a seller cannot set stock below the reserved units
            let product = try await harness.client.column("SELECT product_id FROM variants WHERE id = \(a)", as: UUID.self)[0]
            let owner = try await harness.client.column("SELECT s.owner_id FROM shops s JOIN products p ON p.shop_id = s.id WHERE p.id = \(product)", as: UUID.self)[0]
            let seller = try await harness.issuer.token(user: owner, roles: [.customer, .seller])
            let below = try await http.send(.put, "/api/v1/variants/\(a)/stock", SetStockRequest(onHand: 1), token: seller)
            #expect(below.status == .conflict)
            #expect(try below.problem().code == "below_reserved")

            // the hold runs out; the periodic job returns the units
            try await harness.client.query("UPDATE reservations SET expires_at = now() - interval '1 second' WHERE order_id = \(order)", logger: testLogger())
            let database = Database(url: harness.url, logger: testLogger())
            try await database.client.withRunning { _ in
                let assembled = try await TestServices.assemble(CatalogService.self, configuration: CatalogHarness.configuration(harness.url), database: database,
                                                                verifier: harness.issuer.verifier)
                let worker = TestServices.worker(CatalogService.self, assembled)
                try await worker.schedulePeriodic()
                try await harness.client.query("UPDATE jobs SET run_at = now() WHERE kind = 'catalog.expire_reservations'", logger: testLogger())
                #expect(try await worker.runOnce() >= 1)
            }
            #expect(try await stock(harness, a) == [3, 0])
            #expect(try await harness.client.column("SELECT status FROM reservations WHERE order_id = \(order)", as: String.self) == ["expired"])
            #expect(try await http.send(.post, CatalogEndpoints.commit.path(["orderId": order.uuidString]), [String: String](), token: token).status == .conflict)
        }
    }

    @Test("a product's in-stock count stays exact when buyers take the last units of its variants while its seller restocks them, and nobody gets a 503")
    func stockedCountUnderRaces() async throws {
        try await CatalogHarness.with(cacheSize: 0) { harness, http in
            let category = try await harness.category(http, "Race \(UUID().uuidString.prefix(6))")
            let (seller, _) = try await harness.openShop(http)
            let token = try await harness.serviceToken()
            var products: [UUID] = []
            for round in 0..<12 {
                var request = product("Racer \(round)", category: category, sku: "RACE-\(round)-A", stock: 1)
                request.variants.append(CreateVariantRequest(sku: "RACE-\(round)-B", options: ["colour": "White"], price: usd(1999), stock: 1))
                let created = try await http.create(request, token: seller)
                products.append(created.id)
                let (a, b) = (created.variants[0].id, created.variants[1].id)
                // two buyers take the last unit of each variant while the seller sets both variants' stock
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    group.addTask { Int(try await http.reserve(.v7(), [(a, 1)], token: token).status.code) }
                    group.addTask { Int(try await http.reserve(.v7(), [(b, 1)], token: token).status.code) }
                    group.addTask { Int(try await http.send(.put, "/api/v1/variants/\(a)/stock", SetStockRequest(onHand: 1), token: seller).status.code) }
                    group.addTask { Int(try await http.send(.put, "/api/v1/variants/\(b)/stock", SetStockRequest(onHand: 1), token: seller).status.code) }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(statuses.sorted() == [200, 200, 201, 201], "round \(round)")
            }

            // every product's count is what its variants say, and listings agree: all sold out
            let wrong = try await harness.client.column("""
                SELECT count(*)::int FROM products p
                WHERE stocked_variants <> (SELECT count(*) FROM variants v WHERE v.product_id = p.id AND v.on_hand > v.reserved)
                """, as: Int.self)
            #expect(wrong == [0])
            let inStock = try await http.get("/api/v1/products?category=\(category)&inStock=true").decode(ProductListDTO.self)
            #expect(inStock.items.isEmpty)
            let soldOut = try await http.get("/api/v1/products?category=\(category)&inStock=false&limit=100").decode(ProductListDTO.self)
            #expect(Set(soldOut.items.map(\.id)) == Set(products))
            #expect(soldOut.items.allSatisfy { !$0.inStock })

            // a restock brings a product back; deleting its stocked variant takes it out again
            let first = try await harness.client.column("SELECT id FROM variants WHERE product_id = \(products[0]) ORDER BY sku", as: UUID.self)
            #expect(try await http.send(.put, "/api/v1/variants/\(first[0])/stock", SetStockRequest(onHand: 5), token: seller).status == .ok)
            #expect(try await http.get("/api/v1/products?category=\(category)&inStock=true").decode(ProductListDTO.self).items.map(\.id) == [products[0]])
            let extra = try await http.send(.post, "/api/v1/products/\(products[0])/variants",
                                            CreateVariantRequest(sku: "RACE-0-C", options: ["colour": "Red"], price: usd(1999), stock: 2), token: seller)
            #expect(extra.status == .created)
            #expect(try await harness.client.column("SELECT stocked_variants FROM products WHERE id = \(products[0])", as: Int.self) == [2])
        }
    }
}
