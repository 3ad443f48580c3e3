import CatalogAPI
import Foundation
import Logging
import MediaAPI
import PlexusKit
import PostgresNIO

/// Products and their variants, images and stock.
struct ProductRepository: Sendable {
    let client: DatabaseClient
    /// Base of image addresses (the public URL).
    let imageBase: String
    /// The first part of every stored document's stamp (``ProductDocument/format(imageBase:)``).
    let documentFormat: String

    init(client: DatabaseClient, imageBase: String) {
        self.client = client
        self.imageBase = imageBase
        self.documentFormat = ProductDocument.format(imageBase: imageBase)
    }

    static let constraints: [String: ProblemError] = [
        "products_slug_key": CatalogError.productSlugTaken.problem,
        "variants_sku_key": CatalogError.skuTaken.problem,
        "products_category_fkey": CatalogError.unknownCategory.problem,
    ]

    // MARK: Reads

    /// A product's detail as served, by id or slug, whatever its status (the caller decides who may
    /// see it): its stored document while that is current (one statement), otherwise built from the
    /// rows and stored for the next reader.
    func document(_ name: IDOrSlug, logger: Logger) async throws -> CatalogCache.Entry? {
        var stored: CatalogCache.Entry?
        switch name {
        case .id(let id):
            for try await entry in try await client.execute(StoredDocumentByID(name: id, format: documentFormat), logger: logger) { stored = entry }
        case .slug(let slug):
            for try await entry in try await client.execute(StoredDocumentBySlug(name: slug, format: documentFormat), logger: logger) { stored = entry }
        }
        if let stored { return stored }
        guard let (product, stamp) = try await detail(name, logger: logger) else { return nil }
        let entry = CatalogCache.Entry(body: try CachedBody(json: product), id: product.id, status: product.status, shopID: product.shopId)
        do {
            // A document is derived data: the reader need not wait for it to reach the disk (one lost
            // in a crash is built again by the next read).
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SET LOCAL synchronous_commit = off", logger: logger)
                try await connection.query("""
                    INSERT INTO product_documents (product_id, stamp, etag, body)
                    VALUES (\(product.id), \(documentFormat + stamp), \(entry.body.etag), \(entry.body.bytes))
                    ON CONFLICT (product_id) DO UPDATE SET stamp = excluded.stamp, etag = excluded.etag, body = excluded.body
                    WHERE product_documents.stamp <> excluded.stamp
                    """, logger: logger)
            }
        } catch {
            // The reader has its answer; the next one tries to store it again.
            logger.warning("product document not stored", metadata: ["productId": "\(product.id)", "error": "\(String(reflecting: error))"])
        }
        return entry
    }

    /// A product and its variants from their rows, with the stamp of those rows. The stamp is read
    /// with the product row and before the variants: rows read later can only be newer than the
    /// stamp says, and a document whose stamp names older rows than the current ones is never served.
    private func detail(_ name: IDOrSlug, logger: Logger) async throws -> (ProductDTO, stamp: String)? {
        var found: (ProductRecord, String)?
        func read(_ row: PostgresRow) throws -> (ProductRecord, String) {
            (try ProductRecord.decode(row, imageBase: imageBase), try row.makeRandomAccess()["document_stamp"].decode(String.self))
        }
        switch name {
        case .id(let id):
            for try await row in try await client.execute(ProductByID(parameter: id), logger: logger) { found = try read(row) }
        case .slug(let slug):
            for try await row in try await client.execute(ProductBySlug(parameter: slug), logger: logger) { found = try read(row) }
        }
        guard let (product, stamp) = found else { return nil }
        var variants: [VariantRecord] = []
        for try await variant in try await client.execute(VariantsOfProduct(parameter: product.id), logger: logger) { variants.append(variant) }
        return (product.dto(variants: variants), stamp)
    }

    // MARK: Writes

    /// Creates a product with its variants in one transaction.
    func create(_ request: CreateProductRequest, shopID: UUID, currency: String, logger: Logger) async throws -> UUID {
        let id = UUID.v7()
        let name = request.name.trimmingCharacters(in: .whitespacesAndNewlines)
        let derived = Slug.make(from: name)
        let slug = request.slug ?? (derived.isEmpty ? Slug.disambiguated("product", id: id) : derived)
        return try await ConstraintViolation.mapping(Self.constraints) {
            try await client.withTransaction(logger: logger) { connection in
                var inserted = try await insertProduct(id: id, slug: slug, request, name: name, shopID: shopID, currency: currency, connection, logger: logger)
                // A slug derived from the name may be taken: fall back to one made unique by the id.
                if !inserted, request.slug == nil {
                    inserted = try await insertProduct(id: id, slug: Slug.disambiguated(slug, id: id), request, name: name, shopID: shopID,
                                                       currency: currency, connection, logger: logger)
                }
                guard inserted else { throw CatalogError.productSlugTaken }
                for variant in request.variants {
                    try await insertVariant(productID: id, variant, connection, logger: logger)
                }
                try await refreshDerived(productID: id, connection, logger: logger)
                return id
            }
        }
    }

    private func insertProduct(id: UUID, slug: String, _ request: CreateProductRequest, name: String, shopID: UUID, currency: String,
                               _ connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query("""
            INSERT INTO products (id, shop_id, category_id, slug, name, description, attributes, status, currency)
            VALUES (\(id), \(shopID), \(request.categoryId), \(slug), \(name), \(request.description ?? ""), \(encodeJSON(request.attributes ?? [:]))::jsonb,
                    \((request.status ?? .draft).rawValue), \(currency))
            ON CONFLICT ON CONSTRAINT products_slug_key DO NOTHING RETURNING id
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    private func insertVariant(productID: UUID, _ variant: CreateVariantRequest, _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO variants (id, product_id, sku, options, price, compare_at_price, on_hand)
            VALUES (\(UUID.v7()), \(productID), \(variant.sku), \(encodeJSON(variant.options ?? [:]))::jsonb, \(variant.price.amount),
                    \(variant.compareAtPrice?.amount), \(variant.stock ?? 0))
            """, logger: logger)
    }

    /// Locks the product for the writer, or `nil` when it does not exist or belongs to another shop
    /// (a seller learns nothing about other shops' products).
    func lockOwned(productID: UUID, writer: Writer, _ connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query("""
            SELECT 1 FROM products WHERE id = \(productID) AND (shop_id = \(writer.shopID) OR \(writer.isAdmin)) FOR UPDATE
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Whether the writer may change the product, read before other services are asked about it
    /// (an upload is not marked attached for a product the caller cannot change).
    func isOwned(productID: UUID, writer: Writer, logger: Logger) async throws -> Bool {
        let rows = try await client.query("""
            SELECT 1 FROM products WHERE id = \(productID) AND (shop_id = \(writer.shopID) OR \(writer.isAdmin))
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// The product of a variant, locked for the writer.
    func lockOwnedVariant(variantID: UUID, writer: Writer, _ connection: PostgresConnection, logger: Logger) async throws -> UUID? {
        let rows = try await connection.query("""
            SELECT p.id FROM products p JOIN variants v ON v.product_id = p.id
            WHERE v.id = \(variantID) AND (p.shop_id = \(writer.shopID) OR \(writer.isAdmin)) FOR UPDATE OF p
            """, logger: logger)
        for try await id in rows.decode(UUID.self) { return id }
        return nil
    }

    /// Runs `body` in a transaction on a product the writer owns; `nil` (→ 404) otherwise.
    func withOwnedProduct<T: Sendable>(_ productID: UUID, writer: Writer, logger: Logger,
                                       _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T? {
        try await ConstraintViolation.mapping(Self.constraints) {
            try await client.withTransaction(logger: logger) { connection -> T? in
                guard try await lockOwned(productID: productID, writer: writer, connection, logger: logger) else { return nil }
                let result = try await body(connection)
                try await refreshDerived(productID: productID, connection, logger: logger)
                return result
            }
        }
    }

    /// Runs `body` in a transaction on a variant whose product the writer owns; `nil` (→ 404) otherwise.
    func withOwnedVariant<T: Sendable>(_ variantID: UUID, writer: Writer, logger: Logger,
                                       _ body: @escaping @Sendable (UUID, PostgresConnection) async throws -> T) async throws -> (product: UUID, result: T)? {
        try await ConstraintViolation.mapping(Self.constraints) {
            try await client.withTransaction(logger: logger) { connection -> (product: UUID, result: T)? in
                guard let productID = try await lockOwnedVariant(variantID: variantID, writer: writer, connection, logger: logger) else { return nil }
                let result = try await body(productID, connection)
                try await refreshDerived(productID: productID, connection, logger: logger)
                return (productID, result)
            }
        }
    }

    func update(productID: UUID, _ request: UpdateProductRequest, writer: Writer, logger: Logger) async throws -> Bool {
        try await withOwnedProduct(productID, writer: writer, logger: logger) { connection in
            _ = try await connection.query("""
                UPDATE products SET name = coalesce(\(request.name?.trimmingCharacters(in: .whitespacesAndNewlines)), name),
                    description = coalesce(\(request.description), description), category_id = coalesce(\(request.categoryId), category_id),
                    status = coalesce(\(request.status?.rawValue), status), slug = coalesce(\(request.slug), slug),
                    attributes = coalesce(\(request.attributes.map(encodeJSON))::jsonb, attributes)
                WHERE id = \(productID)
                """, logger: logger)
        } != nil
    }

    func archive(productID: UUID, writer: Writer, logger: Logger) async throws -> Bool {
        try await withOwnedProduct(productID, writer: writer, logger: logger) { connection in
            _ = try await connection.query("UPDATE products SET status = 'archived' WHERE id = \(productID)", logger: logger)
        } != nil
    }

    func addVariant(productID: UUID, _ request: CreateVariantRequest, writer: Writer, logger: Logger) async throws -> Bool {
        try await withOwnedProduct(productID, writer: writer, logger: logger) { connection in
            try await insertVariant(productID: productID, request, connection, logger: logger)
        } != nil
    }

    func updateVariant(variantID: UUID, _ request: UpdateVariantRequest, writer: Writer, logger: Logger) async throws -> UUID? {
        try await withOwnedVariant(variantID, writer: writer, logger: logger) { _, connection in
            let clearCompareAt = request.compareAtPrice.map { $0 == nil } ?? false
            let rows = try await connection.query("""
                UPDATE variants SET sku = coalesce(\(request.sku), sku), options = coalesce(\(request.options.map(encodeJSON))::jsonb, options),
                    price = coalesce(\(request.price?.amount), price),
                    compare_at_price = CASE WHEN \(clearCompareAt) THEN NULL ELSE coalesce(\(request.compareAtPrice??.amount), compare_at_price) END,
                    updated_at = now()
                WHERE id = \(variantID) RETURNING price, compare_at_price
                """, logger: logger)
            for try await (price, compareAt) in rows.decode((Int, Int?).self) {
                if let compareAt, compareAt < price {
                    throw ProblemError.validation([FieldError(field: "compareAtPrice", code: "below_price", message: "The compare-at price is at least the price.")])
                }
            }
        }?.product
    }

    /// Deletes a variant that is not the product's last one and holds no reserved units (the product
    /// row lock serialises deletes of the same product).
    func deleteVariant(variantID: UUID, writer: Writer, logger: Logger) async throws -> UUID? {
        try await withOwnedVariant(variantID, writer: writer, logger: logger) { productID, connection in
            // The row lock makes a reservation arriving now wait for this decision: it cannot hold
            // units of a variant that is being deleted.
            let rows = try await connection.query("""
                SELECT (SELECT count(*) FROM variants WHERE product_id = \(productID)), reserved FROM variants WHERE id = \(variantID) FOR UPDATE
                """, logger: logger)
            for try await (count, reserved) in rows.decode((Int, Int).self) {
                if count <= 1 { throw CatalogError.lastVariant }
                if reserved > 0 { throw CatalogError.variantReserved }
            }
            try await connection.query("DELETE FROM variants WHERE id = \(variantID)", logger: logger)
        }?.product
    }

    /// Sets units on hand; refused (409) below what open orders hold.
    func setStock(variantID: UUID, onHand: Int, writer: Writer, logger: Logger) async throws -> UUID? {
        try await withOwnedVariant(variantID, writer: writer, logger: logger) { _, connection in
            let rows = try await connection.query("""
                UPDATE variants SET on_hand = \(onHand), updated_at = now() WHERE id = \(variantID) AND reserved <= \(onHand) RETURNING id
                """, logger: logger)
            for try await _ in rows { return }
            let reserved = try await connection.query("SELECT reserved FROM variants WHERE id = \(variantID)", logger: logger)
            for try await count in reserved.decode(Int.self) { throw CatalogError.belowReserved(reserved: count) }
        }?.product
    }

    /// Attaches an upload the media service vouched for, with its thumbnails when they exist.
    func attachImage(productID: UUID, _ request: AttachImageRequest, thumbnails: MediaThumbnails?, writer: Writer, logger: Logger) async throws -> Bool {
        let json = try Self.json(thumbnails)
        return try await withOwnedProduct(productID, writer: writer, logger: logger) { connection in
            _ = try await connection.query("""
                INSERT INTO product_images (product_id, media_id, position, thumbnails)
                VALUES (\(productID), \(request.mediaId), \(request.position ?? 0), \(json)::jsonb)
                ON CONFLICT (product_id, media_id) DO UPDATE SET position = EXCLUDED.position
                """, logger: logger)
        } != nil
    }

    /// Removes an image from a product (the upload itself stays: other products may show it).
    /// `nil` when the product is not the writer's, false when the image was not on it.
    func detachImage(productID: UUID, mediaID: UUID, writer: Writer, logger: Logger) async throws -> Bool? {
        try await withOwnedProduct(productID, writer: writer, logger: logger) { connection in
            let rows = try await connection.query("""
                DELETE FROM product_images WHERE product_id = \(productID) AND media_id = \(mediaID) RETURNING media_id
                """, logger: logger)
            for try await _ in rows { return true }
            return false
        }
    }

    /// `media.ready` and `media.deleted`: every product showing the upload gets its thumbnails, or
    /// loses the image; their cached copies are dropped.
    func mediaChanged(_ change: MediaChanged, deleted: Bool, on connection: PostgresConnection, logger: Logger) async throws {
        let rows: PostgresRowSequence
        if deleted {
            rows = try await connection.query("DELETE FROM product_images WHERE media_id = \(change.mediaId) RETURNING product_id", logger: logger)
        } else {
            let json = try Self.json(change.thumbnails)
            rows = try await connection.query("""
                UPDATE product_images SET thumbnails = \(json)::jsonb, url = NULL WHERE media_id = \(change.mediaId) RETURNING product_id
                """, logger: logger)
        }
        var products: Set<UUID> = []
        for try await product in rows.decode(UUID.self) { products.insert(product) }
        guard !products.isEmpty else { return }
        // locked in id order: two events touching the same products cannot deadlock
        try await connection.query("""
            UPDATE products SET updated_at = now()
            WHERE id IN (SELECT id FROM products WHERE id = ANY(\(Array(products))) ORDER BY id FOR UPDATE)
            """, logger: logger)
        for product in products { try await CatalogCache.notifyProduct(product, on: connection, logger: logger) }
    }

    /// Thumbnails as the `jsonb` product images keep.
    static func json(_ thumbnails: MediaThumbnails?) throws -> String? {
        try thumbnails.map { String(decoding: try JSON.encoder.encode($0), as: UTF8.self) }
    }

    /// Subscriptions to the media service's events.
    var mediaSubscriptions: [EventSubscription] {
        [EventSubscription.on(MediaEvent.ready) { event, connection, logger in try await mediaChanged(event.data, deleted: false, on: connection, logger: logger) },
         EventSubscription.on(MediaEvent.deleted) { event, connection, logger in try await mediaChanged(event.data, deleted: true, on: connection, logger: logger) }]
    }

    /// Recomputes the product's price range from its variants and tells every replica to drop
    /// its cached copy, in the caller's transaction.
    func refreshDerived(productID: UUID, _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            UPDATE products p SET min_price = coalesce(r.low, 0), max_price = coalesce(r.high, 0), updated_at = now()
            FROM (SELECT min(price) AS low, max(price) AS high FROM variants WHERE product_id = \(productID)) r
            WHERE p.id = \(productID)
            """, logger: logger)
        try await CatalogCache.notifyProduct(productID, on: connection, logger: logger)
    }
}
