import Foundation

/// A postal address: the fields of an address-book entry and of an order's shipping address, with
/// the one set of rules both use.
public struct PostalAddress: Codable, Sendable, Equatable {
    public var name: String
    public var line1: String
    public var line2: String?
    public var city: String
    public var region: String?
    public var postalCode: String
    /// ISO 3166-1 alpha-2.
    public var country: String
    public var phone: String?

    /// Creates the value.
    public init(name: String, line1: String, line2: String? = nil, city: String, region: String? = nil, postalCode: String, country: String,
                phone: String? = nil) {
        self.name = name
        self.line1 = line1
        self.line2 = line2
        self.city = city
        self.region = region
        self.postalCode = postalCode
        self.country = country
        self.phone = phone
    }

    /// Every field trimmed (empty optional fields dropped, the country upper case), and what is
    /// missing or malformed, with field names under `prefix` (`shippingAddress.`).
    public func normalized(fieldPrefix prefix: String = "") -> (PostalAddress, [FieldError]) {
        func clean(_ value: String?) -> String? {
            let trimmed = value?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            return trimmed.isEmpty ? nil : trimmed
        }
        let address = PostalAddress(name: clean(name) ?? "", line1: clean(line1) ?? "", line2: clean(line2), city: clean(city) ?? "",
                                    region: clean(region), postalCode: clean(postalCode) ?? "", country: (clean(country) ?? "").uppercased(),
                                    phone: clean(phone))
        var errors: [FieldError] = []
        for (field, value) in [("name", address.name), ("line1", address.line1), ("city", address.city), ("postalCode", address.postalCode)] {
            if value.isEmpty { errors.append(FieldError(field: prefix + field, code: "required", message: "This field is required.")) }
            if value.storedLength > 200 { errors.append(FieldError(field: prefix + field, code: "too_long", message: "Use at most 200 characters.")) }
        }
        for (field, value) in [("line2", address.line2), ("region", address.region)] where (value?.storedLength ?? 0) > 200 {
            errors.append(FieldError(field: prefix + field, code: "too_long", message: "Use at most 200 characters."))
        }
        if address.country.count != 2 || !address.country.allSatisfy({ $0.isASCII && $0.isLetter }) {
            errors.append(FieldError(field: prefix + "country", code: "invalid_country", message: "Use an ISO 3166-1 alpha-2 code such as US."))
        }
        if let phone = address.phone, phone.storedLength > 32 || !phone.allSatisfy({ $0.isNumber || " +-().".contains($0) }) {
            errors.append(FieldError(field: prefix + "phone", code: "invalid_phone", message: "Use digits, spaces and + - ( ) only."))
        }
        return (address, errors)
    }
}
