import Foundation
import PlexusContract

/// Where an upload is in its processing.
public enum MediaStatus: String, Codable, Sendable, CaseIterable, SchemaEnumeration {
    /// Stored and served; thumbnails are being made.
    case processing
    /// Thumbnails are ready.
    case ready
    /// The image could not be processed (it is still served as uploaded, without thumbnails).
    case failed
}

/// An uploaded image.
public struct MediaDTO: Codable, Sendable, Equatable {
    public var id: UUID
    /// The image as uploaded (without its metadata, upright once processed).
    public var url: String
    /// `image/jpeg`, `image/png`, `image/webp` or `image/gif`, decided from the bytes.
    public var contentType: String
    /// Bytes stored.
    public var size: Int
    public var width: Int
    public var height: Int
    public var status: MediaStatus
    /// Filled in once `status` is `ready`.
    public var thumbnails: MediaThumbnails
    /// The client's file name, cleaned (metadata only: never used as a path).
    public var filename: String?
    /// Who uploaded it.
    public var ownerId: UUID
    public var createdAt: Date

    public init(id: UUID, url: String, contentType: String, size: Int, width: Int, height: Int, status: MediaStatus,
                thumbnails: MediaThumbnails, filename: String?, ownerId: UUID, createdAt: Date) {
        self.id = id
        self.url = url
        self.contentType = contentType
        self.size = size
        self.width = width
        self.height = height
        self.status = status
        self.thumbnails = thumbnails
        self.filename = filename
        self.ownerId = ownerId
        self.createdAt = createdAt
    }
}

/// A `multipart/form-data` upload: the image in the part named `file`.
public struct MediaUpload: Decodable, Sendable, SchemaDescribing {
    public static func describeSchema(in collector: SchemaCollector) -> Schema {
        .object([("file", .string(format: "binary"), true)])
    }
}

/// What another service asks before it attaches an upload to something (a product, a review):
/// the upload must exist and belong to `ownerId` (any upload will do for an admin).
public struct AttachMediaRequest: Codable, Sendable, Equatable, RequestBody {
    public var ownerId: UUID
    public var admin: Bool

    public static let allowedKeys: Set<String> = ["ownerId", "admin"]

    public init(ownerId: UUID, admin: Bool) {
        self.ownerId = ownerId
        self.admin = admin
    }
}
