import Foundation
import PaymentAPI
import PlexusKit

extension PaymentMethodInput {
    /// The keys of a payment method object, for ``RequestBody/nestedKeys``.
    static let nestedKeys: [String: Set<String>] = [
        "paymentMethod": ["type", "card", "id"],
        "paymentMethod.card": ["number", "expMonth", "expYear", "cvc"],
    ]

    func validate() -> [FieldError] {
        guard ["card", "stripe"].contains(type) else {
            return [FieldError(field: "paymentMethod.type", code: "invalid", message: "Use card (sandbox) or stripe.")]
        }
        if let card, card.number.storedLength > 40 || card.cvc.storedLength > 8 {
            return [FieldError(field: "paymentMethod.card", code: "too_long", message: "The card details are too long.")]
        }
        return []
    }
}

extension ConfirmPaymentRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["paymentMethod"]
    public static let nestedKeys = PaymentMethodInput.nestedKeys
    public func validate() -> [FieldError] { paymentMethod.validate() }
}

extension CreateMembershipRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["plan", "paymentMethod"]
    public static let nestedKeys = PaymentMethodInput.nestedKeys
    public func validate() -> [FieldError] { paymentMethod.validate() }
}

extension RefundRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["amount", "reason"]
    public static let nestedKeys: [String: Set<String>] = ["amount": ["amount", "currency"]]
    public func validate() -> [FieldError] {
        var errors = amount.validate(field: "amount")
        if amount.amount == 0 { errors.append(FieldError(field: "amount.amount", code: "zero", message: "Refund at least 1.")) }
        if let reason, reason.storedLength > 500 { errors.append(FieldError(field: "reason", code: "too_long", message: "Use at most 500 characters.")) }
        return errors
    }
}

extension OpenPaymentRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["orderId", "customerId", "amount", "returnUrl"]
    public static let nestedKeys: [String: Set<String>] = ["amount": ["amount", "currency"]]
    public func validate() -> [FieldError] {
        var errors = amount.validate(field: "amount")
        if amount.amount == 0 { errors.append(FieldError(field: "amount.amount", code: "zero", message: "A payment is for at least 1.")) }
        return errors
    }
}
