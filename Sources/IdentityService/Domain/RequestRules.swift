import Foundation
import IdentityAPI
import PlexusKit

extension RegisterRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["email", "password", "name"]
    public func validate() -> [FieldError] {
        ProfileRules.validateEmail(email) + ProfileRules.validateName(name) + PasswordPolicy.validate(password, email: email)
    }
}

extension TokenRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["token"]
    public func validate() -> [FieldError] {
        token.isEmpty || token.count > 200 ? [FieldError(field: "token", code: "invalid", message: "The token is missing or malformed.")] : []
    }
}

extension EmailRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["email"]
    public func validate() -> [FieldError] { ProfileRules.validateEmail(email) }
}

extension LoginRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["email", "password"]
    public func validate() -> [FieldError] {
        email.isEmpty || password.isEmpty || password.count > PasswordPolicy.maximumLength || email.utf8.count > 254
            ? [FieldError(field: email.isEmpty ? "email" : "password", code: "required", message: "Enter your e-mail and password.")] : []
    }
}

extension RefreshRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["refreshToken"]
    public func validate() -> [FieldError] {
        refreshToken.isEmpty || refreshToken.count > 200 ? [FieldError(field: "refreshToken", code: "invalid", message: "The refresh token is malformed.")] : []
    }
}

extension ResetPasswordRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["token", "newPassword"]
    public func validate() -> [FieldError] {
        TokenRequest(token: token).validate() + PasswordPolicy.validate(newPassword, field: "newPassword")
    }
}

extension ChangePasswordRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["currentPassword", "newPassword"]
    public func validate() -> [FieldError] {
        var errors = PasswordPolicy.validate(newPassword, field: "newPassword")
        if currentPassword == newPassword {
            errors.append(FieldError(field: "newPassword", code: "unchanged", message: "Choose a password different from the current one."))
        }
        return errors
    }
}

extension UpdateProfileRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["name"]
    public func validate() -> [FieldError] { name.map { ProfileRules.validateName($0) } ?? [] }
}

extension AdminUserUpdateRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["roles", "disabled"]
    public func validate() -> [FieldError] {
        if let roles, roles.isEmpty { return [FieldError(field: "roles", code: "empty", message: "A user keeps at least one role.")] }
        return []
    }
}

extension AddressRequest: RequestBody {
    public static let allowedKeys: Set<String> = ["name", "line1", "line2", "city", "region", "postalCode", "country", "phone", "isDefault"]
}

/// A complete, validated address.
typealias AddressFields = PostalAddress

extension PostalAddress {
    /// Builds the fields from a request, over `base` for a PATCH; throws 422 listing every problem.
    init(_ request: AddressRequest, base: AddressDTO?) throws {
        func pick(_ value: String?, _ fallback: String?) -> String? {
            guard let value else { return fallback }
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : trimmed
        }
        let (address, errors) = PostalAddress(name: pick(request.name, base?.name) ?? "", line1: pick(request.line1, base?.line1) ?? "",
                                              line2: pick(request.line2, base?.line2), city: pick(request.city, base?.city) ?? "",
                                              region: pick(request.region, base?.region), postalCode: pick(request.postalCode, base?.postalCode) ?? "",
                                              country: pick(request.country, base?.country) ?? "", phone: pick(request.phone, base?.phone)).normalized()
        if !errors.isEmpty { throw ProblemError.validation(errors) }
        self = address
    }
}
