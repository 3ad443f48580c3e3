import Foundation
import Hummingbird
import Logging
import OrderAPI
import PaymentAPI
import PlexusKit
import PostgresNIO

/// Payment: payments through a provider, its webhooks, refunds.
public enum PaymentService: PlexusService {
    public static let name = ServiceName.payment
    public static var migrations: [MigrationSet] {
        get throws { try MigrationSet.service("payment", bundle: .module) }
    }
    public static let consumes = [OrderEvent.cancelled.descriptor]
    public static let publishes = PaymentEvent.all
    public static let summary = "Payments through a provider (the built-in sandbox or Stripe), signed webhooks and refunds."
    public static let endpoints = PaymentEndpoints.all

    /// Re-asks the provider about payments stuck in `processing`.
    static let reconcile = JobKind<NoPayload>("payment.reconcile")

    public static func loadConfiguration(reader: inout ConfigReader) throws -> PaymentConfiguration {
        try PaymentConfiguration.load(reader: &reader)
    }

    /// The router, the `order.cancelled` subscription, the sandbox's jobs and the reconciliation.
    public static func build(configuration: PaymentConfiguration, environment: ServiceEnvironment) async throws -> ServiceParts {
        let database = environment.db
        let router = environment.makeRouter(migrations: try migrations)
        router.router.add(middleware: IdempotencyMiddleware(client: database.client, requiredFor: { $0.uri.path.hasSuffix("/confirm") },
                                                            excluded: { $0.uri.path.hasPrefix("/api/v1/payments/webhooks/") }))
        let sandbox = SandboxProvider(client: database.client, secret: configuration.webhookSecret, webhookDelay: configuration.sandboxWebhookDelay,
                                      processingDelay: .seconds(2))
        let provider: any PaymentProvider = sandbox
        let payments = PaymentRepository(client: database.client, outbox: environment.outbox, provider: provider)
        PaymentsController(payments: payments, provider: provider,
                           links: PaymentLinks(secret: configuration.webhookSecret, publicURL: configuration.common.publicURL)).addRoutes(to: router)

        let cancelled = EventSubscription.on(OrderEvent.cancelled) { event, connection, logger in
            try await payments.orderCancelled(event.data.orderId, on: connection, logger: logger)
        }
        let reconcileJob = JobRegistration.on(reconcile) { _, _, logger in try await payments.reconcile(after: .seconds(30), logger: logger) }
        let webhookURL = configuration.sandboxWebhookURL ?? environment.url(of: .payment) + "/api/v1/payments/webhooks/sandbox"
        return ServiceParts(router: router, subscriptions: [cancelled], jobs: sandbox.jobs(webhookURL: webhookURL, http: environment.http) + [reconcileJob],
                            periodic: [PeriodicJob(reconcile, every: .seconds(30))])
    }
}

/// Payment's configuration: the common keys and
///
/// | key | meaning |
/// | --- | --- |
/// | `PLEXUS_PAYMENT_WEBHOOK_SECRET` | the secret webhooks are signed with (required; `plexus up` generates one) |
/// | `PLEXUS_PAYMENT_PROVIDER` | `sandbox` (default) |
/// | `PLEXUS_PAYMENT_SANDBOX_WEBHOOK_URL` | where the sandbox sends its webhooks (default: this service's own webhook route) |
/// | `PLEXUS_PAYMENT_SANDBOX_WEBHOOK_DELAY_MS` | how long after an outcome the sandbox sends its webhook (500) |
public struct PaymentConfiguration: ServiceConfiguration {
    public var common: CommonConfiguration
    public var provider: PaymentProviderName
    public var webhookSecret: String
    public var sandboxWebhookURL: String?
    public var sandboxWebhookDelay: Duration

    /// Creates a configuration directly.
    public init(common: CommonConfiguration, provider: PaymentProviderName = .sandbox, webhookSecret: String, sandboxWebhookURL: String? = nil,
                sandboxWebhookDelay: Duration = .milliseconds(500)) {
        self.common = common
        self.provider = provider
        self.webhookSecret = webhookSecret
        self.sandboxWebhookURL = sandboxWebhookURL
        self.sandboxWebhookDelay = sandboxWebhookDelay
    }

    /// Reads the configuration, listing every missing or malformed key.
    public static func load(reader: inout ConfigReader) throws -> PaymentConfiguration {
        let common = CommonConfiguration(service: .payment, reader: &reader)
        let secret = reader.require("PLEXUS_PAYMENT_WEBHOOK_SECRET")
        let provider = reader.string("PLEXUS_PAYMENT_PROVIDER", default: "sandbox")
        let url = reader.optional("PLEXUS_PAYMENT_SANDBOX_WEBHOOK_URL")
        let delay = reader.int("PLEXUS_PAYMENT_SANDBOX_WEBHOOK_DELAY_MS", default: 500)
        try reader.finish()
        var malformed: [String] = []
        if secret.utf8.count < 16 { malformed.append("PLEXUS_PAYMENT_WEBHOOK_SECRET (at least 16 characters)") }
        if provider != "sandbox" { malformed.append("PLEXUS_PAYMENT_PROVIDER (sandbox; the Stripe provider is not built yet)") }
        if !(0...60_000).contains(delay) { malformed.append("PLEXUS_PAYMENT_SANDBOX_WEBHOOK_DELAY_MS (0 to 60000)") }
        guard malformed.isEmpty else { throw ConfigurationError(missing: [], malformed: malformed) }
        return PaymentConfiguration(common: common, provider: .sandbox, webhookSecret: secret, sandboxWebhookURL: url,
                                    sandboxWebhookDelay: .milliseconds(delay))
    }
}
