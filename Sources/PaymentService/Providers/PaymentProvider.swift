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
    /// Verifies a webhook's signature and reads its event (a refusal is a 400 problem).
    func webhookEvent(headers: HTTPFields, body: Data, now: Date) throws -> WebhookEvent
}
