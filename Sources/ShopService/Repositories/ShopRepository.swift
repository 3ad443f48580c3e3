import Foundation
import Logging
import PlexusKit
import PostgresNIO
import ShopAPI

/// Shops.
struct ShopRepository: Sendable {
    let client: DatabaseClient
    let outbox: Outbox

    static let columns = "id, name, slug, description, owner_id, created_at, updated_at"
    static let constraints: [String: ProblemError] = [
        "shops_owner_key": .conflict("shop_exists", "You already have a shop; edit it with PATCH /api/v1/shops/me."),
        "shops_slug_key": .conflict("slug_taken", "Another shop already uses this name."),
    ]

    static func decode(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [ShopDTO] {
        var shops: [ShopDTO] = []
        for try await (id, name, slug, description, owner, created, updated) in rows.decode((UUID, String, String, String, UUID, Date, Date).self) {
            shops.append(ShopDTO(id: id, name: name, slug: slug, description: description, ownerId: owner, createdAt: created, updatedAt: updated))
        }
        return shops
    }

    /// Opens a shop and publishes `shop.created` in the same transaction. The unique owner index
    /// makes a second shop (even from two concurrent requests) a 409.
    func create(owner: UUID, _ request: CreateShopRequest, logger: Logger) async throws -> ShopDTO {
        let id = UUID.v7()
        let name = request.name.trimmingCharacters(in: .whitespacesAndNewlines)
        let base = Self.slug(for: name)
        return try await ConstraintViolation.mapping(Self.constraints) {
            try await client.withTransaction(logger: logger) { connection in
                var shop = try await insert(id: id, owner: owner, name: name, slug: base, description: request.description ?? "", connection, logger: logger)
                if shop == nil {
                    shop = try await insert(id: id, owner: owner, name: name, slug: Slug.disambiguated(base, id: id), description: request.description ?? "",
                                            connection, logger: logger)
                }
                guard let shop else { throw Self.constraints["shops_slug_key"]! }
                try await outbox.publish(ShopEvent.created, ShopChanged(shopId: shop.id, ownerId: owner, name: shop.name, slug: shop.slug),
                                         on: connection, logger: logger)
                return shop
            }
        }
    }

    /// The slug of a shop name; `me` names the caller's own shop in the API paths, so a shop called
    /// "Me" gets `me-shop` (on creation and on rename alike).
    static func slug(for name: String) -> String {
        let slug = Slug.make(from: name)
        return slug == "me" ? "me-shop" : slug
    }

    private func insert(id: UUID, owner: UUID, name: String, slug: String, description: String, _ connection: PostgresConnection,
                        logger: Logger) async throws -> ShopDTO? {
        try await Self.decode(connection.query("""
            INSERT INTO shops (id, owner_id, name, slug, description) VALUES (\(id), \(owner), \(name), \(slug), \(description))
            ON CONFLICT ON CONSTRAINT shops_slug_key DO NOTHING RETURNING \(unescaped: Self.columns)
            """, logger: logger)).first
    }

    func update(owner: UUID, _ request: UpdateShopRequest, logger: Logger) async throws -> ShopDTO? {
        let name = request.name?.trimmingCharacters(in: .whitespacesAndNewlines)
        return try await ConstraintViolation.mapping(Self.constraints) {
            try await client.withTransaction(logger: logger) { connection -> ShopDTO? in
                guard let shop = try await Self.decode(connection.query("""
                    UPDATE shops SET name = coalesce(\(name), name), description = coalesce(\(request.description), description),
                        slug = CASE WHEN \(name)::text IS NULL OR \(name)::text = name THEN slug ELSE \(name.map(Self.slug(for:)) ?? "") END, updated_at = now()
                    WHERE owner_id = \(owner) RETURNING \(unescaped: Self.columns)
                    """, logger: logger)).first else { return nil }
                try await outbox.publish(ShopEvent.updated, ShopChanged(shopId: shop.id, ownerId: owner, name: shop.name, slug: shop.slug),
                                         on: connection, logger: logger)
                return shop
            }
        }
    }

    func find(_ name: IDOrSlug, logger: Logger) async throws -> ShopDTO? {
        switch name {
        case .id(let id):
            try await Self.decode(client.query("SELECT \(unescaped: Self.columns) FROM shops WHERE id = \(id)", logger: logger)).first
        case .slug(let slug):
            try await Self.decode(client.query("SELECT \(unescaped: Self.columns) FROM shops WHERE slug = \(slug)", logger: logger)).first
        }
    }

    func find(owner: UUID, logger: Logger) async throws -> ShopDTO? {
        try await Self.decode(client.query("SELECT \(unescaped: Self.columns) FROM shops WHERE owner_id = \(owner)", logger: logger)).first
    }

    /// Shops by name (typo tolerant), newest first, paged by id.
    func search(_ text: String?, page: PageRequest, logger: Logger) async throws -> [ShopDTO] {
        let after = page.after ?? UUID(uuidString: "ffffffff-ffff-ffff-ffff-ffffffffffff")!
        if let text {
            // `%` and `_` in the text match themselves, not any character
            let pattern = LikePattern.containing(text)
            return try await Self.decode(client.query("""
                SELECT \(unescaped: Self.columns) FROM shops
                WHERE (name ILIKE \(pattern) OR \(text) <% name OR description ILIKE \(pattern)) AND id < \(after)
                ORDER BY id DESC LIMIT \(page.limit + 1)
                """, logger: logger))
        }
        return try await Self.decode(client.query("""
            SELECT \(unescaped: Self.columns) FROM shops WHERE id < \(after) ORDER BY id DESC LIMIT \(page.limit + 1)
            """, logger: logger))
    }
}
