import Foundation
import Logging
import MediaAPI
import PlexusKit
import PostgresNIO

/// One upload as stored.
struct MediaRecord: Sendable {
    var id: UUID
    var ownerID: UUID
    var status: MediaStatus
    var format: ImageFormat
    var size: Int
    var width: Int
    var height: Int
    var orientation: Int
    var filename: String?
    var originalKey: String
    var thumbnailKeys: [String?]
    var attachedAt: Date?
    var createdAt: Date

    /// Every stored object of it.
    var keys: [String] { [originalKey] + thumbnailKeys.compactMap { $0 } }
}

/// Where uploads are served from: the public URL of the gateway.
struct MediaURLs: Sendable {
    let base: String

    func file(_ id: UUID) -> String { MediaLinks.file(id, base: base) }
    func object(_ key: String) -> String { "\(base)/media/\(key)" }

    func thumbnails(_ record: MediaRecord) -> MediaThumbnails {
        let keys = record.thumbnailKeys
        return MediaThumbnails(small: keys[0].map(object), medium: keys[1].map(object), large: keys[2].map(object))
    }

    func dto(_ record: MediaRecord) -> MediaDTO {
        MediaDTO(id: record.id, url: file(record.id), contentType: record.format.contentType, size: record.size, width: record.width,
                 height: record.height, status: record.status, thumbnails: thumbnails(record), filename: record.filename,
                 ownerId: record.ownerID, createdAt: record.createdAt)
    }
}

/// A quota check's verdict.
struct QuotaLimits: Sendable {
    var files: Int
    var bytes: Int
}

/// Uploads, their quotas and the objects waiting to be removed from the store.
struct MediaRepository: Sendable {
    let client: DatabaseClient
    let outbox: Outbox
    let urls: MediaURLs

    static let columns = """
        id, owner_id, status, content_type, size, width, height, orientation, filename, original_key, small_key, medium_key, large_key,
        attached_at, created_at
        """

    static func decode(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [MediaRecord] {
        var records: [MediaRecord] = []
        for try await row in rows {
            let (id, owner, status, type, size, width, height, orientation, filename, original, small, medium, large, attached, created)
                = try row.decode((UUID, UUID, String, String, Int, Int, Int, Int, String?, String, String?, String?, String?, Date?, Date).self)
            records.append(MediaRecord(id: id, ownerID: owner, status: MediaStatus(rawValue: status) ?? .failed,
                                       format: ImageFormat(contentType: type) ?? .jpeg, size: size, width: width, height: height,
                                       orientation: orientation, filename: filename, originalKey: original, thumbnailKeys: [small, medium, large],
                                       attachedAt: attached, createdAt: created))
        }
        return records
    }

    func find(_ id: UUID, logger: Logger) async throws -> MediaRecord? {
        try await Self.decode(client.query("SELECT \(unescaped: Self.columns) FROM media WHERE id = \(id)", logger: logger)).first
    }

    /// Seconds until `owner` may upload `bytes` more, or nil when the quota allows it now.
    static func quotaWait(owner: UUID, bytes: Int, limits: QuotaLimits, on connection: PostgresConnection, logger: Logger) async throws -> Int? {
        let rows = try await connection.query("""
            SELECT count(*)::int, coalesce(sum(bytes), 0)::bigint, coalesce(ceil(extract(epoch FROM min(created_at) + interval '1 day' - now())), 0)::int
            FROM media_uploads WHERE owner_id = \(owner) AND created_at > now() - interval '1 day'
            """, logger: logger)
        for try await (files, used, wait) in rows.decode((Int, Int, Int).self) {
            if files + 1 > limits.files || used + bytes > limits.bytes { return max(1, wait) }
        }
        return nil
    }

    /// Seconds until `owner` may upload again (a cheap check before reading a body), or nil.
    func quotaWait(owner: UUID, bytes: Int, limits: QuotaLimits, logger: Logger) async throws -> Int? {
        try await client.withConnection { connection in
            try await Self.quotaWait(owner: owner, bytes: bytes, limits: limits, on: connection, logger: logger)
        }
    }

    /// Records an upload whose original is stored under `key` and queues its processing, within
    /// the owner's quota (checked again under a per-owner lock, so concurrent uploads cannot
    /// overrun it). Throws a 429 problem when the quota is used up.
    func create(id: UUID, owner: UUID, probe: ImageProbe, size: Int, filename: String?, key: String, limits: QuotaLimits,
                logger: Logger) async throws -> MediaRecord {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(owner.uuidString), 7))", logger: logger)
            if let wait = try await Self.quotaWait(owner: owner, bytes: size, limits: limits, on: connection, logger: logger) {
                throw MediaProblems.quota(retryAfter: wait)
            }
            try await connection.query("INSERT INTO media_uploads (owner_id, bytes) VALUES (\(owner), \(size))", logger: logger)
            let rows = try await connection.query("""
                INSERT INTO media (id, owner_id, content_type, size, width, height, orientation, filename, original_key)
                VALUES (\(id), \(owner), \(probe.format.contentType), \(size), \(probe.width), \(probe.height), \(probe.orientation), \(filename), \(key))
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            guard let record = try await Self.decode(rows).first else { throw ProblemError(.internalServerError, code: "internal_error") }
            try await JobQueue.enqueue(MediaJobs.process, MediaJobs.Target(mediaId: id), options: JobOptions(maxAttempts: 3), on: connection, logger: logger)
            return record
        }
    }

    /// Marks an upload used by a product or review (no longer an orphan) after checking its owner.
    func attach(_ id: UUID, owner: UUID, admin: Bool, logger: Logger) async throws -> MediaRecord? {
        guard let record = try await find(id, logger: logger) else { return nil }
        guard admin || record.ownerID == owner else {
            throw ProblemError.forbidden("Attach your own uploads only.", code: "not_your_media")
        }
        if record.attachedAt == nil {
            try await client.query("UPDATE media SET attached_at = now() WHERE id = \(id) AND attached_at IS NULL", logger: logger)
        }
        return record
    }

    /// Processing finished: the thumbnails (and an upright original, when the upload was turned)
    /// are stored. Publishes `media.ready`. Returns the keys no longer needed (the turned original's
    /// predecessor, or everything just stored when the upload was deleted meanwhile).
    func finish(_ record: MediaRecord, upright: (key: String, size: Int)?, thumbnails: [String], logger: Logger) async throws -> [String] {
        try await client.withTransaction(logger: logger) { [outbox, urls] connection in
            let rows = try await connection.query("""
                UPDATE media SET status = 'ready', small_key = \(thumbnails[0]), medium_key = \(thumbnails[1]), large_key = \(thumbnails[2]),
                       original_key = coalesce(\(upright?.key), original_key), size = coalesce(\(upright?.size), size),
                       width = CASE WHEN orientation >= 5 THEN height ELSE width END,
                       height = CASE WHEN orientation >= 5 THEN width ELSE height END,
                       orientation = 1, failure = NULL, updated_at = now()
                WHERE id = \(record.id) AND status = 'processing'
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            guard let ready = try await Self.decode(rows).first else {
                return thumbnails + (upright.map { [$0.key] } ?? [])
            }
            try await outbox.publish(MediaEvent.ready, MediaChanged(mediaId: ready.id, url: urls.file(ready.id), thumbnails: urls.thumbnails(ready)),
                                     on: connection, logger: logger)
            return upright == nil ? [] : [record.originalKey]
        }
    }

    /// Processing gave up: the upload stays served as it is, without thumbnails.
    func fail(_ id: UUID, reason: String, logger: Logger) async throws {
        try await client.query("""
            UPDATE media SET status = 'failed', failure = \(String(reason.prefix(500))), updated_at = now() WHERE id = \(id) AND status = 'processing'
            """, logger: logger)
    }

    /// Deletes an upload (its uploader's or, for an admin, anyone's): the row goes, its objects are
    /// queued for removal, and `media.deleted` tells those who used it. Returns the keys to remove.
    func delete(_ id: UUID, owner: UUID?, logger: Logger) async throws -> [String]? {
        try await client.withTransaction(logger: logger) { [outbox] connection in
            let rows = try await connection.query("""
                DELETE FROM media WHERE id = \(id) AND (\(owner)::uuid IS NULL OR owner_id = \(owner)) RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            guard let record = try await Self.decode(rows).first else { return nil }
            try await Self.discard(record.keys, on: connection, logger: logger)
            if record.attachedAt != nil {
                try await outbox.publish(MediaEvent.deleted, MediaChanged(mediaId: id), on: connection, logger: logger)
            }
            return record.keys
        }
    }

    static func discard(_ keys: [String], on connection: PostgresConnection, logger: Logger) async throws {
        guard !keys.isEmpty else { return }
        try await connection.query("INSERT INTO media_garbage (key) SELECT unnest(\(keys)::text[]) ON CONFLICT DO NOTHING", logger: logger)
    }

    /// Queues objects for removal by the clean-up job.
    func discard(_ keys: [String], logger: Logger) async throws {
        try await client.withConnection { connection in try await Self.discard(keys, on: connection, logger: logger) }
    }

    /// Up to `limit` uploads never attached and older than `age`.
    func orphans(olderThan age: Duration, limit: Int, logger: Logger) async throws -> [UUID] {
        var ids: [UUID] = []
        let seconds = Int(age.components.seconds)
        for try await id in try await client.query("""
            SELECT id FROM media WHERE attached_at IS NULL AND created_at < now() - make_interval(secs => \(seconds)) ORDER BY created_at LIMIT \(limit)
            """, logger: logger).decode(UUID.self) { ids.append(id) }
        return ids
    }

    /// Up to `limit` keys waiting to be removed from the store.
    func garbage(limit: Int, logger: Logger) async throws -> [String] {
        var keys: [String] = []
        for try await key in try await client.query("SELECT key FROM media_garbage ORDER BY created_at LIMIT \(limit)", logger: logger)
            .decode(String.self) { keys.append(key) }
        return keys
    }

    /// Forgets keys whose objects are gone.
    func removed(_ keys: [String], logger: Logger) async throws {
        guard !keys.isEmpty else { return }
        try await client.query("DELETE FROM media_garbage WHERE key = ANY(\(keys))", logger: logger)
    }

    /// Drops quota entries older than a day.
    func pruneUploads(logger: Logger) async throws {
        try await client.query("DELETE FROM media_uploads WHERE created_at < now() - interval '1 day'", logger: logger)
    }
}
