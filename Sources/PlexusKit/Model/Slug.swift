import Foundation

/// URL slugs: lower-case ASCII letters, digits and single hyphens.
public enum Slug {
    /// The longest slug accepted.
    public static let maximumLength = 80

    /// A slug made from free text ("Café & Bar!" → "cafe-bar"); empty when nothing usable is left.
    public static func make(from text: String) -> String {
        let folded = text.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: Locale(identifier: "en_US_POSIX")).lowercased()
        var slug = ""
        var pendingHyphen = false
        for scalar in folded.unicodeScalars {
            if scalar.isASCII, CharacterSet.alphanumerics.contains(scalar) {
                if pendingHyphen, !slug.isEmpty { slug.append("-") }
                pendingHyphen = false
                slug.unicodeScalars.append(scalar)
            } else {
                pendingHyphen = true
            }
            if slug.count >= maximumLength { break }
        }
        return slug
    }

    /// Whether `slug` is already in canonical form: what ``make(from:)`` makes of a text, i.e. 1 to
    /// ``maximumLength`` of `a-z`, `0-9` and single hyphens between them. Byte by byte: every
    /// product and shop read by slug asks (folding the text as `make` does cost a locale per call).
    public static func isValid(_ slug: String) -> Bool {
        let bytes = slug.utf8
        guard (1...maximumLength).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else { return false }
        var previousHyphen = false
        for byte in bytes {
            let hyphen = byte == UInt8(ascii: "-")
            guard hyphen ? !previousHyphen : (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            else { return false }
            previousHyphen = hyphen
        }
        return true
    }

    /// `slug` with a short suffix taken from `id`, for when the plain slug is taken.
    public static func disambiguated(_ slug: String, id: UUID) -> String {
        let suffix = String(id.uuidString.lowercased().replacingOccurrences(of: "-", with: "").suffix(6))
        return String(slug.prefix(maximumLength - 7)) + "-" + suffix
    }
}

/// A resource named by its id or by its slug, as in `/products/{idOrSlug}`.
public enum IDOrSlug: Sendable, Equatable {
    /// By id.
    case id(UUID)
    /// By slug (already valid).
    case slug(String)

    /// Reads `raw`; `nil` when it is neither a UUID nor a valid slug.
    public init?(_ raw: String) {
        if let id = UUID(uuidString: raw) {
            self = .id(id)
        } else if Slug.isValid(raw) {
            self = .slug(raw)
        } else {
            return nil
        }
    }

    /// A stable key for caches.
    public var key: String {
        switch self {
        case .id(let id): id.uuidString
        case .slug(let slug): slug
        }
    }
}
