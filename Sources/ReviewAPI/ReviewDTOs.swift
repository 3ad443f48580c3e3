import Foundation
import PlexusContract

/// Whether the public sees a review.
public enum ReviewStatus: String, Codable, Sendable, CaseIterable, SchemaEnumeration {
    /// In product lists and summaries.
    case published
    /// Hidden by a moderator: only its author and admins see it, and it counts in no summary.
    case hidden
}

/// A photo on a review (an upload of the review's author).
public struct ReviewPhoto: Codable, Sendable, Equatable {
    public var mediaId: UUID
    /// The image as uploaded.
    public var url: String
    /// WebP thumbnails, once the media service has made them.
    public var thumbnails: MediaThumbnails?

    public init(mediaId: UUID, url: String, thumbnails: MediaThumbnails?) {
        self.mediaId = mediaId
        self.url = url
        self.thumbnails = thumbnails
    }
}

/// The product seller's answer to a review.
public struct ReviewReply: Codable, Sendable, Equatable {
    public var body: String
    /// When it was written.
    public var at: Date
    /// When it was last changed, if it was.
    public var editedAt: Date?

    public init(body: String, at: Date, editedAt: Date?) {
        self.body = body
        self.at = at
        self.editedAt = editedAt
    }
}

/// Why and when a moderator hid a review (shown to its author and admins only).
public struct ReviewModeration: Codable, Sendable, Equatable {
    public var reason: String
    public var at: Date

    public init(reason: String, at: Date) {
        self.reason = reason
        self.at = at
    }
}

/// A review of a product by a customer who received it.
public struct ReviewDTO: Codable, Sendable, Equatable {
    public var id: UUID
    public var productId: UUID
    public var authorId: UUID
    /// The author's first name and initial (`Ada L.`).
    public var authorName: String
    /// 1 to 5 stars.
    public var rating: Int
    public var title: String
    public var body: String
    /// The photos' media ids, in order.
    public var mediaIds: [UUID]
    public var photos: [ReviewPhoto]
    public var status: ReviewStatus
    public var reply: ReviewReply?
    /// Signed-in users who found it helpful.
    public var helpfulCount: Int
    /// Open reports (admins only).
    public var reportCount: Int?
    /// Why it is hidden (its author and admins only).
    public var moderation: ReviewModeration?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: UUID, productId: UUID, authorId: UUID, authorName: String, rating: Int, title: String, body: String, photos: [ReviewPhoto],
                status: ReviewStatus, reply: ReviewReply?, helpfulCount: Int, reportCount: Int?, moderation: ReviewModeration?,
                createdAt: Date, updatedAt: Date) {
        self.id = id
        self.productId = productId
        self.authorId = authorId
        self.authorName = authorName
        self.rating = rating
        self.title = title
        self.body = body
        self.mediaIds = photos.map(\.mediaId)
        self.photos = photos
        self.status = status
        self.reply = reply
        self.helpfulCount = helpfulCount
        self.reportCount = reportCount
        self.moderation = moderation
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A product's published ratings: average, count and how many of each star.
public struct ReviewSummary: Codable, Sendable, Equatable {
    /// Mean stars, rounded to two decimals (0 without reviews).
    public var average: Double
    public var count: Int
    /// `"1"` … `"5"` → number of reviews with that many stars.
    public var histogram: [String: Int]

    public init(average: Double, count: Int, histogram: [String: Int]) {
        self.average = average
        self.count = count
        self.histogram = histogram
    }

    /// The mean of `count` ratings adding up to `sum`, rounded to two decimals (0 for none).
    public static func average(sum: Int, count: Int) -> Double {
        count == 0 ? 0 : (Double(sum) / Double(count) * 100).rounded() / 100
    }

    /// The sum of the ratings counted by `stars` (one-star counts first).
    public static func sum(ofStars stars: [Int]) -> Int {
        stars.enumerated().reduce(0) { $0 + ($1.offset + 1) * $1.element }
    }

    /// The summary of star counts (`stars[0]` one-star reviews … `stars[4]` five-star).
    public init(stars: [Int]) {
        let counts = (0..<5).map { $0 < stars.count ? stars[$0] : 0 }
        let count = counts.reduce(0, +)
        let sum = Self.sum(ofStars: counts)
        self.init(average: Self.average(sum: sum, count: count), count: count, histogram: Dictionary(uniqueKeysWithValues: counts.enumerated().map { (String($0.offset + 1), $0.element) }))
    }
}

/// `GET /api/v1/products/{id}/reviews`: a page of published reviews and the product's summary.
public struct ProductReviewsPage: Codable, Sendable, Equatable {
    public var items: [ReviewDTO]
    public var nextCursor: String?
    public var summary: ReviewSummary

    public init(items: [ReviewDTO], nextCursor: String?, summary: ReviewSummary) {
        self.items = items
        self.nextCursor = nextCursor
        self.summary = summary
    }

    enum CodingKeys: String, CodingKey { case items, nextCursor, summary }

    /// Writes `nextCursor` as an explicit `null` on the last page, like every list.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor)
        try container.encode(summary, forKey: .summary)
    }
}

/// `POST /api/v1/products/{id}/reviews`.
public struct CreateReviewRequest: Codable, Sendable, Equatable {
    public var rating: Int
    public var title: String
    public var body: String
    /// Up to five of the author's own uploads.
    public var mediaIds: [UUID]?

    public init(rating: Int, title: String, body: String, mediaIds: [UUID]? = nil) {
        self.rating = rating
        self.title = title
        self.body = body
        self.mediaIds = mediaIds
    }
}

/// `PATCH /api/v1/reviews/{id}`: the fields given change (`mediaIds` replaces the photos).
public struct UpdateReviewRequest: Codable, Sendable, Equatable {
    public var rating: Int?
    public var title: String?
    public var body: String?
    public var mediaIds: [UUID]?

    public init(rating: Int? = nil, title: String? = nil, body: String? = nil, mediaIds: [UUID]? = nil) {
        self.rating = rating
        self.title = title
        self.body = body
        self.mediaIds = mediaIds
    }
}

/// A seller's reply, written or changed.
public struct ReplyRequest: Codable, Sendable, Equatable {
    public var body: String

    public init(body: String) {
        self.body = body
    }
}

/// `POST /api/v1/reviews/{id}/report`.
public struct ReportReviewRequest: Codable, Sendable, Equatable {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }
}

/// `POST /api/v1/reviews/{id}/moderation`: hide (a reason is required) or publish again.
public struct ModerationRequest: Codable, Sendable, Equatable {
    public var status: ReviewStatus
    public var reason: String?

    public init(status: ReviewStatus, reason: String? = nil) {
        self.status = status
        self.reason = reason
    }
}
