import Foundation
import Logging
import NIOCore
import NIOPosix
import _NIOFileSystem

/// A ``BlobStore`` in a directory: one file per key, written to a temporary name and renamed, so a
/// reader never sees half a file. File I/O runs on NIO's thread pool, never on an event loop.
public struct LocalBlobStore: BlobStore {
    /// The directory.
    public let directory: URL
    let fileSystem: FileSystem

    /// A store in `directory` (created when missing).
    public init(directory: URL) throws {
        self.directory = directory
        self.fileSystem = FileSystem(threadPool: .singleton)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ key: String) throws -> FilePath {
        guard BlobKey.isValid(key) else { throw BlobStoreError.invalidKey(key) }
        return FilePath(directory.appendingPathComponent(key).path)
    }

    public func put(_ key: String, _ bytes: ByteBuffer, contentType: String, logger: Logger) async throws {
        let target = try path(key)
        let temporary = FilePath(directory.appendingPathComponent(".tmp-" + RandomToken.hex(bytes: 8)).path)
        do {
            try await fileSystem.withFileHandle(forWritingAt: temporary, options: .newFile(replaceExisting: false)) { handle in
                _ = try await handle.write(contentsOf: bytes.readableBytesView, toAbsoluteOffset: 0)
            }
            try await fileSystem.moveItem(at: temporary, to: target)
        } catch {
            _ = try? await fileSystem.removeItem(at: temporary)
            throw error
        }
    }

    public func get(_ key: String, range: ByteRangeRequest?, logger: Logger) async throws -> BlobRead? {
        let target = try path(key)
        do {
            return try await fileSystem.withFileHandle(forReadingAt: target) { handle in
                let size = Int(try await handle.info().size)
                var selected: ClosedRange<Int>?
                if let range {
                    guard let resolved = range.resolve(size: size) else { throw BlobStoreError.unsatisfiableRange(size: size) }
                    selected = resolved
                }
                let span = selected ?? 0...max(0, size - 1)
                let length = size == 0 ? 0 : span.count
                let bytes = length == 0 ? ByteBuffer()
                    : try await handle.readChunk(fromAbsoluteOffset: Int64(span.lowerBound), length: .bytes(Int64(length)))
                return BlobRead(bytes: bytes, size: size, range: selected)
            }
        } catch let error as FileSystemError where error.code == .notFound {
            return nil
        }
    }

    public func delete(_ key: String, logger: Logger) async throws {
        _ = try await fileSystem.removeItem(at: try path(key))
    }
}
