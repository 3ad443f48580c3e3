import Foundation
import Hummingbird
import Logging
import PlexusKit
import ServiceLifecycle

/// Notification: renders and sends e-mails for other services' events.
public enum NotificationService {
    /// Notification's migrations (after the kit's).
    public static var migrations: [MigrationSet] {
        get throws { try MigrationSet.service("notification", bundle: .module) }
    }

    /// Builds the router: `/internal/events`, the user's notifications, and (development only) the mailbox.
    public static func buildRouter(configuration: NotificationConfiguration, database: Database, verifier: any AccessTokenVerifier, logger: Logger) async throws -> Router<PlexusContext> {
        let router = ServiceRuntime.makeRouter(verifier: verifier, ready: ServiceRuntime.databaseReadiness(database, migrations: try migrations, logger: logger))
        let emails = EmailRepository(client: database.client)
        let handlers = IdentityEventHandlers(templates: try EmailTemplates(), emails: emails, transport: configuration.transport.name)
        let tokens = await ServiceTokens(serviceName: "notification", secret: configuration.common.internalSecret)
        EventConsumer(client: database.client, handlers: handlers.handlers).addRoute(to: router, tokens: tokens)
        NotificationsController(emails: emails).addRoutes(to: router)
        if configuration.common.mode.isDevelopment { MailboxController(emails: emails).addRoutes(to: router) }
        return router
    }

    /// The worker that sends queued e-mails.
    public static func worker(configuration: NotificationConfiguration, database: Database, logger: Logger) -> JobWorker {
        let job = SendEmailJob(emails: EmailRepository(client: database.client), transport: configuration.transport, from: configuration.from)
        return JobWorker(client: database.client, handlers: [SendEmailJob.kind: job.handler], logger: logger)
    }

    /// Builds the whole service.
    public static func buildApplication(configuration: NotificationConfiguration, verifier: any AccessTokenVerifier, logger: Logger) async throws -> some ApplicationProtocol {
        let database = Database(url: configuration.common.database, logger: logger)
        let router = try await buildRouter(configuration: configuration, database: database, verifier: verifier, logger: logger)
        var services: [any Service] = [database.client]
        if configuration.runWorkers { services.append(worker(configuration: configuration, database: database, logger: logger)) }
        return ServiceRuntime.makeApplication(router: router, name: "notification", host: configuration.common.host,
                                              port: configuration.common.port, services: services, logger: logger)
    }
}
