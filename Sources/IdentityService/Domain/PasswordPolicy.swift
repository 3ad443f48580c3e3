import PlexusKit

/// Password rules: 8–128 characters, not a commonly used password, not the e-mail itself.
/// Long passwords are never silently truncated: ``PasswordHasher`` pre-hashes them, so all 128
/// characters count (plain bcrypt would ignore everything past 72 bytes).
enum PasswordPolicy {
    static let minimumLength = 8
    static let maximumLength = 128

    static func validate(_ password: String, field: String = "password", email: String? = nil) -> [FieldError] {
        let length = password.count
        if length < minimumLength {
            return [FieldError(field: field, code: "too_short", message: "Use at least \(minimumLength) characters.")]
        }
        if length > maximumLength {
            return [FieldError(field: field, code: "too_long", message: "Use at most \(maximumLength) characters.")]
        }
        let lowered = password.lowercased()
        if CommonPasswords.list.contains(lowered) {
            return [FieldError(field: field, code: "too_common", message: "This password is too common; choose another.")]
        }
        if let email, lowered == email.lowercased() || lowered == email.lowercased().split(separator: "@").first.map(String.init) {
            return [FieldError(field: field, code: "too_guessable", message: "Do not use your e-mail address as the password.")]
        }
        return []
    }
}

/// The most common passwords of public breach corpora (lower case). Short on purpose: the length
/// rule already removes most of the well-known lists.
enum CommonPasswords {
    static let list: Set<String> = [
        "password", "password1", "password12", "password123", "password1234", "passw0rd", "p@ssw0rd", "p@ssword",
        "12345678", "123456789", "1234567890", "12345678910", "123123123", "11111111", "00000000", "88888888",
        "87654321", "11223344", "12341234", "123qweasd", "1q2w3e4r", "1q2w3e4r5t", "1qaz2wsx", "zaq12wsx", "qwertyui",
        "qwertyuiop", "qwerty123", "qwerty12", "asdfghjk", "asdfghjkl", "zxcvbnm1", "iloveyou", "iloveyou1",
        "sunshine", "princess", "football", "baseball", "welcome1", "welcome123", "letmein1", "trustno1",
        "superman", "starwars", "whatever", "dragon123", "monkey123", "master123", "shadow123", "michael1",
        "jennifer", "computer", "internet", "corvette", "mercedes", "samantha", "jordan23", "liverpool",
        "chelsea1", "arsenal1", "changeme", "changeme1", "administrator", "admin123", "admin1234", "adminadmin",
        "abcd1234", "abc12345", "abcdefgh", "abcdefg1", "aa123456", "a1234567", "q1w2e3r4", "qazwsxedc",
        "google123", "secret123", "test1234", "testtest", "access14", "michelle", "charlie1", "pokemon1",
        "freedom1", "whatever1", "passpass", "letmein123", "hello123", "hellohello", "lovelove", "loveyou1",
        "fuckyou1", "bismillah", "babygirl", "butterfly", "basketball", "blink182", "summer2024", "winter2024",
        "spring2025", "autumn2025", "summer2025", "welcome2025", "password2025", "password2026", "plexus123",
    ]
}

/// E-mail and name checks shared by registration and profile edits.
enum ProfileRules {
    static func validateEmail(_ email: String, field: String = "email") -> [FieldError] {
        let trimmed = email.trimmingCharacters(in: .whitespaces)
        let pattern = #"^[^@\s<>()\[\],;:"]+@[^@\s<>()\[\],;:"]+\.[^@\s<>()\[\],;:"]+$"#
        guard trimmed.utf8.count <= 254, trimmed.range(of: pattern, options: .regularExpression) != nil else {
            return [FieldError(field: field, code: "invalid_email", message: "Enter a valid e-mail address.")]
        }
        return []
    }

    static func validateName(_ name: String, field: String = "name") -> [FieldError] {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return [FieldError(field: field, code: "required", message: "Enter a name.")] }
        if trimmed.storedLength > 100 { return [FieldError(field: field, code: "too_long", message: "Use at most 100 characters.")] }
        if trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return [FieldError(field: field, code: "invalid_characters", message: "Control characters are not allowed.")]
        }
        return []
    }
}

import Foundation
