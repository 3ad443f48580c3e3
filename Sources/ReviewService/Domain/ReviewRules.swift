import Foundation
import PlexusKit
import ReviewAPI

/// The rules of review bodies, names and list queries. Pure: tested with tables of cases.
enum ReviewRules {
    static let maxPhotos = 5
    static let titleLength = 1...150
    static let bodyLength = 1...5_000
    static let replyLength = 1...2_000
    static let reasonLength = 1...500

    /// A text field: trimmed length within `range` code points, and no control characters but line
    /// breaks and tabs where `multiline` (a NUL cannot be stored, the others only hide text).
    static func text(_ value: String?, field: String, _ range: ClosedRange<Int>, multiline: Bool, required: Bool) -> [FieldError] {
        guard let value else { return required ? [FieldError(field: field, code: "required", message: "This field is required.")] : [] }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return [FieldError(field: field, code: "required", message: "Write something here.")] }
        if trimmed.storedLength > range.upperBound {
            return [FieldError(field: field, code: "too_long", message: "Use at most \(range.upperBound) characters.")]
        }
        let allowed: Set<Unicode.Scalar> = multiline ? ["\n", "\r", "\t"] : []
        if trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !allowed.contains($0) }) {
            return [FieldError(field: field, code: "invalid_characters", message: multiline ? "Control characters other than line breaks are not allowed."
                                                                                                    : "Control characters and line breaks are not allowed.")]
        }
        return []
    }

    static func rating(_ value: Int?, required: Bool) -> [FieldError] {
        guard let value else { return required ? [FieldError(field: "rating", code: "required", message: "Give 1 to 5 stars.")] : [] }
        return (1...5).contains(value) ? [] : [FieldError(field: "rating", code: "out_of_range", message: "Give 1 to 5 stars.")]
    }

    static func photos(_ ids: [UUID]?) -> [FieldError] {
        guard let ids else { return [] }
        if ids.count > maxPhotos { return [FieldError(field: "mediaIds", code: "too_many", message: "Attach at most \(maxPhotos) photos.")] }
        if Set(ids).count != ids.count { return [FieldError(field: "mediaIds", code: "duplicate", message: "Each photo once.")] }
        return []
    }

    /// What the public sees of a reviewer's name: the first name and the initial of the last
    /// (`Ada Lovelace` → `Ada L.`), at most 40 characters; `A customer` for an empty name.
    static func displayName(_ name: String) -> String {
        let words = name.split(whereSeparator: { $0.isWhitespace || $0.isNewline }).map(String.init)
            .map { String($0.unicodeScalars.filter { $0.properties.generalCategory != .control }.map(Character.init)) }.filter { !$0.isEmpty }
        guard let first = words.first else { return "A customer" }
        let shown = String(first.prefix(30))
        guard words.count > 1, let initial = words.last?.first else { return shown }
        return "\(shown) \(initial.uppercased())."
    }
}

extension CreateReviewRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["rating", "title", "body", "mediaIds"]
    public func validate() -> [FieldError] {
        ReviewRules.rating(rating, required: true)
            + ReviewRules.text(title, field: "title", ReviewRules.titleLength, multiline: false, required: true)
            + ReviewRules.text(body, field: "body", ReviewRules.bodyLength, multiline: true, required: true)
            + ReviewRules.photos(mediaIds)
    }
}

extension UpdateReviewRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["rating", "title", "body", "mediaIds"]
    public func validate() -> [FieldError] {
        ReviewRules.rating(rating, required: false)
            + ReviewRules.text(title, field: "title", ReviewRules.titleLength, multiline: false, required: false)
            + ReviewRules.text(body, field: "body", ReviewRules.bodyLength, multiline: true, required: false)
            + ReviewRules.photos(mediaIds)
    }
}

extension ReplyRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["body"]
    public func validate() -> [FieldError] {
        ReviewRules.text(body, field: "body", ReviewRules.replyLength, multiline: true, required: true)
    }
}

extension ReportReviewRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["reason"]
    public func validate() -> [FieldError] {
        ReviewRules.text(reason, field: "reason", ReviewRules.reasonLength, multiline: true, required: true)
    }
}

extension ModerationRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["status", "reason"]
    public func validate() -> [FieldError] {
        ReviewRules.text(reason, field: "reason", ReviewRules.reasonLength, multiline: true, required: status == .hidden)
    }
}
