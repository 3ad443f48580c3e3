import CartAPI
import CatalogAPI
import Foundation
import Hummingbird
import IdentityAPI
import Logging
import OrderAPI
import PaymentAPI
import PlexusKit
import PostgresNIO
import PromotionAPI

/// Order: checkout, orders and their lines, fulfilments, and the order state machine.
public enum OrderService: PlexusService {
    public static let name = ServiceName.order
    public static var migrations: [MigrationSet] {
        get throws { try MigrationSet.service("order", bundle: .module) }
    }
    public static let callees = [ServiceName.identity, .cart, .catalog, .promotion, .payment]
    public static let consumes = [PaymentEvent.succeeded.descriptor, PaymentEvent.refunded.descriptor]
    public static let publishes = OrderEvent.all
    public static let summary = "Checkout, orders with their lines and fulfilments, and the order state machine."
    public static let endpoints = OrderEndpoints.all

    /// Cancels unpaid orders whose payment window ended.
    static let expireUnpaid = JobKind<NoPayload>("order.expire_unpaid")
    /// Finishes or compensates checkouts whose runner is gone.
    static let resumeCheckouts = JobKind<NoPayload>("order.resume_checkouts")

    public static func loadConfiguration(reader: inout ConfigReader) throws -> OrderConfiguration {
        try OrderConfiguration.load(reader: &reader)
    }

    /// The router, the payment subscriptions and the expiry and resume jobs.
    public static func build(configuration: OrderConfiguration, environment: ServiceEnvironment) async throws -> ServiceParts {
        let database = environment.db
        let router = environment.makeRouter(migrations: try migrations)
        router.router.add(middleware: IdempotencyMiddleware(client: database.client, requiredFor: { $0.uri.path == OrderEndpoints.checkout.path }))
        let orders = OrderRepository(client: database.client, outbox: environment.outbox)
        let payments = PaymentClient(environment.connection(to: .payment))
        let saga = CheckoutSaga(orders: orders, partners: CheckoutPartners(
            carts: CartClient(environment.connection(to: .cart)), catalog: CatalogClient(environment.connection(to: .catalog)),
            promotions: PromotionClient(environment.connection(to: .promotion)), payments: payments),
            paymentWindow: configuration.paymentWindow, shippingPerShop: configuration.shippingPerShop)
        OrdersController(orders: orders, saga: saga, addresses: IdentityClient(environment.connection(to: .identity)), payments: payments,
                         currency: configuration.currency).addRoutes(to: router)

        let paid = EventSubscription.on(PaymentEvent.succeeded) { event, connection, logger in
            do {
                try await orders.transition(event.data.orderId, .init(action: .pay, actor: "payment", reason: "payment \(event.data.paymentId.uuidString.lowercased()) captured"),
                                            on: connection, logger: logger)
            } catch let problem as ProblemError where [404, 409].contains(problem.status.code) {
                // A cancelled (or unknown) order: the payment service refunds a capture it cannot keep.
                logger.notice("payment for an order that cannot be paid", metadata: ["order": .string(event.data.orderId.uuidString)])
            }
        }
        let refunded = EventSubscription.on(PaymentEvent.refunded) { event, connection, logger in
            guard let order = try await orders.recordRefund(event.data.orderId, refundedTotal: event.data.refundedAmount.amount,
                                                            captured: event.data.capturedAmount.amount, on: connection, logger: logger) else { return }
            if order.status == OrderStatus.cancelled.rawValue, order.captured > 0, order.refunded >= order.captured {
                try await orders.transition(order.id, .init(action: .refundCompleted, actor: "payment", reason: "refunded in full"), on: connection, logger: logger)
            }
        }
        let expire = JobRegistration.on(expireUnpaid) { _, _, logger in
            for id in try await orders.overdue(logger: logger) {
                do {
                    try await orders.transition(id, .init(action: .expire, actor: "system", reason: "payment_window_expired"), logger: logger)
                } catch let problem as ProblemError where problem.status.code == 409 {
                    continue // paid meanwhile
                }
            }
        }
        let resume = JobRegistration.on(resumeCheckouts) { _, _, logger in try await saga.resume(logger: logger) }
        return ServiceParts(router: router, subscriptions: [paid, refunded], jobs: [expire, resume],
                            periodic: [PeriodicJob(expireUnpaid, every: .seconds(15)), PeriodicJob(resumeCheckouts, every: .seconds(10))])
    }
}

/// Order's configuration: the common keys, `PLEXUS_CURRENCY` (`USD`),
/// `PLEXUS_ORDER_PAYMENT_WINDOW_SECONDS` (how long an order waits for its payment before it is
/// cancelled and its stock returns, 1800) and `PLEXUS_ORDER_SHIPPING_PER_SHOP` (a flat shipping
/// charge per shop in the order, in minor units, 0).
public struct OrderConfiguration: ServiceConfiguration {
    public var common: CommonConfiguration
    public var currency: String
    public var paymentWindow: Duration
    public var shippingPerShop: Int

    /// Creates a configuration directly.
    public init(common: CommonConfiguration, currency: String = "USD", paymentWindow: Duration = .seconds(1800), shippingPerShop: Int = 0) {
        self.common = common
        self.currency = currency
        self.paymentWindow = paymentWindow
        self.shippingPerShop = shippingPerShop
    }

    /// Reads the configuration, listing every missing or malformed key.
    public static func load(reader: inout ConfigReader) throws -> OrderConfiguration {
        let common = CommonConfiguration(service: .order, reader: &reader)
        let currency = reader.string("PLEXUS_CURRENCY", default: "USD")
        let window = reader.int("PLEXUS_ORDER_PAYMENT_WINDOW_SECONDS", default: 1800)
        let shipping = reader.int("PLEXUS_ORDER_SHIPPING_PER_SHOP", default: 0)
        try reader.finish()
        var malformed: [String] = []
        if !Money.isValidCurrency(currency) { malformed.append("PLEXUS_CURRENCY (an ISO 4217 code such as USD)") }
        if !(10...86_400).contains(window) { malformed.append("PLEXUS_ORDER_PAYMENT_WINDOW_SECONDS (10 to 86400)") }
        if !(0...1_000_000).contains(shipping) { malformed.append("PLEXUS_ORDER_SHIPPING_PER_SHOP (0 to 1000000 minor units)") }
        guard malformed.isEmpty else { throw ConfigurationError(missing: [], malformed: malformed) }
        return OrderConfiguration(common: common, currency: currency, paymentWindow: .seconds(window), shippingPerShop: shipping)
    }
}
