import Foundation
import Logging
import PlexusContract

/// The media service's endpoints: the one declaration its router, typed client, the gateway and
/// the documentation read.
public enum MediaEndpoints {
    public static let upload = Endpoint<MediaUpload, MediaDTO>("uploadMedia", .POST, "/api/v1/media", access: .user,
        summary: "Upload an image (multipart/form-data, the part `file`): JPEG, PNG, WebP or GIF, decided by its bytes; metadata (EXIF, GPS) is removed; thumbnails follow within seconds.",
        status: 201, problems: [
            ProblemCase(413, "payload_too_large", "The file exceeds the size limit (10 MB by default)."),
            ProblemCase(415, "unsupported_image", "The file is not a JPEG, PNG, WebP or GIF image (SVG and everything else are refused)."),
            ProblemCase(422, "image_too_large", "The image has more pixels than allowed (a decompression bomb)."),
            ProblemCase(429, "upload_quota", "Today's upload quota (files or bytes) is used up; see `Retry-After`."),
            ProblemCase(503, "uploads_busy", "The service is reading as many uploads as it takes at once; see `Retry-After`."),
        ], bodyType: .multipart)
    public static let get = Endpoint<NoBody, MediaDTO>("getMedia", .GET, "/api/v1/media/{id}", access: .anyone,
        summary: "An upload's metadata, with thumbnail URLs once ready.")
    public static let file = Endpoint<NoBody, TextBody>("getMediaFile", .GET, "/api/v1/media/{id}/file", access: .anyone,
        summary: "The image as uploaded (metadata removed, upright once processed), with `ETag` and `Range`.", outputType: .image,
        headers: [QueryParameter("Range", .string(), "`bytes=first-last`, `bytes=first-` or `bytes=-suffix` (206)."),
                  QueryParameter("If-None-Match", .string(), "The `ETag` of a copy already held (304).")], servesRanges: true)
    public static let serve = Endpoint<NoBody, TextBody>("getMediaObject", .GET, "/media/{key}", access: .anyone,
        summary: "A stored file by key (uploads and thumbnails): immutable, with `ETag`, `Range` and `304`.", outputType: .image,
        pathParameters: ["key": .string()],
        headers: [QueryParameter("Range", .string(), "`bytes=first-last`, `bytes=first-` or `bytes=-suffix` (206)."),
                  QueryParameter("If-None-Match", .string(), "The `ETag` of a copy already held (304).")], servesRanges: true)
    public static let delete = Endpoint<NoBody, NoContent>("deleteMedia", .DELETE, "/api/v1/media/{id}", access: .user,
        summary: "Delete an upload and every rendition of it (its uploader or an admin); products and reviews drop it.", status: 204)

    public static let attach = Endpoint<AttachMediaRequest, MediaDTO>("attachMedia", .POST, "/internal/media/{id}/attachments",
        access: .services([.catalog, .review]), summary: "Check that an upload exists and belongs to the owner, and keep it (it is no longer an orphan).",
        problems: [ProblemCase(403, "not_your_media", "Someone else uploaded it.")])

    /// Every endpoint the media service serves.
    public static let all: [EndpointDescription] = [upload.description, get.description, file.description, serve.description,
                                                    delete.description, attach.description]
}

/// Event types the media service publishes.
public enum MediaEvent {
    /// Thumbnails of an upload are ready (or its upright original replaced the upload).
    public static let ready = EventType("media.ready", publisher: .media, payload: MediaChanged.self)
    /// An upload was deleted with its renditions.
    public static let deleted = EventType("media.deleted", publisher: .media, payload: MediaChanged.self)

    public static let all: [EventDescriptor] = [ready.descriptor, deleted.descriptor]
}

/// `media.ready` and `media.deleted`.
public struct MediaChanged: Codable, Sendable, Equatable {
    public var mediaId: UUID
    /// Where the image is (absent when deleted).
    public var url: String?
    public var thumbnails: MediaThumbnails?

    public init(mediaId: UUID, url: String? = nil, thumbnails: MediaThumbnails? = nil) {
        self.mediaId = mediaId
        self.url = url
        self.thumbnails = thumbnails
    }
}

/// The media service's typed client.
public struct MediaClient: Sendable {
    let transport: any EndpointTransport

    public init(_ transport: any EndpointTransport) {
        self.transport = transport
    }

    /// The upload, checked to belong to `request.ownerId` (403 `not_your_media` otherwise); nil when it does not exist.
    public func attach(_ mediaID: UUID, _ request: AttachMediaRequest, logger: Logger) async throws -> MediaDTO? {
        try await transport.callIfFound(MediaEndpoints.attach, path: ["id": mediaID.uuidString.lowercased()], body: request, logger: logger)
    }
}

/// What the media service's demo seeding leaves for later services.
public enum MediaDemo {
    /// The generated demo pictures (attached, processed once the service runs).
    public static let images = DemoKey<[UUID]>("media.images")
}

/// The public address of an upload's file (served by the media service through the gateway at
/// `base`): what products and reviews show for an attached image.
public enum MediaLinks {
    public static func file(_ mediaID: UUID, base: String) -> String { "\(base)/api/v1/media/\(mediaID.uuidString.lowercased())/file" }
}
