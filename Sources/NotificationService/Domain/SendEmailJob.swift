import Foundation
import Logging
import PlexusKit

/// Delivers one stored e-mail. Idempotent: an e-mail already sent is not sent again when the job
/// is retried after a crash.
struct SendEmailJob: Sendable {
    static let kind = JobKind<Payload>("notification.send_email")

    struct Payload: Codable, Sendable {
        var emailId: UUID
    }

    let emails: EmailRepository
    let transport: NotificationConfiguration.Transport
    let from: MailAddress

    var registration: JobRegistration {
        .on(Self.kind) { payload, job, logger in
            guard let email = try await emails.find(id: payload.emailId, logger: logger), email.status == "queued" else { return }
            do {
                if case .smtp(let configuration) = transport {
                    let message = MailMessage(from: from, to: [MailAddress(email.to)], subject: email.subject, text: email.text, html: email.html)
                    try await SMTPClient(configuration: configuration).send(message, logger: logger)
                }
                // The mailbox transport's delivery is the stored row itself becoming visible.
                try await emails.markSent(id: email.id, forgetLinks: transport.name == "smtp", logger: logger)
            } catch let error as SMTPError where error.isPermanent {
                try await emails.markAttemptFailed(id: email.id, error: error.description, final: true, logger: logger)
            } catch {
                try await emails.markAttemptFailed(id: email.id, error: String(describing: error), final: job.attempt >= job.maxAttempts, logger: logger)
                throw error
            }
        }
    }
}
