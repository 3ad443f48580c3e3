import Foundation
import Logging
import PlexusContract

/// The payment service's endpoints.
public enum PaymentEndpoints {
    /// The header of a webhook's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
    public static let signatureHeader = "Plexus-Signature"

    static let signature = QueryParameter(signatureHeader, .string(), "`t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\" with the webhook secret>`; Stripe sends `Stripe-Signature` instead.")
    static let confirmProblems = [
        ProblemCase(400, "idempotency_key_required", "Send an Idempotency-Key header."),
        ProblemCase(402, "card_declined", "The card was declined (other codes: insufficient_funds, expired_card, incorrect_cvc)."),
        ProblemCase(409, "payment_not_confirmable", "The payment succeeded, was cancelled or refunded already."),
        ProblemCase(409, "payment_in_progress", "Another confirmation of this payment is running."),
        ProblemCase(503, "provider_unavailable", "The payment provider cannot be reached; nothing was charged."),
    ]
    static let listQuery = [
        QueryParameter("status", .string(values: PaymentStatus.allCases.map(\.rawValue)), "Only payments in this status."),
        QueryParameter("from", .string(format: "date-time"), "Created at or after."),
        QueryParameter("to", .string(format: "date-time"), "Created before."),
        .limit, .cursor,
    ]

    public static let get = Endpoint<NoBody, PaymentDTO>("getPayment", .GET, "/api/v1/payments/{id}", access: .user,
        summary: "A payment of the caller's (another user's answers 404).")
    public static let confirm = Endpoint<ConfirmPaymentRequest, PaymentDTO>("confirmPayment", .POST, "/api/v1/payments/{id}/confirm", access: .user,
        summary: "Pay with a card (sandbox test cards decide the outcome: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined, 4000 0000 0000 9995 has insufficient funds, 4000 0025 0000 3155 needs a second confirmation). Requires Idempotency-Key.",
        problems: confirmProblems)
    public static let webhook = Endpoint<WebhookEvent, StatusMessage>("paymentWebhook", .POST, "/api/v1/payments/webhooks/{provider}", access: .anyone,
        summary: "A provider's signed event (5-minute tolerance): duplicates and out-of-order events have no further effect; the amount and currency must match the payment.",
        problems: [ProblemCase(400, "invalid_signature", "The signature is missing, wrong or outside the tolerance."),
                   ProblemCase(422, "amount_mismatch", "The event's amount or currency is not the payment's.")],
        pathParameters: ["provider": .string(values: PaymentProviderName.allCases.map(\.rawValue))], headers: [signature])
    public static let refund = Endpoint<RefundRequest, PaymentDTO>("refundPayment", .POST, "/api/v1/payments/{id}/refunds", access: .roles([.admin]),
        summary: "Refund in full or in part; never more than captured and not yet refunded.", status: 201,
        problems: [ProblemCase(422, "refund_exceeds_captured", "More than what is left to refund."),
                   ProblemCase(409, "payment_not_captured", "Nothing was captured."),
                   ProblemCase(503, "provider_unavailable", "The payment provider cannot be reached; nothing was refunded.")])
    public static let adminList = Endpoint<NoBody, Page<PaymentDTO>>("adminListPayments", .GET, "/api/v1/admin/payments", access: .roles([.admin]),
        summary: "Every payment, newest first, with its provider events.", query: listQuery)

    static let linkQuery = [QueryParameter("expires", .integer, "When the link stops working (Unix seconds)."),
                            QueryParameter("sig", .string(), "The link's signature.")]
    static let pageProblems = [ProblemCase(403, "invalid_link", "The link is not valid or has expired.")]
    public static let payPage = Endpoint<NoBody, TextBody>("hostedPaymentPage", .GET, "/pay/{paymentId}", access: .anyone,
        summary: "The sandbox's hosted payment page (like Stripe Checkout): a card form for the payment of the signed link (`payUrl`).",
        query: linkQuery, problems: pageProblems, outputType: .html)
    public static let payForm = Endpoint<FormFields, TextBody>("hostedPaymentForm", .POST, "/pay/{paymentId}", access: .anyone,
        summary: "The hosted page's form post: confirms with the card; on success the page sends the customer to the checkout's `returnUrl`.",
        problems: pageProblems + [ProblemCase(402, "card_declined", "The card was declined."),
                                  ProblemCase(409, "payment_not_confirmable", "Already paid or cancelled.")],
        bodyType: .form, outputType: .html, strictLimit: true)

    public static let open = Endpoint<OpenPaymentRequest, PaymentDTO>("openPayment", .POST, "/internal/payments", access: .services([.order]),
        summary: "Open the payment of an order (the same order again returns it).", status: 201)
    public static let forOrder = Endpoint<NoBody, PaymentDTO>("getOrderPayment", .GET, "/internal/payments/orders/{orderId}", access: .services([.order]),
        summary: "The payment of an order.")

    public static let plans = Endpoint<NoBody, [MembershipPlanDTO]>("listMembershipPlans", .GET, "/api/v1/memberships/plans", access: .anyone,
        summary: "The VIP membership plans and their prices.")
    public static let subscribe = Endpoint<CreateMembershipRequest, MembershipDTO>("createMembership", .POST, "/api/v1/memberships", access: .user,
        summary: "Become a VIP member: the first period is charged to the card at once, later ones on schedule (the card stays with the provider). While a renewal is failing (`past_due`), the same call pays the outstanding period with another card (200). Requires Idempotency-Key and a verified e-mail.",
        status: 201,
        problems: [ProblemCase(400, "idempotency_key_required", "Send an Idempotency-Key header."),
                   ProblemCase(402, "card_declined", "The first charge was declined (other codes: insufficient_funds, expired_card, authentication_required); nothing started."),
                   ProblemCase(403, "email_not_verified", "Verify your e-mail address first."),
                   ProblemCase(409, "membership_exists", "You are a member already (cancel it first, or wait until it ends)."),
                   ProblemCase(409, "membership_billing_in_progress", "A charge of this membership is being made; try again shortly."),
                   ProblemCase(503, "provider_unavailable", "The payment provider cannot be reached.")])
    public static let mine = Endpoint<NoBody, MembershipDTO>("getMyMembership", .GET, "/api/v1/memberships/me", access: .user,
        summary: "The caller's current membership (or the last one that ended), with its charges.",
        problems: [ProblemCase(404, "not_found", "You never had a membership.")])
    public static let cancel = Endpoint<NoBody, MembershipDTO>("cancelMyMembership", .DELETE, "/api/v1/memberships/me", access: .user,
        summary: "Cancel at the end of the paid period (nothing more is charged; VIP lasts until then). A membership whose renewal is failing ends at once. Repeating it changes nothing.",
        problems: [ProblemCase(404, "not_found", "You have no current membership.")])

    /// Every endpoint the payment service serves.
    public static let all: [EndpointDescription] = [
        get.description, confirm.description, webhook.description, refund.description, adminList.description, payPage.description, payForm.description,
        plans.description, subscribe.description, mine.description, cancel.description, open.description, forOrder.description,
    ]
}

/// The events the payment service publishes.
public enum PaymentEvent {
    /// Money was captured for an order (exactly once per payment).
    public static let succeeded = EventType("payment.succeeded", publisher: .payment, payload: PaymentEventData.self)
    /// An attempt was declined.
    public static let failed = EventType("payment.failed", publisher: .payment, payload: PaymentEventData.self)
    /// Money went back (`amount` this time, `refundedAmount` in total).
    public static let refunded = EventType("payment.refunded", publisher: .payment, payload: PaymentEventData.self)

    /// A VIP membership was paid for the first time.
    public static let membershipActivated = EventType("membership.activated", publisher: .payment, payload: MembershipEventData.self)
    /// A VIP membership's period was charged again.
    public static let membershipRenewed = EventType("membership.renewed", publisher: .payment, payload: MembershipEventData.self)
    /// A renewal was declined: still VIP during the grace period, while the charge is retried.
    public static let membershipPastDue = EventType("membership.past_due", publisher: .payment, payload: MembershipEventData.self)
    /// A VIP membership ended (cancelled at period end, or its renewal failed past the grace period).
    public static let membershipExpired = EventType("membership.expired", publisher: .payment, payload: MembershipEventData.self)

    /// Every payment event.
    public static let all: [EventDescriptor] = [succeeded.descriptor, failed.descriptor, refunded.descriptor, membershipActivated.descriptor,
                                                membershipRenewed.descriptor, membershipPastDue.descriptor, membershipExpired.descriptor]
}

/// How the order service opens and looks up payments.
public protocol PaymentOpening: Sendable {
    /// Opens (or returns) the payment of an order.
    func open(_ request: OpenPaymentRequest, logger: Logger) async throws -> PaymentDTO
}

/// The typed client of the payment service's internal routes.
public struct PaymentClient: PaymentOpening {
    let transport: any EndpointTransport

    /// Creates a client over a transport.
    public init(_ transport: any EndpointTransport) {
        self.transport = transport
    }

    public func open(_ request: OpenPaymentRequest, logger: Logger) async throws -> PaymentDTO {
        try await transport.call(PaymentEndpoints.open, body: request, deadline: .seconds(5), logger: logger)
    }

    /// The payment of an order.
    public func payment(orderID: UUID, logger: Logger) async throws -> PaymentDTO {
        try await transport.call(PaymentEndpoints.forOrder, path: ["orderId": orderID.uuidString], logger: logger)
    }
}
