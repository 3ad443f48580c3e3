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

    /// Digits after the decimal point in `currency` (ISO 4217: 0 for JPY, KRW…, 3 for BHD, KWD…, 2 otherwise).
    public static func exponent(of currency: String) -> Int {
        switch currency {
        case "JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF": 0
        case "BHD", "KWD", "OMR", "JOD", "TND", "IQD", "LYD": 3
        default: 2
        }
    }

    /// For people: `USD 1,234.50`, `JPY 1,500`.
    public var displayString: String {
        let exponent = Money.exponent(of: currency)
        var divisor = 1
        for _ in 0..<exponent { divisor *= 10 }
        let whole = String(abs(amount) / divisor)
        var grouped = ""
        for (index, digit) in whole.enumerated() {
            if index > 0 && (whole.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        let sign = amount < 0 ? "−" : ""
        guard exponent > 0 else { return "\(currency) \(sign)\(grouped)" }
        let fraction = String(abs(amount) % divisor)
        return "\(currency) \(sign)\(grouped).\(String(repeating: "0", count: exponent - fraction.count))\(fraction)"
    }
}
