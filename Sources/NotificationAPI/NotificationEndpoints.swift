import Foundation
import PlexusContract

/// One notification as its recipient sees it (without the body, which may hold single-use links).
public struct NotificationDTO: Codable, Sendable, Equatable {
    /// Id.
    public var id: UUID
    /// `email`.
    public var channel: String
    /// The template (`verification`, `password_reset`, `password_changed`).
    public var template: String
    /// The address.
    public var to: String
    /// The subject.
    public var subject: String
    /// `queued`, `sent` or `failed`.
    public var status: String
    /// Delivery attempts so far.
    public var attempts: Int
    /// When it was queued.
    public var createdAt: Date
    /// When it was sent.
    public var sentAt: Date?

    /// Creates the value.
    public init(id: UUID, channel: String = "email", template: String, to: String, subject: String, status: String, attempts: Int,
                createdAt: Date, sentAt: Date?) {
        self.id = id
        self.channel = channel
        self.template = template
        self.to = to
        self.subject = subject
        self.status = status
        self.attempts = attempts
        self.createdAt = createdAt
        self.sentAt = sentAt
    }
}

/// An e-mail in the development mailbox.
public struct MailboxEntryDTO: Codable, Sendable, Equatable {
    /// Id.
    public var id: UUID
    /// The address.
    public var to: String
    /// The subject.
    public var subject: String
    /// The plain-text body (links are absolute URLs on the gateway).
    public var text: String
    /// The HTML body.
    public var html: String
    /// When it was queued.
    public var createdAt: Date

    /// Creates the value.
    public init(id: UUID, to: String, subject: String, text: String, html: String, createdAt: Date) {
        self.id = id
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.createdAt = createdAt
    }
}

/// The notification service's endpoints.
public enum NotificationEndpoints {
    static let to = QueryParameter("to", .string(), "Only e-mails to this address.")

    public static let mine = Endpoint<NoBody, Page<NotificationDTO>>("listNotifications", .GET, "/api/v1/notifications", access: .user,
        summary: "The caller's own notifications, newest first.", query: [.limit, .cursor])
    public static let mailbox = Endpoint<NoBody, TextBody>("devMailbox", .GET, "/dev/mailbox", access: .anyone,
        summary: "Development only: the e-mails sent, as a page.", query: [to], outputType: .html, developmentOnly: true)
    public static let latestMail = Endpoint<NoBody, MailboxEntryDTO>("devMailboxLatest", .GET, "/dev/mailbox/latest", access: .anyone,
        summary: "Development only: the newest e-mail (to an address).", query: [to],
        problems: [ProblemCase(404, "mailbox_empty", "No e-mail (to that address) yet.")], developmentOnly: true)

    /// Every endpoint notification serves (the mailbox only in development mode).
    public static let all: [EndpointDescription] = [mine.description, mailbox.description, latestMail.description]
}
