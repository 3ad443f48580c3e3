import Foundation
import PlexusContract

/// The review service's endpoints: the one declaration its router, the gateway and the
/// documentation read.
public enum ReviewEndpoints {
    static let ownReview = ProblemCase(403, "own_review", "Authors cannot vote for or report their own review.")

    public static let list = Endpoint<NoBody, ProductReviewsPage>("listProductReviews", .GET, "/api/v1/products/{id}/reviews", access: .anyone,
        summary: "A product's published reviews with seller replies, and its rating summary (average, count, histogram).",
        query: [QueryParameter("sort", .string(values: ReviewSort.allCases.map(\.rawValue)), "Order: newest first (default), most helpful, or highest rating."),
                QueryParameter("stars", .string(), "Only these ratings: one or several of 1–5, comma separated (`4,5`)."),
                QueryParameter("withPhotos", .boolean, "Only reviews with photos."), .limit, .cursor])
    public static let create = Endpoint<CreateReviewRequest, ReviewDTO>("createReview", .POST, "/api/v1/products/{id}/reviews", access: .user,
        summary: "Review a product the caller received: 1–5 stars, a title, a text and up to five of their own uploads.", status: 201,
        problems: [ProblemCase(403, "not_purchased", "The caller has no order of this product."),
                   ProblemCase(403, "not_delivered", "The caller's order of this product has not been delivered yet."),
                   ProblemCase(403, "not_your_media", "A photo was uploaded by someone else."),
                   ProblemCase(409, "already_reviewed", "The caller has reviewed this product; edit that review instead."),
                   ProblemCase(422, "unknown_media", "No upload has one of the photo ids.")])
    public static let get = Endpoint<NoBody, ReviewDTO>("getReview", .GET, "/api/v1/reviews/{id}", access: .anyone,
        summary: "One review (a hidden one only for its author and admins).")
    public static let update = Endpoint<UpdateReviewRequest, ReviewDTO>("updateReview", .PATCH, "/api/v1/reviews/{id}", access: .user,
        summary: "Change one's own review (rating, title, text, photos).",
        problems: [ProblemCase(403, "not_your_media", "A photo was uploaded by someone else."), ProblemCase(422, "unknown_media", "No upload has one of the photo ids.")])
    public static let delete = Endpoint<NoBody, NoContent>("deleteReview", .DELETE, "/api/v1/reviews/{id}", access: .user,
        summary: "Delete one's own review.", status: 204)
    public static let reply = Endpoint<ReplyRequest, ReviewDTO>("replyToReview", .POST, "/api/v1/reviews/{id}/reply", access: .roles([.seller]),
        summary: "The product's seller answers a review (once; the reviewer is told by e-mail).", status: 201,
        problems: [ProblemCase(403, "not_your_product", "Only the seller of the reviewed product replies."),
                   ProblemCase(409, "reply_exists", "The review has a reply; change it instead.")])
    public static let editReply = Endpoint<ReplyRequest, ReviewDTO>("editReviewReply", .PATCH, "/api/v1/reviews/{id}/reply", access: .roles([.seller]),
        summary: "The seller changes their reply.",
        problems: [ProblemCase(403, "not_your_product", "Only the seller of the reviewed product replies.")])
    public static let markHelpful = Endpoint<NoBody, ReviewDTO>("markReviewHelpful", .POST, "/api/v1/reviews/{id}/helpful", access: .user,
        summary: "Mark a review helpful (once per user, not one's own).",
        problems: [ownReview, ProblemCase(409, "already_voted", "The caller has marked it helpful already.")])
    public static let unmarkHelpful = Endpoint<NoBody, ReviewDTO>("unmarkReviewHelpful", .DELETE, "/api/v1/reviews/{id}/helpful", access: .user,
        summary: "Take back one's helpful vote.")
    public static let report = Endpoint<ReportReviewRequest, NoContent>("reportReview", .POST, "/api/v1/reviews/{id}/report", access: .user,
        summary: "Report a review to the moderators (once per user).", status: 204,
        problems: [ownReview, ProblemCase(409, "already_reported", "The caller has reported it already.")])
    public static let moderate = Endpoint<ModerationRequest, ReviewDTO>("moderateReview", .POST, "/api/v1/reviews/{id}/moderation", access: .roles([.admin]),
        summary: "Hide a review with a reason (its author is told) or publish it again; its open reports are settled.")
    public static let queue = Endpoint<NoBody, Page<ReviewDTO>>("listReviewsForModeration", .GET, "/api/v1/admin/reviews", access: .roles([.admin]),
        summary: "The moderation queue: reviews with open reports (`reported=true`) or in a status, most reported first when `reported=true`, otherwise newest first.",
        query: [QueryParameter("reported", .boolean, "Only reviews with open reports."),
                QueryParameter("status", .string(values: ReviewStatus.allCases.map(\.rawValue)), "Only reviews in this status."), .limit, .cursor])

    /// Every endpoint the review service serves.
    public static let all: [EndpointDescription] = [list.description, create.description, get.description, update.description, delete.description,
                                                    reply.description, editReply.description, markHelpful.description, unmarkHelpful.description,
                                                    report.description, moderate.description, queue.description]
}

/// How `GET /api/v1/products/{id}/reviews` orders.
public enum ReviewSort: String, Sendable, CaseIterable {
    case newest, helpful, rating
}

/// Event types the review service publishes.
public enum ReviewEvent {
    /// A product's published ratings changed (a review written, edited, deleted, hidden or restored).
    public static let summaryChanged = EventType("review.summary_changed", publisher: .review, payload: ReviewSummaryChanged.self)
    /// An order was delivered: its customer is invited to review what they have not reviewed yet.
    public static let invited = EventType("review.invited", publisher: .review, payload: ReviewInvitation.self)
    /// A seller replied to a review: its author is told.
    public static let replied = EventType("review.replied", publisher: .review, payload: ReviewNotice.self)
    /// A moderator hid a review: its author is told why.
    public static let hidden = EventType("review.hidden", publisher: .review, payload: ReviewNotice.self)

    /// Every type the review service publishes.
    public static let all: [EventDescriptor] = [summaryChanged.descriptor, invited.descriptor, replied.descriptor, hidden.descriptor]
}

/// `review.summary_changed`: the product's summary after the change. `version` grows with every
/// change of the product's summary, so a consumer keeps the newest however deliveries are ordered.
public struct ReviewSummaryChanged: Codable, Sendable, Equatable {
    public var productId: UUID
    public var average: Double
    public var count: Int
    /// The sum of the published ratings (`average` unrounded is `sum / count`).
    public var sum: Int
    /// `"1"` … `"5"` → number of reviews.
    public var histogram: [String: Int]
    public var version: Int

    public init(productId: UUID, summary: ReviewSummary, sum: Int, version: Int) {
        self.productId = productId
        self.average = summary.average
        self.count = summary.count
        self.sum = sum
        self.histogram = summary.histogram
        self.version = version
    }

    /// The star counts, one-star first.
    public var stars: [Int] { (1...5).map { histogram[String($0)] ?? 0 } }
}

/// `review.invited`.
public struct ReviewInvitation: Codable, Sendable, Equatable {
    public var customerId: UUID
    public var orderNumber: String
    public var products: [InvitedProduct]

    public init(customerId: UUID, orderNumber: String, products: [InvitedProduct]) {
        self.customerId = customerId
        self.orderNumber = orderNumber
        self.products = products
    }
}

/// A product an invitation asks about, with the address where its reviews are written.
public struct InvitedProduct: Codable, Sendable, Equatable {
    public var productId: UUID
    public var productName: String
    public var reviewUrl: String

    public init(productId: UUID, productName: String, reviewUrl: String) {
        self.productId = productId
        self.productName = productName
        self.reviewUrl = reviewUrl
    }
}

/// `review.replied` and `review.hidden`: what the review's author is told.
public struct ReviewNotice: Codable, Sendable, Equatable {
    public var reviewId: UUID
    public var authorId: UUID
    public var productName: String
    /// The seller's reply, or the moderator's reason.
    public var text: String
    public var reviewUrl: String

    public init(reviewId: UUID, authorId: UUID, productName: String, text: String, reviewUrl: String) {
        self.reviewId = reviewId
        self.authorId = authorId
        self.productName = productName
        self.text = text
        self.reviewUrl = reviewUrl
    }
}
