import CatalogAPI
import Foundation
import PlexusKit
import PostgresNIO

// A cart read as one named prepared statement: the cart and its lines in one snapshot (so the
// version in the ETag is the version of the lines shown), parsed and planned once per connection.
// Measured on the demo (2 cores, 32 connections, 10 lines): the three unprepared statements of a
// signed-in read cost PostgreSQL 430 µs per read.

/// One row of a cart read: the cart (its lines not filled in), and one line (`nil` for a cart
/// without lines).
struct CartRow: Sendable {
    var cart: StoredCart
    var line: StoredLine?
}

/// A cart with its lines, one row per line in the order they were added (one row with no line for
/// an empty cart), found by the column `matching` compares with `$1`.
protocol CartStatement: OneParameterStatement where Row == CartRow, Parameter == UUID {}

extension CartStatement {
    /// `LATERAL … OFFSET 0` keeps the lines read by their cart's key, whatever a plan cached while
    /// the tables were small would prefer.
    static func query(matching column: String) -> String {
        """
        SELECT c.id, c.version, c.promotion_code, c.created_at, c.updated_at,
               l.id, l.variant_id, l.product_id, l.product_name, l.sku, l.quantity, l.added_price, l.currency
        FROM carts c LEFT JOIN LATERAL (
            SELECT id, variant_id, product_id, product_name, sku, quantity, added_price, currency, created_at
            FROM cart_lines WHERE cart_id = c.id OFFSET 0) l ON true
        WHERE c.\(column) = $1
        ORDER BY l.created_at, l.id
        """
    }

    func decodeRow(_ row: PostgresRow) throws -> CartRow {
        let (id, version, code, created, updated, lineID, variant, product, name, sku, quantity, price, currency) =
            try row.decode((UUID, Int, String?, Date, Date, UUID?, UUID?, UUID?, String?, String?, Int?, Int?, String?).self)
        var line: StoredLine?
        if let lineID, let variant, let product, let name, let sku, let quantity, let price, let currency {
            line = StoredLine(id: lineID, variantID: variant, productID: product, productName: name, sku: sku, quantity: quantity,
                              addedPrice: Money(amount: price, currency: currency))
        }
        return CartRow(cart: StoredCart(id: id, version: version, promotionCode: code, createdAt: created, updatedAt: updated, lines: []),
                       line: line)
    }
}

struct CartByID: CartStatement {
    static let sql = query(matching: "id")
    var parameter: UUID
}

struct CartOfUser: CartStatement {
    static let sql = query(matching: "user_id")
    var parameter: UUID
}

extension StoredCart {
    /// The cart a read's rows describe, or `nil` for no rows (no such cart).
    init?(_ rows: [CartRow]) {
        guard let first = rows.first else { return nil }
        self = first.cart
        lines = rows.compactMap(\.line)
    }
}
