import CatalogAPI
import Foundation
import PlexusKit

/// Field rules shared by the catalogue's request bodies. Pure: tested with tables of cases.
enum CatalogRules {
    static let maxVariants = 100
    static let maxStock = 1_000_000
    static let maxPrice = 100_000_000_00 // a hundred million in minor units

    static func text(_ value: String?, field: String, max: Int, required: Bool = false) -> [FieldError] {
        guard let value else { return required ? [FieldError(field: field, code: "required", message: "This field is required.")] : [] }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if required && trimmed.isEmpty { return [FieldError(field: field, code: "required", message: "This field is required.")] }
        if value.storedLength > max { return [FieldError(field: field, code: "too_long", message: "Use at most \(max) characters.")] }
        return []
    }

    static func slug(_ value: String?, field: String = "slug") -> [FieldError] {
        guard let value else { return [] }
        return Slug.isValid(value) ? [] : [FieldError(field: field, code: "invalid_slug", message: "Use lower-case letters, digits and single hyphens (at most \(Slug.maximumLength)).")]
    }

    static func dictionary(_ values: [String: String]?, field: String, maxEntries: Int) -> [FieldError] {
        guard let values else { return [] }
        if values.count > maxEntries { return [FieldError(field: field, code: "too_many", message: "Use at most \(maxEntries) entries.")] }
        for (key, value) in values {
            if key.trimmingCharacters(in: .whitespaces).isEmpty || key.storedLength > 50 || value.storedLength > 200 {
                return [FieldError(field: "\(field).\(key)", code: "invalid", message: "Names take 1–50 characters, values at most 200.")]
            }
        }
        return []
    }

    static func sku(_ value: String, field: String) -> [FieldError] {
        let allowed = value.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
        return (1...64).contains(value.count) && allowed ? [] : [FieldError(field: field, code: "invalid_sku", message: "Use 1–64 letters, digits, '.', '_' or '-'.")]
    }

    static func price(_ money: Money, field: String) -> [FieldError] {
        var errors = money.validate(field: field)
        if errors.isEmpty, money.amount > maxPrice {
            errors.append(FieldError(field: "\(field).amount", code: "too_large", message: "The amount is too large."))
        }
        return errors
    }

    static func prices(price: Money?, compareAt: Money?, field: String) -> [FieldError] {
        var errors = price.map { Self.price($0, field: "\(field)price") } ?? []
        if let compareAt {
            errors += Self.price(compareAt, field: "\(field)compareAtPrice")
            if let price, errors.isEmpty, compareAt.currency != price.currency || compareAt.amount < price.amount {
                errors.append(FieldError(field: "\(field)compareAtPrice", code: "below_price", message: "The compare-at price is at least the price, in the same currency."))
            }
        }
        return errors
    }

    static func position(_ value: Int?) -> [FieldError] {
        guard let value, !(0...10_000).contains(value) else { return [] }
        return [FieldError(field: "position", code: "out_of_range", message: "Use 0 to 10000.")]
    }

    static func stock(_ value: Int?, field: String) -> [FieldError] {
        guard let value else { return [] }
        return (0...maxStock).contains(value) ? [] : [FieldError(field: field, code: "out_of_range", message: "Use 0 to \(maxStock).")]
    }

    /// Every price must be in the catalogue's currency (one currency per catalogue keeps price
    /// filters and sorts meaningful).
    static func currency(_ prices: [(String, Money?)], expected: String) -> [FieldError] {
        prices.compactMap { field, money in
            guard let money, money.currency != expected else { return nil }
            return FieldError(field: "\(field).currency", code: "unsupported_currency", message: "This catalogue sells in \(expected).")
        }
    }
}

extension CreateCategoryRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["name", "slug", "parentId", "position"]
    public func validate() -> [FieldError] {
        CatalogRules.text(name, field: "name", max: 100, required: true) + CatalogRules.slug(slug) + CatalogRules.position(position)
    }
}

extension UpdateCategoryRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["name", "slug", "parentId", "position"]
    public func validate() -> [FieldError] {
        CatalogRules.text(name, field: "name", max: 100, required: name != nil) + CatalogRules.slug(slug) + CatalogRules.position(position)
    }
}

extension CreateVariantRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["sku", "options", "price", "compareAtPrice", "stock"]
    public static let nestedKeys: [String: Set<String>] = ["price": moneyKeys, "compareAtPrice": moneyKeys]
    public func validate() -> [FieldError] { validate(prefix: "") }

    func validate(prefix: String) -> [FieldError] {
        CatalogRules.sku(sku, field: prefix + "sku")
            + CatalogRules.dictionary(options, field: prefix + "options", maxEntries: 10)
            + CatalogRules.prices(price: price, compareAt: compareAtPrice, field: prefix)
            + CatalogRules.stock(stock, field: prefix + "stock")
    }
}

extension CreateProductRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["name", "description", "categoryId", "status", "slug", "attributes", "variants", "shopId"]
    public static let nestedKeys: [String: Set<String>] = [
        "variants[]": CreateVariantRequest.allowedKeys, "variants[].price": moneyKeys, "variants[].compareAtPrice": moneyKeys,
    ]
    public func validate() -> [FieldError] {
        var errors = CatalogRules.text(name, field: "name", max: 200, required: true)
            + CatalogRules.text(description, field: "description", max: 20_000)
            + CatalogRules.slug(slug)
            + CatalogRules.dictionary(attributes, field: "attributes", maxEntries: 30)
        if status == .archived { errors.append(FieldError(field: "status", code: "invalid_status", message: "Create as draft or published.")) }
        if variants.isEmpty || variants.count > CatalogRules.maxVariants {
            errors.append(FieldError(field: "variants", code: "count", message: "Give 1 to \(CatalogRules.maxVariants) variants."))
        }
        var seen = Set<String>()
        for (index, variant) in variants.enumerated() {
            errors += variant.validate(prefix: "variants[\(index)].")
            if !seen.insert(variant.sku.lowercased()).inserted {
                errors.append(FieldError(field: "variants[\(index)].sku", code: "duplicate_sku", message: "Each variant needs its own SKU."))
            }
        }
        return errors
    }
}

extension UpdateProductRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["name", "description", "categoryId", "status", "slug", "attributes"]
    public func validate() -> [FieldError] {
        CatalogRules.text(name, field: "name", max: 200, required: name != nil)
            + CatalogRules.text(description, field: "description", max: 20_000)
            + CatalogRules.slug(slug)
            + CatalogRules.dictionary(attributes, field: "attributes", maxEntries: 30)
    }
}

extension UpdateVariantRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["sku", "options", "price", "compareAtPrice"]
    public static let nestedKeys: [String: Set<String>] = ["price": moneyKeys, "compareAtPrice": moneyKeys]
    public func validate() -> [FieldError] {
        (sku.map { CatalogRules.sku($0, field: "sku") } ?? [])
            + CatalogRules.dictionary(options, field: "options", maxEntries: 10)
            + (price.map { CatalogRules.price($0, field: "price") } ?? [])
            + (compareAtPrice.flatMap { $0 }.map { CatalogRules.price($0, field: "compareAtPrice") } ?? [])
    }
}

extension SetStockRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["onHand"]
    public func validate() -> [FieldError] { CatalogRules.stock(onHand, field: "onHand") }
}

extension AttachImageRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["mediaId", "position"]
    public func validate() -> [FieldError] {
        guard let position, !(0...99).contains(position) else { return [] }
        return [FieldError(field: "position", code: "out_of_range", message: "Use 0 to 99.")]
    }
}

extension ReserveRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["orderId", "lines", "holdSeconds"]
    public static let nestedKeys: [String: Set<String>] = ["lines[]": ["variantId", "quantity"]]
    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        if lines.isEmpty || lines.count > 100 { errors.append(FieldError(field: "lines", code: "count", message: "Give 1 to 100 lines.")) }
        for (index, line) in lines.enumerated() where !(1...1000).contains(line.quantity) {
            errors.append(FieldError(field: "lines[\(index)].quantity", code: "out_of_range", message: "Use 1 to 1000."))
        }
        if let holdSeconds, !(10...86_400).contains(holdSeconds) {
            errors.append(FieldError(field: "holdSeconds", code: "out_of_range", message: "Use 10 to 86400 seconds."))
        }
        return errors
    }
}
