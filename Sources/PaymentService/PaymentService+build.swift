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
    /// Charges, retries, ends and expires the memberships that are due.
    static let billMemberships = JobKind<NoPayload>("payment.bill_memberships")

    public static func loadConfiguration(reader: inout ConfigReader) throws -> PaymentConfiguration {
        try PaymentConfiguration.load(reader: &reader)
    }

    /// The router, the `order.cancelled` subscription, the sandbox's jobs and the reconciliation.
    public static func build(configuration: PaymentConfiguration, environment: ServiceEnvironment) async throws -> ServiceParts {
        let database = environment.db
        let router = environment.makeRouter(migrations: try migrations)
        router.router.add(middleware: IdempotencyMiddleware(client: database.client,
                                                            requiredFor: { $0.uri.path.hasSuffix("/confirm") || $0.uri.path == PaymentEndpoints.subscribe.path },
                                                            excluded: { $0.uri.path.hasPrefix("/api/v1/payments/webhooks/") }))
        let sandbox = SandboxProvider(client: database.client, secret: configuration.webhookSecret, webhookDelay: configuration.sandboxWebhookDelay,
                                      processingDelay: .seconds(2))
        let provider: any PaymentProvider = switch configuration.provider {
        case .sandbox: sandbox
        case .stripe:
            StripeProvider(http: environment.http, apiURL: configuration.stripe?.apiURL ?? StripeSettings.defaultAPIURL,
                           secretKey: configuration.stripe?.secretKey ?? "", webhookSecret: configuration.stripe?.webhookSecret ?? "",
                           prices: configuration.stripe?.prices ?? [:])
        }
        let payments = PaymentRepository(client: database.client, outbox: environment.outbox, provider: provider)
        let memberships = MembershipRepository(client: database.client, outbox: environment.outbox, provider: provider,
                                               prices: configuration.membershipPrices, policy: configuration.membershipPolicy)
        PaymentsController(payments: payments, provider: provider,
                           links: PaymentLinks(secret: configuration.webhookSecret, publicURL: configuration.common.publicURL),
                           memberships: memberships).addRoutes(to: router)
        MembershipsController(memberships: memberships).addRoutes(to: router)

        let cancelled = EventSubscription.on(OrderEvent.cancelled) { event, connection, logger in
            try await payments.orderCancelled(event.data.orderId, on: connection, logger: logger)
        }
        let reconcileJob = JobRegistration.on(reconcile) { _, _, logger in try await payments.reconcile(after: .seconds(30), logger: logger) }
        let billingJob = JobRegistration.on(billMemberships) { _, _, logger in try await memberships.billDue(logger: logger) }
        let webhookURL = configuration.sandboxWebhookURL ?? environment.url(of: .payment) + "/api/v1/payments/webhooks/sandbox"
        return ServiceParts(router: router, subscriptions: [cancelled],
                            jobs: (configuration.provider == .sandbox ? sandbox.jobs(webhookURL: webhookURL, http: environment.http) : [])
                                + [reconcileJob, billingJob],
                            periodic: [PeriodicJob(reconcile, every: .seconds(30)), PeriodicJob(billMemberships, every: configuration.membershipBillingEvery)])
    }
}

/// Payment's configuration: the common keys and
///
/// | key | meaning |
/// | --- | --- |
/// | `PLEXUS_PAYMENT_WEBHOOK_SECRET` | the secret webhooks are signed with (required; `plexus up` generates one) |
/// | `PLEXUS_PAYMENT_PROVIDER` | `sandbox` (default) or `stripe` |
/// | `PLEXUS_STRIPE_SECRET_KEY` | with `stripe`: the API key (`sk_live_…`, `sk_test_…` or a restricted `rk_…`) |
/// | `PLEXUS_STRIPE_WEBHOOK_SECRET` | with `stripe`: the webhook endpoint's signing secret (`whsec_…`) |
/// | `PLEXUS_STRIPE_API_URL` | with `stripe`: `https://api.stripe.com` (another URL for a local fake in tests) |
/// | `PLEXUS_STRIPE_PRICES` | with `stripe`: Stripe Price ids per plan (`monthly=price_…,annual=price_…`): memberships become Stripe Billing subscriptions; unset, each period is an off-session charge the billing job makes |
/// | `PLEXUS_PAYMENT_SANDBOX_WEBHOOK_URL` | where the sandbox sends its webhooks (default: this service's own webhook route) |
/// | `PLEXUS_PAYMENT_SANDBOX_WEBHOOK_DELAY_MS` | how long after an outcome the sandbox sends its webhook (500) |
/// | `PLEXUS_CURRENCY` | the currency of membership prices (`USD`) |
/// | `PLEXUS_MEMBERSHIP_PRICES` | the plans on offer and their prices in minor units (`monthly=999,semiannual=4999,annual=8999`) |
/// | `PLEXUS_MEMBERSHIP_GRACE_HOURS` | how long a member whose renewal fails stays VIP while it is retried (168) |
/// | `PLEXUS_MEMBERSHIP_RETRY_HOURS` | how often a failed renewal is retried (24) |
/// | `PLEXUS_MEMBERSHIP_BILLING_EVERY_SECONDS` | how often the billing job looks for memberships due (60) |
public struct PaymentConfiguration: ServiceConfiguration {
    public var common: CommonConfiguration
    public var provider: PaymentProviderName
    public var webhookSecret: String
    public var sandboxWebhookURL: String?
    public var sandboxWebhookDelay: Duration
    public var membershipPrices: [MembershipPlan: Money]
    public var membershipPolicy: MembershipCycle.Policy
    public var membershipBillingEvery: Duration
    /// Stripe's keys, with the `stripe` provider.
    public var stripe: StripeSettings?

    /// The plans' prices when nothing is configured.
    public static func defaultPrices(currency: String = "USD") -> [MembershipPlan: Money] {
        [.monthly: Money(amount: 999, currency: currency), .semiannual: Money(amount: 4999, currency: currency),
         .annual: Money(amount: 8999, currency: currency)]
    }

    /// Creates a configuration directly.
    public init(common: CommonConfiguration, provider: PaymentProviderName = .sandbox, webhookSecret: String, sandboxWebhookURL: String? = nil,
                sandboxWebhookDelay: Duration = .milliseconds(500), membershipPrices: [MembershipPlan: Money] = PaymentConfiguration.defaultPrices(),
                membershipPolicy: MembershipCycle.Policy = MembershipCycle.Policy(), membershipBillingEvery: Duration = .seconds(60),
                stripe: StripeSettings? = nil) {
        self.common = common
        self.provider = provider
        self.webhookSecret = webhookSecret
        self.sandboxWebhookURL = sandboxWebhookURL
        self.sandboxWebhookDelay = sandboxWebhookDelay
        self.membershipPrices = membershipPrices
        self.membershipPolicy = membershipPolicy
        self.membershipBillingEvery = membershipBillingEvery
        self.stripe = stripe
    }

    /// Reads `monthly=999,annual=8999`: every plan named once, each price a positive whole number.
    static func prices(_ text: String, currency: String) -> [MembershipPlan: Money]? {
        var prices: [MembershipPlan: Money] = [:]
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let plan = MembershipPlan(rawValue: parts[0]), prices[plan] == nil,
                  let amount = Int(parts[1]), amount > 0 else { return nil }
            prices[plan] = Money(amount: amount, currency: currency)
        }
        return prices.isEmpty ? nil : prices
    }

    /// Reads the configuration, listing every missing or malformed key.
    public static func load(reader: inout ConfigReader) throws -> PaymentConfiguration {
        let common = CommonConfiguration(service: .payment, reader: &reader)
        let secret = reader.require("PLEXUS_PAYMENT_WEBHOOK_SECRET")
        let provider = reader.string("PLEXUS_PAYMENT_PROVIDER", default: "sandbox")
        let url = reader.optional("PLEXUS_PAYMENT_SANDBOX_WEBHOOK_URL")
        let delay = reader.int("PLEXUS_PAYMENT_SANDBOX_WEBHOOK_DELAY_MS", default: 500)
        let currency = reader.string("PLEXUS_CURRENCY", default: "USD")
        let priceText = reader.string("PLEXUS_MEMBERSHIP_PRICES", default: "monthly=999,semiannual=4999,annual=8999")
        let grace = reader.int("PLEXUS_MEMBERSHIP_GRACE_HOURS", default: 168)
        let retry = reader.int("PLEXUS_MEMBERSHIP_RETRY_HOURS", default: 24)
        let billingEvery = reader.int("PLEXUS_MEMBERSHIP_BILLING_EVERY_SECONDS", default: 60)
        let stripeKey = reader.optional("PLEXUS_STRIPE_SECRET_KEY")
        let stripeWebhookSecret = reader.optional("PLEXUS_STRIPE_WEBHOOK_SECRET")
        let stripeURL = reader.string("PLEXUS_STRIPE_API_URL", default: StripeSettings.defaultAPIURL)
        let stripePrices = reader.optional("PLEXUS_STRIPE_PRICES")
        try reader.finish()
        var malformed: [String] = []
        if secret.utf8.count < 16 { malformed.append("PLEXUS_PAYMENT_WEBHOOK_SECRET (at least 16 characters)") }
        let providerName = PaymentProviderName(rawValue: provider)
        if providerName == nil { malformed.append("PLEXUS_PAYMENT_PROVIDER (sandbox or stripe)") }
        var stripe: StripeSettings?
        if providerName == .stripe {
            if !(stripeKey.map { ["sk_live_", "sk_test_", "rk_live_", "rk_test_"].contains(where: $0.hasPrefix) } ?? false) {
                malformed.append("PLEXUS_STRIPE_SECRET_KEY (required with the stripe provider: sk_live_…, sk_test_… or rk_…)")
            }
            if !(stripeWebhookSecret?.hasPrefix("whsec_") ?? false) {
                malformed.append("PLEXUS_STRIPE_WEBHOOK_SECRET (required with the stripe provider: the endpoint's whsec_… secret)")
            }
            let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"].contains { stripeURL.hasPrefix($0) }
            if !stripeURL.hasPrefix("https://") && !local { malformed.append("PLEXUS_STRIPE_API_URL (https://, or a loopback http:// URL for a local fake)") }
            var priceIDs: [MembershipPlan: String] = [:]
            for entry in (stripePrices ?? "").split(separator: ",") {
                let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, let plan = MembershipPlan(rawValue: parts[0]), parts[1].hasPrefix("price_") else {
                    malformed.append("PLEXUS_STRIPE_PRICES (plan=price_…, comma-separated)")
                    break
                }
                priceIDs[plan] = parts[1]
            }
            stripe = StripeSettings(secretKey: stripeKey ?? "", webhookSecret: stripeWebhookSecret ?? "", apiURL: stripeURL, prices: priceIDs)
        }
        if !(0...60_000).contains(delay) { malformed.append("PLEXUS_PAYMENT_SANDBOX_WEBHOOK_DELAY_MS (0 to 60000)") }
        if !Money.isValidCurrency(currency) { malformed.append("PLEXUS_CURRENCY (an ISO 4217 code such as USD)") }
        let prices = Self.prices(priceText, currency: currency)
        if prices == nil { malformed.append("PLEXUS_MEMBERSHIP_PRICES (plan=minor units, comma-separated: monthly=999,semiannual=4999,annual=8999)") }
        if !(0...2_160).contains(grace) { malformed.append("PLEXUS_MEMBERSHIP_GRACE_HOURS (0 to 2160)") }
        if !(1...720).contains(retry) { malformed.append("PLEXUS_MEMBERSHIP_RETRY_HOURS (1 to 720)") }
        if !(1...86_400).contains(billingEvery) { malformed.append("PLEXUS_MEMBERSHIP_BILLING_EVERY_SECONDS (1 to 86400)") }
        guard malformed.isEmpty, let prices else { throw ConfigurationError(missing: [], malformed: malformed) }
        return PaymentConfiguration(common: common, provider: providerName ?? .sandbox, webhookSecret: secret, sandboxWebhookURL: url,
                                    sandboxWebhookDelay: .milliseconds(delay), membershipPrices: prices,
                                    membershipPolicy: MembershipCycle.Policy(grace: .seconds(grace * 3_600), retryEvery: .seconds(retry * 3_600)),
                                    membershipBillingEvery: .seconds(billingEvery), stripe: stripe)
    }
}

/// What the `stripe` provider needs.
public struct StripeSettings: Sendable {
    /// Stripe's API.
    public static let defaultAPIURL = "https://api.stripe.com"
    public var secretKey: String
    public var webhookSecret: String
    public var apiURL: String
    /// Stripe Price ids per plan (Stripe Billing subscriptions); empty: off-session charges.
    public var prices: [MembershipPlan: String]

    /// Creates the settings.
    public init(secretKey: String, webhookSecret: String, apiURL: String = StripeSettings.defaultAPIURL, prices: [MembershipPlan: String] = [:]) {
        self.secretKey = secretKey
        self.webhookSecret = webhookSecret
        self.apiURL = apiURL
        self.prices = prices
    }
}
