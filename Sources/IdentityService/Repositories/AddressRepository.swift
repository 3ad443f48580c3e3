import Foundation
import IdentityAPI
import Logging
import PlexusKit
import PostgresNIO

/// The address book. At most one default per user (a partial unique index); changes that move the
/// default run in one transaction.
struct AddressRepository: Sendable {
    let client: DatabaseClient

    static let columns = "id, name, line1, line2, city, region, postal_code, country, phone, is_default, created_at, updated_at"

    static func decode(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [AddressDTO] {
        var result: [AddressDTO] = []
        for try await (id, name, line1, line2, city, region, postal, country, phone, isDefault, created, updated) in rows.decode(
            (UUID, String, String, String?, String, String?, String, String, String?, Bool, Date, Date).self) {
            result.append(AddressDTO(id: id, name: name, line1: line1, line2: line2, city: city, region: region, postalCode: postal,
                                     country: country, phone: phone, isDefault: isDefault, createdAt: created, updatedAt: updated))
        }
        return result
    }

    func list(userID: UUID, logger: Logger) async throws -> [AddressDTO] {
        try await Self.decode(client.query("""
            SELECT \(unescaped: Self.columns) FROM addresses WHERE user_id = \(userID) ORDER BY is_default DESC, id
            """, logger: logger))
    }

    func create(userID: UUID, _ body: AddressFields, makeDefault: Bool, logger: Logger) async throws -> AddressDTO {
        try await client.withTransaction(logger: logger) { connection in
            // Serialize address-book changes of one user so "first address becomes default" is race free.
            try await connection.query("SELECT id FROM users WHERE id = \(userID) FOR UPDATE", logger: logger)
            let count = try await connection.query("SELECT count(*)::int FROM addresses WHERE user_id = \(userID)", logger: logger)
            var existing = 0
            for try await value in count.decode(Int.self) { existing = value }
            guard existing < 50 else { throw ProblemError.conflict("address_book_full", "An address book holds at most 50 addresses.") }
            let isDefault = makeDefault || existing == 0
            if isDefault {
                try await connection.query("UPDATE addresses SET is_default = false WHERE user_id = \(userID) AND is_default", logger: logger)
            }
            let rows = try await connection.query("""
                INSERT INTO addresses (id, user_id, name, line1, line2, city, region, postal_code, country, phone, is_default)
                VALUES (\(UUID.v7()), \(userID), \(body.name), \(body.line1), \(body.line2), \(body.city), \(body.region),
                        \(body.postalCode), \(body.country), \(body.phone), \(isDefault))
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            return try await Self.decode(rows)[0]
        }
    }

    func update(userID: UUID, id: UUID, _ body: AddressFields, makeDefault: Bool?, logger: Logger) async throws -> AddressDTO? {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT id FROM users WHERE id = \(userID) FOR UPDATE", logger: logger)
            if makeDefault == true {
                try await connection.query("""
                    UPDATE addresses SET is_default = false WHERE user_id = \(userID) AND is_default AND id <> \(id)
                    """, logger: logger)
            }
            let rows = try await connection.query("""
                UPDATE addresses SET name = \(body.name), line1 = \(body.line1), line2 = \(body.line2), city = \(body.city),
                       region = \(body.region), postal_code = \(body.postalCode), country = \(body.country), phone = \(body.phone),
                       is_default = COALESCE(\(makeDefault), is_default),
                       updated_at = now()
                WHERE id = \(id) AND user_id = \(userID)
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            return try await Self.decode(rows).first
        }
    }

    func find(userID: UUID, id: UUID, logger: Logger) async throws -> AddressDTO? {
        try await Self.decode(client.query("""
            SELECT \(unescaped: Self.columns) FROM addresses WHERE id = \(id) AND user_id = \(userID)
            """, logger: logger)).first
    }

    /// Deletes an address; when it was the default, the most recent remaining one becomes default.
    func delete(userID: UUID, id: UUID, logger: Logger) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT id FROM users WHERE id = \(userID) FOR UPDATE", logger: logger)
            let rows = try await connection.query("""
                DELETE FROM addresses WHERE id = \(id) AND user_id = \(userID) RETURNING is_default
                """, logger: logger)
            var deleted: Bool?
            for try await wasDefault in rows.decode(Bool.self) { deleted = wasDefault }
            guard let wasDefault = deleted else { return false }
            if wasDefault {
                try await connection.query("""
                    UPDATE addresses SET is_default = true
                    WHERE id = (SELECT id FROM addresses WHERE user_id = \(userID) ORDER BY id DESC LIMIT 1)
                    """, logger: logger)
            }
            return true
        }
    }
}
