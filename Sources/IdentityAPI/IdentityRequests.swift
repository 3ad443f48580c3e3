import Foundation
import PlexusContract

/// `POST /api/v1/auth/register`.
public struct RegisterRequest: Codable, Sendable {
    /// E-mail.
    public var email: String
    /// Password (8–128 characters).
    public var password: String
    /// Display name.
    public var name: String
    /// Creates the body.
    public init(email: String, password: String, name: String) { self.email = email; self.password = password; self.name = name }
}

/// `POST /api/v1/auth/verify-email`.
public struct TokenRequest: Codable, Sendable {
    /// The token from the e-mail.
    public var token: String
    /// Creates the body.
    public init(token: String) { self.token = token }
}

/// `POST /api/v1/auth/resend-verification` and `POST /api/v1/auth/password/forgot`.
public struct EmailRequest: Codable, Sendable {
    /// E-mail.
    public var email: String
    /// Creates the body.
    public init(email: String) { self.email = email }
}

/// `POST /api/v1/auth/login`.
public struct LoginRequest: Codable, Sendable {
    /// E-mail.
    public var email: String
    /// Password.
    public var password: String
    /// Creates the body.
    public init(email: String, password: String) { self.email = email; self.password = password }
}

/// `POST /api/v1/auth/refresh` and `POST /api/v1/auth/logout`.
public struct RefreshRequest: Codable, Sendable {
    /// The refresh token.
    public var refreshToken: String
    /// Creates the body.
    public init(refreshToken: String) { self.refreshToken = refreshToken }
}

/// `POST /api/v1/auth/password/reset`.
public struct ResetPasswordRequest: Codable, Sendable {
    /// The token from the e-mail.
    public var token: String
    /// The new password.
    public var newPassword: String
    /// Creates the body.
    public init(token: String, newPassword: String) { self.token = token; self.newPassword = newPassword }
}

/// `POST /api/v1/auth/password/change`.
public struct ChangePasswordRequest: Codable, Sendable {
    /// The current password.
    public var currentPassword: String
    /// The new password.
    public var newPassword: String
    /// Creates the body.
    public init(currentPassword: String, newPassword: String) { self.currentPassword = currentPassword; self.newPassword = newPassword }
}

/// `PATCH /api/v1/users/me`.
public struct UpdateProfileRequest: Codable, Sendable {
    /// New display name.
    public var name: String?
    /// Creates the body.
    public init(name: String?) { self.name = name }
}

/// `POST /api/v1/users/me/addresses` and (all fields optional) `PATCH …/addresses/{id}`.
public struct AddressRequest: Codable, Sendable {
    /// Recipient.
    public var name: String?
    /// First line.
    public var line1: String?
    /// Second line (`""` clears it on PATCH).
    public var line2: String?
    /// City.
    public var city: String?
    /// Region (`""` clears it on PATCH).
    public var region: String?
    /// Postal code.
    public var postalCode: String?
    /// ISO 3166-1 alpha-2 country.
    public var country: String?
    /// Phone (`""` clears it on PATCH).
    public var phone: String?
    /// Make this the default address.
    public var isDefault: Bool?

    /// Creates the body.
    public init(name: String? = nil, line1: String? = nil, line2: String? = nil, city: String? = nil, region: String? = nil,
                postalCode: String? = nil, country: String? = nil, phone: String? = nil, isDefault: Bool? = nil) {
        self.name = name
        self.line1 = line1
        self.line2 = line2
        self.city = city
        self.region = region
        self.postalCode = postalCode
        self.country = country
        self.phone = phone
        self.isDefault = isDefault
    }
}

/// `PATCH /api/v1/admin/users/{id}`.
public struct AdminUserUpdateRequest: Codable, Sendable {
    /// The full new role set.
    public var roles: [Role]?
    /// Disable (revoking every session) or re-enable.
    public var disabled: Bool?
    /// Creates the body.
    public init(roles: [Role]? = nil, disabled: Bool? = nil) { self.roles = roles; self.disabled = disabled }
}
