import Foundation
import Hummingbird
import IdentityAPI
import NotificationAPI
import OrderAPI
import PaymentAPI
import ReviewAPI
import Logging
import PlexusKit

/// Notification: renders and sends e-mails for other services' events.
public enum NotificationService: PlexusService {
    public static let name = ServiceName.notification
    public static var migrations: [MigrationSet] {
        get throws { try MigrationSet.service("notification", bundle: .module) }
    }
    public static let consumes = [IdentityEvent.verificationRequested.descriptor, IdentityEvent.passwordResetRequested.descriptor,
                                  IdentityEvent.passwordChanged.descriptor, OrderEvent.paid.descriptor, OrderEvent.fulfilmentShipped.descriptor,
                                  OrderEvent.cancelled.descriptor, PaymentEvent.failed.descriptor,
                                  PaymentEvent.membershipActivated.descriptor, PaymentEvent.membershipRenewed.descriptor,
                                  PaymentEvent.membershipPastDue.descriptor, PaymentEvent.membershipExpired.descriptor,
                                  ReviewEvent.invited.descriptor, ReviewEvent.replied.descriptor, ReviewEvent.hidden.descriptor]
    public static let callees = [ServiceName.identity]
    public static let summary = "E-mails from other services' events (SMTP, or the dev mailbox in development) and each user's notifications."
    public static var endpoints: [EndpointDescription] { NotificationEndpoints.all }

    public static func loadConfiguration(reader: inout ConfigReader) throws -> NotificationConfiguration {
        try NotificationConfiguration.load(reader: &reader)
    }

    /// The user's notifications, (development only) the mailbox, identity's e-mail events and the sending job.
    public static func build(configuration: NotificationConfiguration, environment: ServiceEnvironment) async throws -> ServiceParts {
        let database = environment.db
        let router = environment.makeRouter(migrations: try migrations)
        let emails = EmailRepository(client: database.client)
        let templates = try EmailTemplates()
        let handlers = IdentityEventHandlers(templates: templates, emails: emails, transport: configuration.transport.name)
        let mailer = CustomerMailer(templates: templates, emails: emails, contacts: IdentityClient(environment.connection(to: .identity)),
                                    transport: configuration.transport.name)
        let orders = OrderEventHandlers(mailer: mailer)
        let reviews = ReviewEventHandlers(mailer: mailer)
        NotificationsController(emails: emails).addRoutes(to: router)
        if configuration.common.mode.isDevelopment { MailboxController(emails: emails).addRoutes(to: router) }
        let send = SendEmailJob(emails: emails, transport: configuration.transport, from: configuration.from)
        return ServiceParts(router: router, subscriptions: handlers.subscriptions + orders.subscriptions + reviews.subscriptions, jobs: [send.registration])
    }
}
