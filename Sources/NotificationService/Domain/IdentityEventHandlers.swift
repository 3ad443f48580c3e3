import Foundation
import IdentityAPI
import PlexusKit

/// Turns identity's events into queued e-mails.
struct IdentityEventHandlers: Sendable {
    let templates: EmailTemplates
    let emails: EmailRepository
    let transport: String

    var subscriptions: [EventSubscription] {
        [
            tokenMail(IdentityEvent.verificationRequested, .verification),
            tokenMail(IdentityEvent.passwordResetRequested, .passwordReset),
            .on(IdentityEvent.passwordChanged) { event, connection, logger in
                let verb = event.data.via == "reset" ? "reset" : "changed"
                let rendered = try templates.render(.passwordChanged, ["name": event.data.name, "verb": verb])
                _ = try await emails.queue(rendered, template: "password_changed", to: event.data.email, userID: event.data.userId,
                                           eventID: event.id, transport: transport, on: connection, logger: logger)
            },
        ]
    }

    func tokenMail(_ type: EventType<EmailTokenIssued>, _ kind: EmailTemplates.Kind) -> EventSubscription {
        .on(type) { event, connection, logger in
            let rendered = try templates.render(kind, [
                "name": event.data.name, "actionURL": event.data.actionURL, "expiresAt": RFC3339.string(from: event.data.expiresAt),
            ])
            _ = try await emails.queue(rendered, template: kind.rawValue, to: event.data.email, userID: event.data.userId,
                                       eventID: event.id, transport: transport, on: connection, logger: logger)
        }
    }
}
