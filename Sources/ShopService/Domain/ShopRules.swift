import Foundation
import PlexusKit
import ShopAPI

enum ShopRules {
    static func name(_ value: String?, required: Bool) -> [FieldError] {
        guard let value else { return required ? [FieldError(field: "name", code: "required", message: "This field is required.")] : [] }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (2...100).contains(trimmed.storedLength), !Slug.make(from: trimmed).isEmpty else {
            return [FieldError(field: "name", code: "invalid", message: "Use 2–100 characters including letters or digits.")]
        }
        return []
    }

    static func description(_ value: String?) -> [FieldError] {
        (value?.storedLength ?? 0) > 2_000 ? [FieldError(field: "description", code: "too_long", message: "Use at most 2000 characters.")] : []
    }
}

extension CreateShopRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["name", "description"]
    public func validate() -> [FieldError] { ShopRules.name(name, required: true) + ShopRules.description(description) }
}

extension UpdateShopRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["name", "description"]
    public func validate() -> [FieldError] { ShopRules.name(name, required: false) + ShopRules.description(description) }
}

/// A sales period from `from`/`to` (`YYYY-MM-DD`, inclusive, UTC): the last 30 days by default,
/// at most 366 days.
struct SalesPeriod: Equatable {
    var from: Date
    var to: Date

    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    static func day(_ text: String) -> Date? {
        let parts = text.split(separator: "-")
        guard text.count == 10, parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        let components = DateComponents(year: y, month: m, day: d)
        guard let date = calendar.date(from: components), calendar.dateComponents([.year, .month, .day], from: date) == components else { return nil }
        return date
    }

    static func format(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }

    init(query: [String: String], now: Date = Date()) throws {
        var errors = QueryRules.unknownParameters(query, allowed: ["from", "to"])
        let today = Self.calendar.startOfDay(for: now)
        var to = today
        if let raw = query["to"] { if let day = Self.day(raw) { to = day } else { errors.append(FieldError(field: "to", code: "invalid_date", message: "Use YYYY-MM-DD.")) } }
        var from = Self.calendar.date(byAdding: .day, value: -29, to: to)!
        if let raw = query["from"] { if let day = Self.day(raw) { from = day } else { errors.append(FieldError(field: "from", code: "invalid_date", message: "Use YYYY-MM-DD.")) } }
        if errors.isEmpty {
            if from > to { errors.append(FieldError(field: "from", code: "invalid_range", message: "from is after to.")) }
            else if to.timeIntervalSince(from) > 366 * 86_400 { errors.append(FieldError(field: "from", code: "too_long", message: "Ask for at most 366 days.")) }
        }
        if !errors.isEmpty { throw ProblemError.invalidQuery(errors) }
        self.from = from
        self.to = to
    }
}
