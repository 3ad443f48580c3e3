import Foundation
import IdentityAPI
import Logging
import PlexusKit
import PostgresNIO

/// Queues e-mails to a user whose address identity knows at the time of writing.
struct CustomerMailer: Sendable {
    let templates: EmailTemplates
    let emails: EmailRepository
    let contacts: any ContactLookup
    let transport: String

    /// Queues `kind` to the customer (nothing for a user identity no longer knows), with the values
    /// `values` makes from their name.
    func mail(_ kind: EmailTemplates.Kind, to customer: UUID, event: UUID, on connection: PostgresConnection, logger: Logger,
              _ values: (String) -> [String: Any]) async throws {
        guard let contact = try await contacts.contact(userID: customer, logger: logger) else { return }
        let rendered = try templates.render(kind, values(contact.name))
        _ = try await emails.queue(rendered, template: kind.rawValue, to: contact.email, userID: contact.userId, eventID: event, transport: transport,
                                   on: connection, logger: logger)
    }
}
