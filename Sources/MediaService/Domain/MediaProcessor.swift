import Foundation
import Logging
import MediaAPI
import NIOCore
import PlexusKit

/// The media service's background jobs.
enum MediaJobs {
    struct Target: Codable, Sendable {
        var mediaId: UUID
    }

    /// Makes an upload's thumbnails (and turns it upright).
    static let process = JobKind<Target>("media.process")
    /// Deletes orphaned uploads and removes discarded objects from the store.
    static let cleanUp = JobKind<NoPayload>("media.clean_up")
}

/// What the jobs do.
struct MediaProcessor: Sendable {
    let media: MediaRepository
    let store: any BlobStore
    let thumbnailer: Thumbnailer
    let orphanAge: Duration

    /// Processes one upload. On its last attempt a failure marks the upload `failed` (it stays
    /// served as uploaded) before the job goes to the dead jobs.
    func process(_ target: MediaJobs.Target, job: Job, logger: Logger) async throws {
        guard let record = try await media.find(target.mediaId, logger: logger), record.status == .processing else { return }
        do {
            try await render(record, logger: logger)
        } catch {
            if job.attempt >= job.maxAttempts {
                try await media.fail(record.id, reason: String(describing: error), logger: logger)
                logger.warning("media processing failed for good", metadata: ["media": .string(record.id.uuidString), "error": .string("\(error)")])
            }
            throw error
        }
    }

    /// A rendition's bytes with its metadata removed: `vips … [strip]` (libvips 8.14) still writes a
    /// small EXIF block (resolution, orientation) into WebP, and stored files carry none.
    static func withoutMetadata(_ file: URL) throws -> [UInt8] {
        let bytes = [UInt8](try Data(contentsOf: file))
        guard let probe = ImageProbe.read(bytes) else { return bytes }
        return MetadataStripper.strip(bytes, probe: probe) ?? bytes
    }

    func render(_ record: MediaRecord, logger: Logger) async throws {
        guard let original = try await store.get(record.originalKey, range: nil, logger: logger) else {
            throw Thumbnailer.Failure(description: "the stored original \(record.originalKey) is missing")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-media-\(RandomToken.hex(bytes: 8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("original.\(record.format.fileExtension)")
        try Data(original.bytes.readableBytesView).write(to: source)

        let rendered = try await thumbnailer.render(original: source, format: record.format, orientation: record.orientation, in: directory)
        var stored: [String] = []
        do {
            var upright: (key: String, size: Int)?
            if let file = rendered.upright {
                let bytes = try Self.withoutMetadata(file)
                let key = BlobKey.make(suffix: "." + record.format.fileExtension)
                try await store.put(key, ByteBuffer(bytes: bytes), contentType: record.format.contentType, logger: logger)
                stored.append(key)
                upright = (key, bytes.count)
            }
            var thumbnails: [String] = []
            for (file, size) in zip(rendered.thumbnails, Thumbnailer.sizes) {
                let key = BlobKey.make(suffix: "-\(size.0).webp")
                try await store.put(key, ByteBuffer(bytes: try Self.withoutMetadata(file)), contentType: "image/webp", logger: logger)
                stored.append(key)
                thumbnails.append(key)
            }
            let unused = try await media.finish(record, upright: upright, thumbnails: thumbnails, logger: logger)
            await remove(unused, logger: logger)
        } catch {
            try? await media.discard(stored, logger: logger)
            throw error
        }
    }

    /// Removes objects from the store now, leaving any it could not remove to the clean-up job.
    func remove(_ keys: [String], logger: Logger) async {
        guard !keys.isEmpty else { return }
        do {
            try await media.discard(keys, logger: logger)
            for key in keys { try await store.delete(key, logger: logger) }
            try await media.removed(keys, logger: logger)
        } catch {
            logger.warning("objects left for the clean-up job", metadata: ["error": .string("\(error)")])
        }
    }

    /// Deletes orphaned uploads, removes discarded objects and forgets day-old quota entries.
    func cleanUp(logger: Logger) async throws {
        var orphans = 0
        for id in try await media.orphans(olderThan: orphanAge, limit: 500, logger: logger) {
            if try await media.delete(id, owner: nil, logger: logger) != nil { orphans += 1 }
        }
        var removed = 0
        while true {
            let keys = try await media.garbage(limit: 200, logger: logger)
            guard !keys.isEmpty else { break }
            for key in keys { try await store.delete(key, logger: logger) }
            try await media.removed(keys, logger: logger)
            removed += keys.count
            if keys.count < 200 { break }
        }
        try await media.pruneUploads(logger: logger)
        if orphans + removed > 0 {
            logger.info("media cleaned up", metadata: ["orphans": .stringConvertible(orphans), "objects": .stringConvertible(removed)])
        }
    }
}
