import Foundation
import Logging
import NIOCore

/// Where uploaded files and their renditions are kept: the local filesystem (the default) or any
/// S3-compatible object store. Keys are chosen by the caller from ``BlobKey``'s alphabet, never by
/// a client; an object's bytes never change once written (a new version gets a new key).
public protocol BlobStore: Sendable {
    /// Stores `bytes` under `key`.
    func put(_ key: String, _ bytes: ByteBuffer, contentType: String, logger: Logger) async throws
    /// The object (or the part `range` asks for); nil when there is no such object. Throws
    /// ``BlobStoreError/unsatisfiableRange(size:)`` when the range lies outside it.
    func get(_ key: String, range: ByteRangeRequest?, logger: Logger) async throws -> BlobRead?
    /// Removes the object; removing an absent one is not an error.
    func delete(_ key: String, logger: Logger) async throws
}

/// What a read returned.
public struct BlobRead: Sendable {
    /// The bytes (all of them, or the requested range).
    public var bytes: ByteBuffer
    /// The whole object's size.
    public var size: Int
    /// The range returned when one was asked for.
    public var range: ClosedRange<Int>?

    /// Creates a read.
    public init(bytes: ByteBuffer, size: Int, range: ClosedRange<Int>?) {
        self.bytes = bytes
        self.size = size
        self.range = range
    }
}

/// A store's failures.
public enum BlobStoreError: Error, Equatable {
    /// The requested range starts beyond the object (HTTP 416).
    case unsatisfiableRange(size: Int)
    /// A key outside ``BlobKey``'s alphabet.
    case invalidKey(String)
    /// The store answered with an error.
    case failed(status: Int, detail: String)
}

/// A single `Range: bytes=…` request (RFC 9110 §14.1.2): `first-last`, `first-` or `-suffix`.
/// Several ranges in one header are not supported (the whole object is served instead).
public enum ByteRangeRequest: Sendable, Equatable {
    case from(Int, through: Int?)
    case suffix(Int)

    /// Parses a `Range` header value; nil when it is not one satisfiable-looking byte range.
    public init?(header: String) {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        if parts[0].isEmpty {
            guard let suffix = Int(parts[1]), suffix > 0 else { return nil }
            self = .suffix(suffix)
        } else {
            guard let first = Int(parts[0]), first >= 0 else { return nil }
            if parts[1].isEmpty {
                self = .from(first, through: nil)
            } else {
                guard let last = Int(parts[1]), last >= first else { return nil }
                self = .from(first, through: last)
            }
        }
    }

    /// The header value.
    public var header: String {
        switch self {
        case .from(let first, let last): "bytes=\(first)-\(last.map(String.init) ?? "")"
        case .suffix(let count): "bytes=-\(count)"
        }
    }

    /// The bytes it selects of an object of `size` bytes; nil when it selects none.
    public func resolve(size: Int) -> ClosedRange<Int>? {
        guard size > 0 else { return nil }
        switch self {
        case .from(let first, let last):
            guard first < size else { return nil }
            return first...min(last ?? (size - 1), size - 1)
        case .suffix(let count):
            return max(0, size - count)...(size - 1)
        }
    }
}

/// The keys Plexus stores under: letters, digits, `-`, `_` and `.` only, no leading dot, at most 200
/// characters, so a key is one URL path segment and one file name on every filesystem.
public enum BlobKey {
    /// Whether `key` is a valid key.
    public static func isValid(_ key: String) -> Bool {
        guard (1...200).contains(key.utf8.count), key.utf8.first != UInt8(ascii: ".") else { return false }
        for byte in key.utf8 {
            let allowed = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            if !allowed { return false }
        }
        return true
    }

    /// A new random key (128 bits) with `suffix` (such as `-small.webp`).
    public static func make(suffix: String) -> String {
        RandomToken.hex(bytes: 16) + suffix
    }
}
