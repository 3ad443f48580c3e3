import Foundation
import MediaAPI
import PlexusKit
import PostgresNIO
import ReviewAPI

/// A stored review with its photos.
struct ReviewRecord: Sendable {
    var id: UUID
    var productID: UUID
    var shopID: UUID
    var productName: String
    var authorID: UUID
    var authorName: String
    var rating: Int
    var title: String
    var body: String
    var status: ReviewStatus
    var moderation: ReviewModeration?
    var helpfulCount: Int
    var openReports: Int
    var reply: ReviewReply?
    var photos: [(mediaID: UUID, thumbnails: MediaThumbnails?)]
    var createdAt: Date
    var updatedAt: Date

    static let columns = """
        r.id, r.product_id, r.shop_id, r.product_name, r.author_id, r.author_name, r.rating::int, r.title, r.body, r.status, r.moderation_reason,
        r.moderated_at, r.helpful_count, r.open_reports, r.reply_body, r.reply_at, r.reply_edited_at, r.created_at, r.updated_at,
        (SELECT coalesce(jsonb_agg(jsonb_build_object('mediaId', p.media_id, 'thumbnails', p.thumbnails) ORDER BY p.position), '[]') FROM review_photos p WHERE p.review_id = r.id)::text
        """

    static func decode(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [ReviewRecord] {
        var records: [ReviewRecord] = []
        for try await row in rows {
            let (id, product, shop, productName, author, authorName, rating, title, body, status, reason, moderatedAt, helpful, reports,
                 replyBody, replyAt, replyEdited, created, updated, photos)
                = try row.decode((UUID, UUID, UUID, String, UUID, String, Int, String, String, String, String?, Date?, Int, Int,
                                  String?, Date?, Date?, Date, Date, String).self)
            records.append(ReviewRecord(
                id: id, productID: product, shopID: shop, productName: productName, authorID: author, authorName: authorName, rating: rating,
                title: title, body: body, status: ReviewStatus(rawValue: status) ?? .hidden,
                moderation: reason.flatMap { reason in moderatedAt.map { ReviewModeration(reason: reason, at: $0) } }, helpfulCount: helpful, openReports: reports,
                reply: replyBody.flatMap { body in replyAt.map { ReviewReply(body: body, at: $0, editedAt: replyEdited) } },
                photos: Self.photos(photos), createdAt: created, updatedAt: updated))
        }
        return records
    }

    /// A photo as the column query builds it.
    struct StoredPhoto: Decodable {
        var mediaId: UUID
        var thumbnails: MediaThumbnails?
    }

    static func photos(_ json: String) -> [(mediaID: UUID, thumbnails: MediaThumbnails?)] {
        guard json != "[]" else { return [] } // most reviews: no decoder needed
        return ((try? JSON.decoder.decode([StoredPhoto].self, from: Data(json.utf8))) ?? []).map { ($0.mediaId, $0.thumbnails) }
    }

    /// Who is looking: the public, the author or an admin see different fields.
    enum Viewer {
        case visitor, author, admin
    }

    func dto(base: String, viewer: Viewer) -> ReviewDTO {
        ReviewDTO(id: id, productId: productID, authorId: authorID, authorName: authorName, rating: rating, title: title, body: body,
                  photos: photos.map { ReviewPhoto(mediaId: $0.mediaID, url: MediaLinks.file($0.mediaID, base: base), thumbnails: $0.thumbnails) },
                  status: status, reply: reply, helpfulCount: helpfulCount, reportCount: viewer == .admin ? openReports : nil,
                  moderation: viewer == .visitor ? nil : moderation, createdAt: createdAt, updatedAt: updatedAt)
    }

    /// Who `principal` is to this review.
    func viewer(_ principal: Principal?) -> Viewer {
        guard let principal, principal.kind == .user else { return .visitor }
        if principal.roles.contains(.admin) { return .admin }
        return principal.userID == authorID ? .author : .visitor
    }
}
