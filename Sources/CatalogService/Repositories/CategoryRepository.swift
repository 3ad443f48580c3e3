import CatalogAPI
import Foundation
import Logging
import PlexusKit
import PostgresNIO

/// A category row.
struct CategoryRecord: Sendable {
    var id: UUID
    var parentID: UUID?
    var name: String
    var slug: String
    var position: Int
    var createdAt: Date
    var updatedAt: Date
}

/// Categories: one global tree.
struct CategoryRepository: Sendable {
    let client: DatabaseClient

    static let columns = "id, parent_id, name, slug, position, created_at, updated_at"
    static let constraints: [String: ProblemError] = [
        "categories_slug_key": CatalogError.categorySlugTaken.problem,
        "categories_parent_id_fkey": CatalogError.categoryNotEmpty.problem,
        "products_category_fkey": CatalogError.categoryNotEmpty.problem,
    ]

    static func decode(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [CategoryRecord] {
        var records: [CategoryRecord] = []
        for try await (id, parent, name, slug, position, created, updated) in rows.decode((UUID, UUID?, String, String, Int, Date, Date).self) {
            records.append(CategoryRecord(id: id, parentID: parent, name: name, slug: slug, position: position, createdAt: created, updatedAt: updated))
        }
        return records
    }

    func all(logger: Logger) async throws -> [CategoryRecord] {
        try await Self.decode(client.query("SELECT \(unescaped: Self.columns) FROM categories ORDER BY position, name, id", logger: logger))
    }

    /// The tree, children ordered by position then name.
    func tree(logger: Logger) async throws -> [CategoryDTO] {
        let records = try await all(logger: logger)
        let children = Dictionary(grouping: records, by: \.parentID)
        func build(_ parent: UUID?) -> [CategoryDTO] {
            (children[parent] ?? []).map { record in
                CategoryDTO(id: record.id, name: record.name, slug: record.slug, parentId: record.parentID, position: record.position,
                            children: build(record.id), createdAt: record.createdAt, updatedAt: record.updatedAt)
            }
        }
        return build(nil)
    }

    func create(_ request: CreateCategoryRequest, logger: Logger) async throws -> CategoryRecord {
        let name = request.name.trimmingCharacters(in: .whitespacesAndNewlines)
        let slug = request.slug ?? Slug.make(from: name)
        guard !slug.isEmpty else { throw ProblemError.validation([FieldError(field: "slug", code: "required", message: "Give a slug; the name has no usable letters.")]) }
        return try await ConstraintViolation.mapping(Self.constraints) {
            try await client.withTransaction(logger: logger) { connection in
                try await lockTree(connection, logger: logger)
                if let parent = request.parentId, try await !exists(parent, connection, logger: logger) { throw Self.unknownParent }
                let rows = try await connection.query("""
                    INSERT INTO categories (id, parent_id, name, slug, position) VALUES (\(UUID.v7()), \(request.parentId), \(name), \(slug), \(request.position ?? 0))
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
                let created = try await Self.decode(rows)[0]
                try await CatalogCache.notifyCategories(on: connection, logger: logger)
                return created
            }
        }
    }

    /// Renames, re-slugs, re-orders or moves a category. Tree edits are serialised by a
    /// transaction-scoped advisory lock, so two concurrent moves cannot build a cycle between them.
    func update(id: UUID, _ request: UpdateCategoryRequest, logger: Logger) async throws -> CategoryRecord? {
        try await ConstraintViolation.mapping(Self.constraints) {
            try await client.withTransaction(logger: logger) { connection -> CategoryRecord? in
                try await lockTree(connection, logger: logger)
                guard try await exists(id, connection, logger: logger) else { return nil }
                if case .some(.some(let parent)) = request.parentId {
                    guard try await exists(parent, connection, logger: logger) else { throw Self.unknownParent }
                    let cycle = try await connection.query("""
                        WITH RECURSIVE below(id) AS (
                            SELECT \(id)::uuid UNION SELECT c.id FROM categories c JOIN below b ON c.parent_id = b.id
                        ) SELECT count(*) FROM below WHERE id = \(parent)
                        """, logger: logger)
                    for try await count in cycle.decode(Int.self) where count > 0 { throw CatalogError.categoryCycle }
                }
                let moves = request.parentId != nil
                let rows = try await connection.query("""
                    UPDATE categories SET name = coalesce(\(request.name?.trimmingCharacters(in: .whitespacesAndNewlines)), name),
                        slug = coalesce(\(request.slug), slug), position = coalesce(\(request.position), position),
                        parent_id = CASE WHEN \(moves) THEN \(request.parentId ?? nil) ELSE parent_id END, updated_at = now()
                    WHERE id = \(id) RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
                let updated = try await Self.decode(rows).first
                try await CatalogCache.notifyCategories(on: connection, logger: logger)
                return updated
            }
        }
    }

    /// Deletes an empty category; the foreign keys refuse one with children or products.
    func delete(id: UUID, logger: Logger) async throws -> Bool {
        try await ConstraintViolation.mapping(Self.constraints) {
            try await client.withTransaction(logger: logger) { connection in
                try await lockTree(connection, logger: logger)
                let rows = try await connection.query("DELETE FROM categories WHERE id = \(id) RETURNING id", logger: logger)
                var deleted = false
                for try await _ in rows.decode(UUID.self) { deleted = true }
                if deleted { try await CatalogCache.notifyCategories(on: connection, logger: logger) }
                return deleted
            }
        }
    }

    static let unknownParent = ProblemError.validation([FieldError(field: "parentId", code: "unknown_category", message: "No such parent category.")])

    private func lockTree(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext('catalog.categories'))", logger: logger)
    }

    private func exists(_ id: UUID, _ connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query("SELECT 1 FROM categories WHERE id = \(id)", logger: logger)
        for try await _ in rows { return true }
        return false
    }
}
