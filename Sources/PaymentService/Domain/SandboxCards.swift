import Foundation
import PaymentAPI
import PlexusKit

/// The sandbox's test cards, like Stripe's: the number decides what the "card network" answers.
///
/// | number | outcome |
/// | --- | --- |
/// | 4242 4242 4242 4242 | succeeds |
/// | 4000 0000 0000 0002 | declined (`card_declined`) |
/// | 4000 0000 0000 9995 | declined (`insufficient_funds`) |
/// | 4000 0025 0000 3155 | needs a second confirmation, then succeeds |
/// | 4000 0000 0000 0077 | accepted for processing; settles a moment later by webhook |
/// | 5555 5555 5555 4444 | succeeds (Mastercard) |
///
/// Any other well-formed number is declined: the sandbox never charges a real card.
public enum SandboxCards {
    /// What the network does with a card.
    public enum Behaviour: Equatable, Sendable {
        case succeed
        case decline(code: String, message: String)
        case secondConfirmation
        case processing

        /// How the sandbox's vault keeps it (never the number).
        var stored: String {
            switch self {
            case .succeed: "succeed"
            case .decline(let code, _): "decline:" + code
            case .secondConfirmation: "second_confirmation"
            case .processing: "processing"
            }
        }

        /// The behaviour a saved card was stored with.
        init(stored: String) {
            switch stored {
            case "succeed": self = .succeed
            case "second_confirmation": self = .secondConfirmation
            case "processing": self = .processing
            default:
                let code = stored.hasPrefix("decline:") ? String(stored.dropFirst("decline:".count)) : "card_declined"
                self = .decline(code: code, message: code == "insufficient_funds" ? "The card has insufficient funds." : "The card was declined.")
            }
        }
    }

    /// A card's number, brand and last four, or the field errors of a malformed card.
    public struct Checked: Equatable, Sendable {
        public var number: String
        public var summary: CardSummary
    }

    /// Validates a card as typed: digits (spaces and dashes ignored), Luhn, expiry, CVC.
    public static func check(_ card: CardInput, now: Date = Date()) -> Result<Checked, ProblemError> {
        let digits = card.number.filter { $0 != " " && $0 != "-" }
        var errors: [FieldError] = []
        if !(12...19).contains(digits.count) || !digits.allSatisfy({ $0.isASCII && $0.isNumber }) || !luhn(digits) {
            errors.append(FieldError(field: "paymentMethod.card.number", code: "invalid_number", message: "This is not a valid card number."))
        }
        if !(1...12).contains(card.expMonth) {
            errors.append(FieldError(field: "paymentMethod.card.expMonth", code: "invalid_expiry", message: "Use a month from 1 to 12."))
        }
        if !(2000...2100).contains(card.expYear) {
            errors.append(FieldError(field: "paymentMethod.card.expYear", code: "invalid_expiry", message: "Use a four-digit year."))
        }
        if !(3...4).contains(card.cvc.count) || !card.cvc.allSatisfy({ $0.isASCII && $0.isNumber }) {
            errors.append(FieldError(field: "paymentMethod.card.cvc", code: "invalid_cvc", message: "Use the 3 or 4 digits on the card."))
        }
        guard errors.isEmpty else { return .failure(ProblemError.validation(errors)) }
        return .success(Checked(number: digits, summary: CardSummary(brand: brand(digits), last4: String(digits.suffix(4)))))
    }

    /// Whether the card has expired at `now` (valid through the end of its month, UTC).
    public static func expired(_ card: CardInput, now: Date) -> Bool {
        expired(month: card.expMonth, year: card.expYear, now: now)
    }

    /// Whether a card valid through `month`/`year` has expired at `now`.
    public static func expired(month: Int, year: Int, now: Date) -> Bool {
        let parts = Calendar.utc.dateComponents([.year, .month], from: now)
        return (year, month) < (parts.year ?? 0, parts.month ?? 0)
    }

    /// What the network does with `number`.
    public static func behaviour(of number: String) -> Behaviour {
        switch number {
        case "4242424242424242", "5555555555554444": .succeed
        case "4000000000000002": .decline(code: "card_declined", message: "The card was declined.")
        case "4000000000009995": .decline(code: "insufficient_funds", message: "The card has insufficient funds.")
        case "4000002500003155": .secondConfirmation
        case "4000000000000077": .processing
        default: .decline(code: "card_declined", message: "The sandbox accepts test cards only (4242 4242 4242 4242 succeeds).")
        }
    }

    static func luhn(_ digits: String) -> Bool {
        var sum = 0
        for (index, character) in digits.reversed().enumerated() {
            guard var value = character.wholeNumberValue else { return false }
            if index % 2 == 1 { value *= 2; if value > 9 { value -= 9 } }
            sum += value
        }
        return sum % 10 == 0
    }

    static func brand(_ digits: String) -> String {
        if digits.hasPrefix("4") { return "visa" }
        if let two = Int(digits.prefix(2)), (51...55).contains(two) { return "mastercard" }
        if let four = Int(digits.prefix(4)), (2221...2720).contains(four) { return "mastercard" }
        if digits.hasPrefix("34") || digits.hasPrefix("37") { return "amex" }
        if digits.hasPrefix("6011") || digits.hasPrefix("65") { return "discover" }
        return "unknown"
    }
}
