import Foundation
import PlexusContract

/// A user as the API shows it.
public struct UserDTO: Codable, Sendable, Equatable {
    /// Id.
    public var id: UUID
    /// E-mail.
    public var email: String
    /// Display name.
    public var name: String
    /// Roles.
    public var roles: [Role]
    /// Whether the e-mail is verified.
    public var emailVerified: Bool
    /// Whether the account is disabled.
    public var disabled: Bool
    /// Created.
    public var createdAt: Date
    /// Updated.
    public var updatedAt: Date

    /// Creates a user DTO.
    public init(id: UUID, email: String, name: String, roles: [Role], emailVerified: Bool, disabled: Bool, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.email = email
        self.name = name
        self.roles = roles
        self.emailVerified = emailVerified
        self.disabled = disabled
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// An access/refresh token pair.
public struct TokenPair: Codable, Sendable, Equatable {
    /// Short-lived EdDSA JWT.
    public var accessToken: String
    /// Opaque, single-use refresh token.
    public var refreshToken: String
    /// Always `Bearer`.
    public var tokenType: String
    /// Access token lifetime in seconds.
    public var expiresIn: Int

    /// Creates a pair.
    public init(accessToken: String, refreshToken: String, expiresIn: Int) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.tokenType = "Bearer"
        self.expiresIn = expiresIn
    }
}

/// A postal address in the user's address book.
public struct AddressDTO: Codable, Sendable, Equatable {
    /// Id.
    public var id: UUID
    /// Recipient name.
    public var name: String
    /// First line.
    public var line1: String
    /// Second line.
    public var line2: String?
    /// City.
    public var city: String
    /// Region or state.
    public var region: String?
    /// Postal code.
    public var postalCode: String
    /// ISO 3166-1 alpha-2.
    public var country: String
    /// Phone.
    public var phone: String?
    /// The default address.
    public var isDefault: Bool
    /// Created.
    public var createdAt: Date
    /// Updated.
    public var updatedAt: Date

    /// Creates an address DTO.
    public init(id: UUID, name: String, line1: String, line2: String?, city: String, region: String?, postalCode: String,
                country: String, phone: String?, isDefault: Bool, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.name = name
        self.line1 = line1
        self.line2 = line2
        self.city = city
        self.region = region
        self.postalCode = postalCode
        self.country = country
        self.phone = phone
        self.isDefault = isDefault
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
