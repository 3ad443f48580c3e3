import Foundation
import PlexusContract

/// Where a payment stands.
public enum PaymentStatus: String, Codable, Sendable, CaseIterable, SchemaEnumeration {
    /// Opened, waiting for the customer's card.
    case requiresConfirmation = "requires_confirmation"
    /// The card needs a second confirmation (like 3-D Secure): confirm again.
    case requiresAction = "requires_action"
    /// The provider is working on it; a webhook or the reconciliation job settles it.
    case processing
    /// Captured.
    case succeeded
    /// The last attempt was declined; the customer may try another card.
    case failed
    /// The order was cancelled before anything was captured; it can no longer be confirmed.
    case canceled
    /// Everything captured was refunded.
    case refunded
    /// Part of what was captured was refunded.
    case partiallyRefunded = "partially_refunded"

    /// Whether a confirmation may start from here.
    public var confirmable: Bool { [.requiresConfirmation, .requiresAction, .failed].contains(self) }
}

/// The payment providers Plexus speaks to.
public enum PaymentProviderName: String, Codable, Sendable, CaseIterable, SchemaEnumeration {
    /// The built-in card processor (test cards, signed webhooks).
    case sandbox
    /// Stripe's API.
    case stripe
}

/// The card a payment was made with: never more than brand and last four digits.
public struct CardSummary: Codable, Sendable, Equatable {
    /// `visa`, `mastercard`, `amex`, … or `unknown`.
    public var brand: String
    /// The last four digits.
    public var last4: String

    /// Creates the value.
    public init(brand: String, last4: String) {
        self.brand = brand
        self.last4 = last4
    }
}

/// Why the last attempt failed.
public struct PaymentFailure: Codable, Sendable, Equatable {
    /// `card_declined`, `insufficient_funds`, `expired_card`, `incorrect_cvc`, `processing_error`.
    public var code: String
    /// A sentence for the customer.
    public var message: String

    /// Creates the value.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// One event a provider sent about a payment (admins see them).
public struct ProviderEventDTO: Codable, Sendable, Equatable {
    /// The provider's event id.
    public var id: String
    /// Its type (`payment.succeeded`, `payment_intent.succeeded`, …).
    public var type: String
    /// What it did here: `applied`, `duplicate`, `ignored`, `refunded_late`, `rejected_amount`.
    public var outcome: String
    /// When it arrived.
    public var receivedAt: Date

    /// Creates the value.
    public init(id: String, type: String, outcome: String, receivedAt: Date) {
        self.id = id
        self.type = type
        self.outcome = outcome
        self.receivedAt = receivedAt
    }
}

/// A payment for one order.
public struct PaymentDTO: Codable, Sendable, Equatable {
    public var id: UUID
    public var orderId: UUID
    public var status: PaymentStatus
    /// What is charged: the order's total.
    public var amount: Money
    /// Captured so far.
    public var capturedAmount: Money
    /// Refunded so far (never above `capturedAmount`).
    public var refundedAmount: Money
    public var provider: PaymentProviderName
    /// What a client-side provider library needs to confirm (Stripe's `client_secret`); the owner only.
    public var clientSecret: String?
    /// The hosted payment page (sandbox), signed for the owner.
    public var payUrl: String?
    /// The card used, when one was.
    public var card: CardSummary?
    /// Why the last attempt failed.
    public var failure: PaymentFailure?
    /// The provider's events (admin listing only).
    public var events: [ProviderEventDTO]?
    public var createdAt: Date
    public var updatedAt: Date

    /// Creates the value.
    public init(id: UUID, orderId: UUID, status: PaymentStatus, amount: Money, capturedAmount: Money, refundedAmount: Money,
                provider: PaymentProviderName, clientSecret: String? = nil, payUrl: String? = nil, card: CardSummary? = nil,
                failure: PaymentFailure? = nil, events: [ProviderEventDTO]? = nil, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.orderId = orderId
        self.status = status
        self.amount = amount
        self.capturedAmount = capturedAmount
        self.refundedAmount = refundedAmount
        self.provider = provider
        self.clientSecret = clientSecret
        self.payUrl = payUrl
        self.card = card
        self.failure = failure
        self.events = events
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A card as the customer typed it (sandbox). Never stored or logged: only brand and last four are kept.
public struct CardInput: Codable, Sendable, Equatable {
    /// The number; spaces and dashes are ignored.
    public var number: String
    public var expMonth: Int
    public var expYear: Int
    public var cvc: String

    /// Creates the value.
    public init(number: String, expMonth: Int, expYear: Int, cvc: String) {
        self.number = number
        self.expMonth = expMonth
        self.expYear = expYear
        self.cvc = cvc
    }
}

/// What pays: a card (sandbox) or a provider's payment-method id (Stripe's `pm_…`).
public struct PaymentMethodInput: Codable, Sendable, Equatable {
    /// `card` or `stripe`.
    public var type: String
    /// The card, for `card`.
    public var card: CardInput?
    /// The provider's payment method id, for `stripe`.
    public var id: String?

    /// Creates the value.
    public init(type: String, card: CardInput? = nil, id: String? = nil) {
        self.type = type
        self.card = card
        self.id = id
    }

    /// A card method.
    public static func card(_ number: String, expMonth: Int = 12, expYear: Int = 2034, cvc: String = "123") -> PaymentMethodInput {
        PaymentMethodInput(type: "card", card: CardInput(number: number, expMonth: expMonth, expYear: expYear, cvc: cvc))
    }
}

/// `POST /api/v1/payments/{id}/confirm`.
public struct ConfirmPaymentRequest: Codable, Sendable, Equatable {
    public var paymentMethod: PaymentMethodInput

    /// Creates the request.
    public init(paymentMethod: PaymentMethodInput) {
        self.paymentMethod = paymentMethod
    }
}

/// `POST /api/v1/payments/{id}/refunds`.
public struct RefundRequest: Codable, Sendable, Equatable {
    /// How much (at most what is captured and not yet refunded).
    public var amount: Money
    /// Why (kept with the refund).
    public var reason: String?

    /// Creates the request.
    public init(amount: Money, reason: String? = nil) {
        self.amount = amount
        self.reason = reason
    }
}

/// What a provider's webhook carries (the sandbox's own shape; Stripe's is translated to it).
public struct WebhookEvent: Codable, Sendable, Equatable {
    /// The provider's event id (deduplication key).
    public var id: String
    /// `payment.succeeded`, `payment.failed` or `refund.succeeded`.
    public var type: String
    public var createdAt: Date
    public var data: WebhookEventData

    /// Creates the value.
    public init(id: String, type: String, createdAt: Date, data: WebhookEventData) {
        self.id = id
        self.type = type
        self.createdAt = createdAt
        self.data = data
    }
}

/// The payment a webhook is about.
public struct WebhookEventData: Codable, Sendable, Equatable {
    public var paymentId: UUID
    /// The provider's id of the charge.
    public var providerReference: String
    /// The amount the event is about.
    public var amount: Money
    /// Decline code of a failure.
    public var failureCode: String?

    /// Creates the value.
    public init(paymentId: UUID, providerReference: String, amount: Money, failureCode: String? = nil) {
        self.paymentId = paymentId
        self.providerReference = providerReference
        self.amount = amount
        self.failureCode = failureCode
    }
}

/// `POST /internal/payments` (order): open the payment of an order; the same order again returns it.
public struct OpenPaymentRequest: Codable, Sendable, Equatable {
    public var orderId: UUID
    public var customerId: UUID
    public var amount: Money
    /// Where the hosted page sends the customer afterwards.
    public var returnUrl: String?

    /// Creates the request.
    public init(orderId: UUID, customerId: UUID, amount: Money, returnUrl: String? = nil) {
        self.orderId = orderId
        self.customerId = customerId
        self.amount = amount
        self.returnUrl = returnUrl
    }
}

/// `payment.succeeded`, `payment.failed`, `payment.refunded`.
public struct PaymentEventData: Codable, Sendable, Equatable {
    public var paymentId: UUID
    public var orderId: UUID
    public var customerId: UUID
    /// The payment's amount (succeeded, failed) or this refund's (refunded).
    public var amount: Money
    /// Refunded in total so far.
    public var refundedAmount: Money
    /// Captured in total.
    public var capturedAmount: Money
    /// The decline, for `payment.failed`.
    public var failure: PaymentFailure?

    /// Creates the value.
    public init(paymentId: UUID, orderId: UUID, customerId: UUID, amount: Money, refundedAmount: Money, capturedAmount: Money,
                failure: PaymentFailure? = nil) {
        self.paymentId = paymentId
        self.orderId = orderId
        self.customerId = customerId
        self.amount = amount
        self.refundedAmount = refundedAmount
        self.capturedAmount = capturedAmount
        self.failure = failure
    }
}

/// A VIP membership plan.
public enum MembershipPlan: String, Codable, Sendable, CaseIterable, SchemaEnumeration {
    case monthly, semiannual, annual

    /// How many calendar months one period lasts.
    public var months: Int {
        switch self {
        case .monthly: 1
        case .semiannual: 6
        case .annual: 12
        }
    }
}

/// Where a membership stands.
public enum MembershipStatus: String, Codable, Sendable, CaseIterable, SchemaEnumeration {
    /// Its first charge is being made.
    case incomplete
    /// Paid for the current period (VIP).
    case active
    /// A renewal failed; still VIP while the grace period lasts and the charge is retried.
    case pastDue = "past_due"
    /// Ended at the end of a period the member cancelled.
    case canceled
    /// Ended because no renewal succeeded within the grace period.
    case expired
    /// Its first charge was declined; it never started.
    case failed

    /// Whether this membership is the user's current one (at most one is).
    public var isLive: Bool { [.incomplete, .active, .pastDue].contains(self) }
}

/// A plan and its price.
public struct MembershipPlanDTO: Codable, Sendable, Equatable {
    public var plan: MembershipPlan
    /// The price of one period.
    public var price: Money
    /// How long one period lasts, in calendar months.
    public var months: Int

    /// Creates the value.
    public init(plan: MembershipPlan, price: Money, months: Int) {
        self.plan = plan
        self.price = price
        self.months = months
    }
}

/// `POST /api/v1/memberships`: subscribe, or (while a renewal is failing) pay with another card.
public struct CreateMembershipRequest: Codable, Sendable, Equatable {
    public var plan: MembershipPlan
    /// The card every period is charged to (kept by the provider; only brand and last four here).
    public var paymentMethod: PaymentMethodInput

    /// Creates the request.
    public init(plan: MembershipPlan, paymentMethod: PaymentMethodInput) {
        self.plan = plan
        self.paymentMethod = paymentMethod
    }
}

/// One charge of a membership: a period paid, or an attempt declined.
public struct MembershipChargeDTO: Codable, Sendable, Equatable {
    public var id: UUID
    public var amount: Money
    /// `succeeded` or `failed`.
    public var status: String
    /// The period the charge is for.
    public var periodStart: Date
    public var periodEnd: Date
    public var card: CardSummary?
    public var failure: PaymentFailure?
    public var createdAt: Date

    /// Creates the value.
    public init(id: UUID, amount: Money, status: String, periodStart: Date, periodEnd: Date, card: CardSummary?, failure: PaymentFailure?, createdAt: Date) {
        self.id = id
        self.amount = amount
        self.status = status
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.card = card
        self.failure = failure
        self.createdAt = createdAt
    }
}

/// A VIP membership.
public struct MembershipDTO: Codable, Sendable, Equatable {
    public var id: UUID
    public var plan: MembershipPlan
    public var status: MembershipStatus
    /// The price of one period.
    public var price: Money
    /// The period paid for (absent before the first charge succeeded).
    public var currentPeriodStart: Date?
    public var currentPeriodEnd: Date?
    /// The member cancelled: it ends at `currentPeriodEnd` and is not charged again.
    public var cancelAtPeriodEnd: Bool
    /// When the next charge is due (absent once it ends or is cancelled).
    public var nextChargeAt: Date?
    /// While `past_due`: when it expires unless a charge succeeds.
    public var graceEndsAt: Date?
    /// The card it is charged to.
    public var card: CardSummary?
    /// Why the last charge failed.
    public var lastFailure: PaymentFailure?
    /// When it ended (canceled, expired, failed).
    public var endedAt: Date?
    /// Every charge, newest first (the receipts).
    public var charges: [MembershipChargeDTO]
    public var createdAt: Date
    public var updatedAt: Date

    /// Creates the value.
    public init(id: UUID, plan: MembershipPlan, status: MembershipStatus, price: Money, currentPeriodStart: Date?, currentPeriodEnd: Date?,
                cancelAtPeriodEnd: Bool, nextChargeAt: Date?, graceEndsAt: Date?, card: CardSummary?, lastFailure: PaymentFailure?, endedAt: Date?,
                charges: [MembershipChargeDTO], createdAt: Date, updatedAt: Date) {
        self.id = id
        self.plan = plan
        self.status = status
        self.price = price
        self.currentPeriodStart = currentPeriodStart
        self.currentPeriodEnd = currentPeriodEnd
        self.cancelAtPeriodEnd = cancelAtPeriodEnd
        self.nextChargeAt = nextChargeAt
        self.graceEndsAt = graceEndsAt
        self.card = card
        self.lastFailure = lastFailure
        self.endedAt = endedAt
        self.charges = charges
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// `membership.activated`, `membership.renewed`, `membership.past_due`, `membership.expired`.
public struct MembershipEventData: Codable, Sendable, Equatable {
    public var membershipId: UUID
    /// The member.
    public var userId: UUID
    public var plan: MembershipPlan
    /// Until when it is paid for (for `expired`: when it ended).
    public var currentPeriodEnd: Date
    /// What was charged (activated, renewed) or failed to be (past_due).
    public var amount: Money?
    /// The card.
    public var card: CardSummary?
    /// Why the charge failed (past_due).
    public var failure: PaymentFailure?
    /// When it expires unless a charge succeeds (past_due).
    public var graceEndsAt: Date?
    /// Why it ended (expired): `cancelled` or `renewal_failed`.
    public var reason: String?

    /// Creates the value.
    public init(membershipId: UUID, userId: UUID, plan: MembershipPlan, currentPeriodEnd: Date, amount: Money? = nil, card: CardSummary? = nil,
                failure: PaymentFailure? = nil, graceEndsAt: Date? = nil, reason: String? = nil) {
        self.membershipId = membershipId
        self.userId = userId
        self.plan = plan
        self.currentPeriodEnd = currentPeriodEnd
        self.amount = amount
        self.card = card
        self.failure = failure
        self.graceEndsAt = graceEndsAt
        self.reason = reason
    }
}
