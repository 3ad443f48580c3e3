import Foundation
import HTTPTypes
import Logging
import PaymentAPI
import PlexusKit

/// What a provider says about a charge.
public enum ProviderOutcome: Sendable, Equatable {
    /// Captured.
    case succeeded(card: CardSummary?)
    /// Declined.
    case failed(PaymentFailure, card: CardSummary?)
    /// The customer must confirm again (3-D Secure and the like).
    case requiresAction(card: CardSummary?)
    /// Accepted; the outcome arrives later by webhook.
    case processing(card: CardSummary?)
    /// Never confirmed (a retrieve of an intent nobody paid).
    case unconfirmed
}

/// A card kept by the provider for charges made while the customer is away (memberships).
public struct SavedMethod: Sendable, Equatable {
    /// The provider's id of the card.
    public var reference: String
    /// Brand and last four.
    public var card: CardSummary
}

/// What an off-session charge did.
public struct ChargeResult: Sendable, Equatable {
    /// The provider's id of the charge (absent when it never got one).
    public var reference: String?
    /// Its outcome.
    public var outcome: ProviderOutcome
}

/// Where a subscription the provider bills stands (Stripe Billing).
public struct SubscriptionState: Sendable, Equatable {
    /// The provider's id of the subscription.
    public var reference: String
    /// `active`, `past_due`, `unpaid`, `canceled`, `incomplete`, `incomplete_expired`, …
    public var status: String
    /// The period the provider considers current.
    public var periodStart: Date
    public var periodEnd: Date
    /// The provider's id of the last invoice (a period's charge).
    public var latestInvoice: String?
    /// Why the last invoice's charge failed.
    public var failure: PaymentFailure?
    /// The card.
    public var card: CardSummary?
    /// The provider's customer.
    public var customer: String?
}

/// A payment provider: the sandbox or Stripe. Every call that moves money takes an idempotency key,
/// so a retried call never charges or refunds twice.
public protocol PaymentProvider: Sendable {
    /// Which provider.
    var name: PaymentProviderName { get }
    /// Opens a charge for `amount` (the same payment again returns the same charge).
    func createIntent(paymentID: UUID, amount: Money, logger: Logger) async throws -> (reference: String, clientSecret: String)
    /// Confirms the charge with a payment method.
    func confirm(reference: String, method: PaymentMethodInput, idempotencyKey: String, logger: Logger) async throws -> ProviderOutcome
    /// Asks where a charge stands (reconciliation).
    func retrieve(reference: String, logger: Logger) async throws -> ProviderOutcome
    /// Refunds part or all of a captured charge; returns the refund's reference.
    func refund(reference: String, amount: Money, idempotencyKey: String, logger: Logger) async throws -> String
    /// Keeps a card for later charges without the customer (a malformed card is a 422 problem).
    func saveMethod(_ method: PaymentMethodInput, logger: Logger) async throws -> SavedMethod
    /// Charges a saved card while the customer is away. `now` is the sandbox's clock (a card that
    /// has expired by then is declined); a real provider keeps its own.
    func charge(method reference: String, amount: Money, idempotencyKey: String, at now: Date, logger: Logger) async throws -> ChargeResult
    /// Whether the provider bills memberships itself (subscriptions with their own schedule); then
    /// the billing job only reconciles with it. Otherwise the billing job charges every period.
    var billsMemberships: Bool { get }
    /// Starts a subscription to `plan` on a saved card, paying the first period at once (a decline
    /// is a 402 problem and starts nothing).
    func startSubscription(method: String, plan: MembershipPlan, membershipID: UUID, idempotencyKey: String, logger: Logger) async throws -> SubscriptionState
    /// Where a subscription stands.
    func subscription(_ reference: String, logger: Logger) async throws -> SubscriptionState
    /// Cancels at the end of the period (`true`) or resumes.
    func setCancelAtPeriodEnd(_ reference: String, _ cancel: Bool, logger: Logger) async throws
    /// Ends a subscription now.
    func cancelSubscription(_ reference: String, logger: Logger) async throws
    /// Pays a subscription's outstanding invoice with another card (which becomes its card).
    func payOutstanding(_ reference: String, method: PaymentMethodInput, idempotencyKey: String, logger: Logger) async throws -> SubscriptionState
    /// Verifies a webhook's signature and reads its event (a refusal is a 400 problem).
    func webhookEvent(headers: HTTPFields, body: Data, now: Date) throws -> WebhookEvent
}

/// Runs a call to the provider: its refusals (4xx problems) pass as they are; anything else is an
/// outage of the provider, a 503 `provider_unavailable` saying `outage`.
func providerCall<T: Sendable>(_ outage: String = "The payment provider cannot be reached.", _ call: () async throws -> T) async throws -> T {
    do {
        return try await call()
    } catch let problem as ProblemError where problem.status.code < 500 {
        throw problem
    } catch {
        throw ProblemError.unavailable(outage, code: "provider_unavailable", retryAfter: 5)
    }
}

extension PaymentProvider {
    public var billsMemberships: Bool { false }

    public func startSubscription(method: String, plan: MembershipPlan, membershipID: UUID, idempotencyKey: String,
                                  logger: Logger) async throws -> SubscriptionState {
        throw ProblemError(.notImplemented, code: "not_supported", detail: "\(name.rawValue) does not bill subscriptions.")
    }

    public func subscription(_ reference: String, logger: Logger) async throws -> SubscriptionState {
        throw ProblemError(.notImplemented, code: "not_supported", detail: "\(name.rawValue) does not bill subscriptions.")
    }

    public func setCancelAtPeriodEnd(_ reference: String, _ cancel: Bool, logger: Logger) async throws {}

    public func cancelSubscription(_ reference: String, logger: Logger) async throws {}

    public func payOutstanding(_ reference: String, method: PaymentMethodInput, idempotencyKey: String, logger: Logger) async throws -> SubscriptionState {
        throw ProblemError(.notImplemented, code: "not_supported", detail: "\(name.rawValue) does not bill subscriptions.")
    }
}
