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

    /// Whether `slug` is already in canonical form.
    public static func isValid(_ slug: String) -> Bool {
        !slug.isEmpty && slug.count <= maximumLength && make(from: slug) == slug
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
