import CatalogAPI
import Foundation
import Logging
import PlexusKit
import PostgresNIO

/// What a write needs to know about the variant it adds.
struct LineFacts: Sendable {
    var variantID: UUID
    var productID: UUID
    var productName: String
    var sku: String
    var unitPrice: Money
    /// Most units the line may hold: 99 and what is available.
    var cap: Int
}

/// Carts and their lines.
struct CartRepository: Sendable {
    let client: DatabaseClient
    /// Most lines in one cart.
    static let maxLines = 100

    // MARK: Finding carts

    /// The user's cart, made if it does not exist yet (a read writes nothing once it exists).
    func userCart(_ userID: UUID, logger: Logger) async throws -> UUID {
        for try await id in try await client.query("SELECT id FROM carts WHERE user_id = \(userID)", logger: logger).decode(UUID.self) { return id }
        let rows = try await client.query("""
            INSERT INTO carts (id, user_id) VALUES (\(UUID.v7()), \(userID))
            ON CONFLICT (user_id) DO UPDATE SET user_id = EXCLUDED.user_id
            RETURNING id
            """, logger: logger)
        for try await id in rows.decode(UUID.self) { return id }
        throw ProblemError(.internalServerError, code: "internal_error")
    }

    /// The guest cart of `tokenHash`, marked seen (at most once an hour), or `nil`.
    func guestCart(tokenHash: String, logger: Logger) async throws -> UUID? {
        let rows = try await client.query("""
            UPDATE carts SET seen_at = CASE WHEN seen_at < now() - interval '1 hour' THEN now() ELSE seen_at END
            WHERE token_hash = \(tokenHash) AND user_id IS NULL RETURNING id
            """, logger: logger)
        for try await id in rows.decode(UUID.self) { return id }
        return nil
    }

    /// A new guest cart for `tokenHash`.
    func createGuestCart(tokenHash: String, logger: Logger) async throws -> UUID {
        let id = UUID.v7()
        try await client.query("INSERT INTO carts (id, token_hash) VALUES (\(id), \(tokenHash))", logger: logger)
        return id
    }

    /// The cart with its lines.
    func load(_ cartID: UUID, logger: Logger) async throws -> StoredCart? {
        try await client.withConnection { connection in try await Self.load(cartID, on: connection, logger: logger) }
    }

    /// The user's cart with its lines, or `nil` when they have none yet: a signed-in read in one
    /// prepared statement.
    func load(userID: UUID, logger: Logger) async throws -> StoredCart? {
        StoredCart(try await client.execute(CartOfUser(parameter: userID), logger: logger).rows)
    }

    static func load(_ cartID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> StoredCart? {
        var rows: [CartRow] = []
        for try await row in try await connection.execute(CartByID(parameter: cartID), logger: logger) { rows.append(row) }
        return StoredCart(rows)
    }

    /// The variant of a line of the cart, or `nil` (→ 404).
    func variant(ofLine lineID: UUID, cartID: UUID, logger: Logger) async throws -> UUID? {
        let rows = try await client.query("SELECT variant_id FROM cart_lines WHERE id = \(lineID) AND cart_id = \(cartID)", logger: logger)
        for try await id in rows.decode(UUID.self) { return id }
        return nil
    }

    // MARK: Writes (each under the cart's row lock, checking If-Match, bumping the version)

    /// Runs `change` on the locked cart when `expected` (If-Match) is absent or current, then bumps
    /// the version.
    func write(_ cartID: UUID, expected: Int?, logger: Logger,
               _ change: @escaping @Sendable (PostgresConnection) async throws -> Void) async throws {
        try await client.withTransaction(logger: logger) { connection in
            var current: Int?
            for try await version in try await connection.query("SELECT version FROM carts WHERE id = \(cartID) FOR UPDATE", logger: logger)
                .decode(Int.self) { current = version }
            guard let current else { throw ProblemError.notFound("The cart no longer exists.", code: "cart_not_found") }
            if let expected, expected != current {
                throw ProblemError(.preconditionFailed, code: "version_mismatch",
                                   detail: "The cart is at version \(current), not \(expected); read it again and retry.")
            }
            try await change(connection)
            try await connection.query("UPDATE carts SET version = version + 1, updated_at = now(), seen_at = now() WHERE id = \(cartID)", logger: logger)
        }
    }

    /// Adds `quantity` units of a variant (the same variant adds up), refusing more than `facts.cap`.
    func add(_ facts: LineFacts, quantity: Int, cartID: UUID, expected: Int?, logger: Logger) async throws {
        try await write(cartID, expected: expected, logger: logger) { connection in
            var existing = 0
            var lines = 0
            for try await (variant, units) in try await connection.query("SELECT variant_id, quantity FROM cart_lines WHERE cart_id = \(cartID)", logger: logger)
                .decode((UUID, Int).self) {
                lines += 1
                if variant == facts.variantID { existing = units }
            }
            if existing == 0 && lines >= Self.maxLines {
                throw ProblemError.conflict("cart_full", "A cart holds at most \(Self.maxLines) lines.")
            }
            try Self.check(existing + quantity, cap: facts.cap)
            try await connection.query("""
                INSERT INTO cart_lines (id, cart_id, variant_id, product_id, product_name, sku, quantity, added_price, currency)
                VALUES (\(UUID.v7()), \(cartID), \(facts.variantID), \(facts.productID), \(facts.productName), \(facts.sku), \(quantity),
                        \(facts.unitPrice.amount), \(facts.unitPrice.currency))
                ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = cart_lines.quantity + EXCLUDED.quantity, updated_at = now()
                """, logger: logger)
        }
    }

    /// Sets a line's quantity.
    func setQuantity(lineID: UUID, quantity: Int, cap: Int, cartID: UUID, expected: Int?, logger: Logger) async throws {
        try Self.check(quantity, cap: cap)
        try await write(cartID, expected: expected, logger: logger) { connection in
            let rows = try await connection.query("""
                UPDATE cart_lines SET quantity = \(quantity), updated_at = now() WHERE id = \(lineID) AND cart_id = \(cartID) RETURNING id
                """, logger: logger)
            var found = false
            for try await _ in rows { found = true }
            guard found else { throw ProblemError.notFound("The cart has no such line.") }
        }
    }

    /// Removes a line.
    func remove(lineID: UUID, cartID: UUID, expected: Int?, logger: Logger) async throws {
        try await write(cartID, expected: expected, logger: logger) { connection in
            var found = false
            for try await _ in try await connection.query("DELETE FROM cart_lines WHERE id = \(lineID) AND cart_id = \(cartID) RETURNING id", logger: logger) {
                found = true
            }
            guard found else { throw ProblemError.notFound("The cart has no such line.") }
        }
    }

    /// Sets (or, with `nil`, removes) the cart's promotion code.
    func setPromotion(_ code: String?, cartID: UUID, expected: Int?, logger: Logger) async throws {
        try await write(cartID, expected: expected, logger: logger) { connection in
            try await connection.query("UPDATE carts SET promotion_code = \(code) WHERE id = \(cartID)", logger: logger)
        }
    }

    static func check(_ quantity: Int, cap: Int) throws {
        if quantity > 99 {
            throw ProblemError.validation([FieldError(field: "quantity", code: "out_of_range", message: "A line holds at most 99 units.")])
        }
        if quantity > cap {
            throw ProblemError.conflict("insufficient_stock", cap == 0 ? "None is available." : "Only \(cap) can be bought.")
        }
    }

    // MARK: Merging

    /// The guest cart of `tokenHash` with its lines (locked with `lock`); `nil` when there is no
    /// such cart (already merged, expired, never existed).
    static func guest(tokenHash: String, lock: Bool, on connection: PostgresConnection, logger: Logger) async throws -> StoredCart? {
        var guestID: UUID?
        for try await id in try await connection.query("""
            SELECT id FROM carts WHERE token_hash = \(tokenHash) AND user_id IS NULL \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger).decode(UUID.self) { guestID = id }
        guard let guestID else { return nil }
        return try await load(guestID, on: connection, logger: logger)
    }

    /// Moves the guest cart's lines into the user's cart and deletes the guest cart, in one
    /// transaction: two merges of one guest cart that race find it once. Quantities add, capped by
    /// `caps` (per variant; a variant missing there is left behind). Returns `false` when the guest
    /// cart was not there.
    func merge(guestTokenHash: String, into userCartID: UUID, caps: @escaping @Sendable ([StoredLine]) async throws -> [UUID: Int],
               logger: Logger) async throws -> Bool {
        // The caps need the catalogue: read the guest lines first, then move them under locks.
        guard let preview = try await client.withConnection({ try await Self.guest(tokenHash: guestTokenHash, lock: false, on: $0, logger: logger) })
        else { return false }
        let limits = try await caps(preview.lines)
        return try await client.withTransaction(logger: logger) { connection in
            // lock the user's cart first, then the guest's: every merge takes them in this order
            _ = try await connection.query("SELECT 1 FROM carts WHERE id = \(userCartID) FOR UPDATE", logger: logger).collect()
            guard let guest = try await Self.guest(tokenHash: guestTokenHash, lock: true, on: connection, logger: logger) else { return false }
            for line in guest.lines {
                guard let cap = limits[line.variantID], cap > 0 else { continue }
                try await connection.query("""
                    INSERT INTO cart_lines (id, cart_id, variant_id, product_id, product_name, sku, quantity, added_price, currency)
                    VALUES (\(UUID.v7()), \(userCartID), \(line.variantID), \(line.productID), \(line.productName), \(line.sku),
                            \(min(line.quantity, cap)), \(line.addedPrice.amount), \(line.addedPrice.currency))
                    ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = least(cart_lines.quantity + EXCLUDED.quantity, \(cap)), updated_at = now()
                    """, logger: logger)
            }
            try await connection.query("DELETE FROM carts WHERE id = \(guest.id)", logger: logger)
            try await connection.query("UPDATE carts SET version = version + 1, updated_at = now() WHERE id = \(userCartID)", logger: logger)
            return true
        }
    }

    // MARK: Expiry

    /// The periodic job that deletes guest carts idle for the configured days.
    static let expireGuests = JobKind<NoPayload>("cart.expire_guest_carts")

    func expireJob(idleDays: Int) -> JobRegistration {
        .on(Self.expireGuests) { _, _, logger in
            try await client.query("""
                DELETE FROM carts WHERE user_id IS NULL AND seen_at < now() - \(idleDays) * interval '1 day'
                """, logger: logger)
        }
    }
}
