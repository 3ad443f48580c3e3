/// An amount of money in integer minor units of an ISO 4217 currency. Never floating point.
public struct Money: Codable, Hashable, Sendable, CustomStringConvertible {
    /// Amount in minor units (cents for USD).
    public var amount: Int
    /// Upper-case ISO 4217 code.
    public var currency: String

    /// Creates money; `currency` is stored upper case.
    public init(amount: Int, currency: String) {
        self.amount = amount
        self.currency = currency.uppercased()
    }

    /// Zero in `currency`.
    public static func zero(_ currency: String) -> Money { Money(amount: 0, currency: currency) }

    /// `true` for a three-letter upper-case code.
    public static func isValidCurrency(_ code: String) -> Bool {
        code.utf8.count == 3 && code.utf8.allSatisfy { $0 >= 0x41 && $0 <= 0x5A }
    }

    /// Validation failures for a client-supplied amount (non-negative, known currency shape).
    public func validate(field: String) -> [FieldError] {
        var errors: [FieldError] = []
        if amount < 0 { errors.append(FieldError(field: "\(field).amount", code: "negative", message: "Amounts cannot be negative.")) }
        if !Money.isValidCurrency(currency) {
            errors.append(FieldError(field: "\(field).currency", code: "invalid_currency", message: "Use an ISO 4217 code such as USD."))
        }
        return errors
    }

    /// Adds two amounts of the same currency; `nil` on a currency mismatch or overflow.
    public func adding(_ other: Money) -> Money? {
        guard currency == other.currency else { return nil }
        let (sum, overflow) = amount.addingReportingOverflow(other.amount)
        return overflow ? nil : Money(amount: sum, currency: currency)
    }

    /// Multiplies by a quantity; `nil` on overflow.
    public func times(_ quantity: Int) -> Money? {
        let (product, overflow) = amount.multipliedReportingOverflow(by: quantity)
        return overflow ? nil : Money(amount: product, currency: currency)
    }

    /// `1999 USD`.
    public var description: String { "\(amount) \(currency)" }
}
