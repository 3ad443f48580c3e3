import Foundation
import Hummingbird
import NotificationAPI
import PlexusKit

/// `GET /api/v1/notifications`: the caller's own e-mails (without bodies, which may hold links).
struct NotificationsController: Sendable {
    let emails: EmailRepository

    func addRoutes(to router: EndpointRouter) {
        router.on(NotificationEndpoints.mine) { request, context in
            let userID = try context.requireUserID()
            let page = try PageRequest(query: request.queryDictionary)
            let records = try await emails.list(userID: userID, page: page, logger: context.logger)
            return try Response.json(Page(fetched: records, limit: page.limit, id: \.id) {
                NotificationDTO(id: $0.id, template: $0.template, to: $0.to, subject: $0.subject, status: $0.status,
                                attempts: $0.attempts, createdAt: $0.createdAt, sentAt: $0.sentAt)
            })
        }
    }
}

/// The development mailbox: every e-mail the mailbox transport "sent", as a page and as JSON.
/// Registered only in development mode.
struct MailboxController: Sendable {
    let emails: EmailRepository

    func addRoutes(to router: EndpointRouter) {
        router.on(NotificationEndpoints.latestMail) { request, context in
            let to = request.queryDictionary["to"].flatMap { $0.isEmpty ? nil : $0 }
            guard let email = try await emails.mailbox(to: to, limit: 1, logger: context.logger).first else {
                throw ProblemError.notFound("No e-mail in the mailbox\(to.map { " for \($0)" } ?? "").", code: "mailbox_empty")
            }
            return try Response.json(MailboxEntryDTO(id: email.id, to: email.to, subject: email.subject, text: email.text, html: email.html, createdAt: email.createdAt))
        }
        router.on(NotificationEndpoints.mailbox) { request, context in
            let to = request.queryDictionary["to"].flatMap { $0.isEmpty ? nil : $0 }
            let list = try await emails.mailbox(to: to, limit: 50, logger: context.logger)
            return Response.html(Self.page(list))
        }
    }

    static func page(_ emails: [EmailRecord]) -> String {
        let rows = emails.map { email in
            """
            <article><header><strong>\(htmlEscape(email.subject))</strong> → \(htmlEscape(email.to))
            <small>\(RFC3339.string(from: email.createdAt))</small></header>
            <iframe sandbox srcdoc="\(htmlEscape(email.html))"></iframe>
            <details><summary>Plain text</summary><pre>\(htmlEscape(email.text))</pre></details></article>
            """
        }.joined()
        return """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Plexus dev mailbox</title>
            <style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}
            article{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.75rem}iframe{width:100%;height:14rem;border:0}
            small{color:#777;margin-left:.5rem}</style></head><body><h1>Dev mailbox</h1>
            <p>E-mails Plexus sent in development mode, newest first. Links open on the gateway.</p>
            \(emails.isEmpty ? "<p><em>No e-mail yet.</em></p>" : rows)</body></html>
            """
    }
}
