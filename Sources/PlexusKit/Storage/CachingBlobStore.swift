import Foundation
import Logging
import NIOCore

/// A ``BlobStore`` that keeps small objects in memory: stored objects never change (a new version
/// gets a new key), so a cached copy is never stale, only deleted, and the delete passes through
/// here. Objects deleted through another replica stay served from this one's memory until `ttl`.
/// Reads of small objects then cost no file or network round trip; ranges are cut from the copy.
public struct CachingBlobStore: BlobStore {
    let base: any BlobStore
    let cache: TTLCache<String, ByteBuffer>
    /// Objects up to this size are kept.
    public let maxObjectBytes: Int

    /// Caches up to `entries` objects of at most `maxObjectBytes` each for `ttl`.
    public init(_ base: any BlobStore, entries: Int, maxObjectBytes: Int = 128 << 10, ttl: Duration = .seconds(600)) {
        self.base = base
        self.cache = TTLCache(capacity: max(1, entries), ttl: ttl)
        self.maxObjectBytes = maxObjectBytes
    }

    public func put(_ key: String, _ bytes: ByteBuffer, contentType: String, logger: Logger) async throws {
        try await base.put(key, bytes, contentType: contentType, logger: logger)
    }

    public func get(_ key: String, range: ByteRangeRequest?, logger: Logger) async throws -> BlobRead? {
        if let read = try cached(key, range: range) { return read }
        if range != nil { return try await base.get(key, range: range, logger: logger) }
        guard let read = try await base.get(key, range: nil, logger: logger) else { return nil }
        if read.size <= maxObjectBytes { cache.set(key, read.bytes) }
        return read
    }

    /// The object (or the range of it) when it is in memory, without waiting; nil when it is not.
    /// Throws `unsatisfiableRange` for a range outside a cached object.
    public func cached(_ key: String, range: ByteRangeRequest?) throws -> BlobRead? {
        guard let whole = cache.get(key) else { return nil }
        guard let range else { return BlobRead(bytes: whole, size: whole.readableBytes, range: nil) }
        guard let span = range.resolve(size: whole.readableBytes) else { throw BlobStoreError.unsatisfiableRange(size: whole.readableBytes) }
        return BlobRead(bytes: whole.getSlice(at: whole.readerIndex + span.lowerBound, length: span.count)!, size: whole.readableBytes, range: span)
    }

    public func delete(_ key: String, logger: Logger) async throws {
        cache.remove(key)
        try await base.delete(key, logger: logger)
    }
}
