import Foundation

/// Shared JSON coders: RFC 3339 dates, compact output (no pretty printing on hot paths).
public enum JSON {
    /// The encoder used for every response body and event payload.
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.string(from: date))
        }
        return encoder
    }()

    /// The encoder for bodies whose bytes must be the same every time (sorted keys): an `ETag`
    /// computed from them is then equal on every replica and for every re-encoding of equal data.
    public static let canonicalEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = JSON.encoder.dateEncodingStrategy
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// The decoder used for request bodies and upstream responses.
    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let raw = try container.decode(String.self)
            guard let date = RFC3339.date(from: raw) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an RFC 3339 timestamp")
            }
            return date
        }
        return decoder
    }()
}

/// RFC 3339 timestamps in UTC with millisecond precision.
public enum RFC3339 {
    /// Formats `date` as `2026-11-25T10:00:00.000Z` (hand-rolled: it runs for every timestamp of
    /// every response, and Foundation's format styles cost microseconds each).
    public static func string(from date: Date) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        append(date, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `date` as `string(from:)` writes it, without making a string first.
    public static func append(_ date: Date, to bytes: inout [UInt8]) {
        let millisecondsTotal = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(millisecondsTotal >= 0 ? millisecondsTotal / 1000 : (millisecondsTotal - 999) / 1000)
        let milliseconds = Int(millisecondsTotal - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int, _ width: Int) {
            // a year beyond 9999 keeps all its digits, as `String` would
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor <= value / 10 { divisor *= 10 }
            var value = value
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(value / divisor))
                value %= divisor
                divisor /= 10
            }
        }
        let year = Int(parts.tm_year) + 1900
        if year < 0 { bytes.append(UInt8(ascii: "-")) }
        digits(abs(year), 4)
        bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        bytes.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2)
        bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        bytes.append(UInt8(ascii: "."))
        digits(milliseconds, 3)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Parses an RFC 3339 string with or without fractional seconds.
    public static func date(from string: String) -> Date? {
        if let date = try? Date(string, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)) {
            return date
        }
        return try? Date(string, strategy: .iso8601)
    }
}

/// A request body type whose accepted keys are known, so unknown fields can be refused (no mass
/// assignment).
public protocol RequestBody: Decodable, Sendable {
    /// The JSON keys this body accepts.
    static var allowedKeys: Set<String> { get }
    /// Field-level validation run after decoding; an empty list means valid.
    func validate() -> [FieldError]
    /// The accepted keys of nested objects, by path (`price`, `variants[]`, `variants[].price`).
    /// Objects at paths not listed (free-form maps such as `attributes`) are not checked.
    static var nestedKeys: [String: Set<String>] { get }
}

extension RequestBody {
    /// No extra validation by default.
    public func validate() -> [FieldError] { [] }
    /// No nested objects by default.
    public static var nestedKeys: [String: Set<String>] { [:] }
}

/// The keys of a ``Money`` object, for ``RequestBody/nestedKeys``.
public let moneyKeys: Set<String> = ["amount", "currency"]

extension RequestBody where Self: Decodable {
    /// Derives the allowed keys from a `CaseIterable` coding-key enum.
    public static func keys<K: CodingKey & CaseIterable>(_ type: K.Type) -> Set<String> {
        Set(K.allCases.map(\.stringValue))
    }
}

extension StringProtocol {
    /// The length PostgreSQL's `length()` and `varchar(n)` count: Unicode code points. Swift's
    /// `count` counts grapheme clusters, which combining marks keep at one; a limit checked with it
    /// lets a longer string reach a database constraint.
    public var storedLength: Int { unicodeScalars.count }
}
