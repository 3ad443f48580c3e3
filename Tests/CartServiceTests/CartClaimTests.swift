import CartAPI
@testable import CartService
import Foundation
import PlexusKit
import PlexusKitTesting
import Testing

/// A checkout's hold on a cart, on the cart's own database.
@Suite struct CartClaimTests {
    @Test func completingRemovesExactlyTheClaimedUnitsAndASecondClaimWaits() async throws {
        let url = try await TestPostgres.shared.makeDatabase(try CartService.migrations.filter { $0.component != "kit" })
        try await url.makeClient(logger: testLogger()).withRunning { client in
            // setup: a user's cart with three lines
            let logger = testLogger()
            let user = UUID.v7(), cart = UUID.v7()
            let (a, b, c) = (UUID.v7(), UUID.v7(), UUID.v7())
            try await client.query("INSERT INTO carts (id, user_id, promotion_code) VALUES (\(cart), \(user), 'WELCOME10')", logger: logger)
            for (variant, quantity) in [(a, 2), (b, 3), (c, 1)] {
                try await client.query("""
                    INSERT INTO cart_lines (id, cart_id, variant_id, product_id, product_name, sku, quantity, added_price, currency)
                    VALUES (\(UUID.v7()), \(cart), \(variant), \(UUID.v7()), 'P', 'SKU', \(quantity), 100, 'USD')
                    """, logger: logger)
            }
            let claims = CartClaims(client: client)
            let order = UUID.v7()

            // act: claim; another checkout is refused; the buyer adds units of b meanwhile; complete
            let claim = try await claims.claim(userID: user, orderID: order, logger: logger)
            let again = try await claims.claim(userID: user, orderID: order, logger: logger)
            await #expect(throws: ProblemError.self) { try await claims.claim(userID: user, orderID: .v7(), logger: logger) }
            try await client.query("UPDATE cart_lines SET quantity = 5 WHERE variant_id = \(b)", logger: logger)
            try await claims.complete(orderID: order, logger: logger)
            try await claims.complete(orderID: order, logger: logger)

            // expect: a and c are gone, b keeps the two units added, the code is off, the cart is free
            #expect(claim == again && claim.lines.count == 3 && claim.promotionCode == "WELCOME10")
            let left = try await client.column("SELECT quantity FROM cart_lines WHERE cart_id = \(cart) ORDER BY variant_id", as: Int.self)
            #expect(left == [2])
            #expect(try await client.column("SELECT count(*)::int FROM cart_lines WHERE variant_id = \(b)", as: Int.self) == [1])
            #expect(try await client.column("SELECT promotion_code FROM carts WHERE id = \(cart)", as: String?.self) == [nil])
            let next = try await claims.claim(userID: user, orderID: .v7(), logger: logger)
            #expect(next.lines == [ClaimedLine(variantId: b, quantity: 2)] && next.promotionCode == nil)
        }
    }
}
