import Foundation
import Logging
import PlexusContract

/// Identity's endpoints: the one declaration its router, the gateway and the documentation read.
public enum IdentityEndpoints {
    static let tokenProblems = [ProblemCase(400, "invalid_token", "The token is unknown, spent or expired.")]

    public static let jwks = Endpoint<NoBody, JWKSet>("getJWKS", .GET, WellKnown.jwks, access: .anyone,
        summary: "The public keys access tokens are signed with (RFC 7517).")
    public static let register = Endpoint<RegisterRequest, UserDTO>("register", .POST, "/api/v1/auth/register", access: .anyone,
        summary: "Create an account; a verification e-mail is sent.", status: 201,
        problems: [ProblemCase(409, "email_taken", "An account with this e-mail exists.")], strictLimit: true)
    public static let verifyEmail = Endpoint<TokenRequest, StatusMessage>("verifyEmail", .POST, "/api/v1/auth/verify-email", access: .anyone,
        summary: "Verify the e-mail address with the token from the e-mail.", problems: tokenProblems, strictLimit: true)
    public static let resendVerification = Endpoint<EmailRequest, StatusMessage>("resendVerification", .POST, "/api/v1/auth/resend-verification",
        access: .anyone, summary: "Send the verification e-mail again (always 202: no account enumeration).", status: 202, strictLimit: true)
    public static let login = Endpoint<LoginRequest, TokenPair>("login", .POST, "/api/v1/auth/login", access: .anyone,
        summary: "Sign in with e-mail and password.",
        problems: [ProblemCase(401, "invalid_credentials", "Wrong e-mail or password."),
                   ProblemCase(403, "email_not_verified", "The e-mail address is not verified yet."),
                   ProblemCase(403, "account_disabled", "The account is disabled.")], strictLimit: true)
    public static let refresh = Endpoint<RefreshRequest, TokenPair>("refresh", .POST, "/api/v1/auth/refresh", access: .anyone,
        summary: "Exchange a refresh token for a new pair; reusing a spent one revokes its whole family.",
        problems: [ProblemCase(401, "invalid_refresh_token", "Unknown or expired."), ProblemCase(401, "refresh_token_reused", "Spent before: its family is revoked.")],
        strictLimit: true)
    public static let logout = Endpoint<RefreshRequest, NoContent>("logout", .POST, "/api/v1/auth/logout", access: .user,
        summary: "End the session of this refresh token.", status: 204, strictLimit: true)
    public static let logoutAll = Endpoint<NoBody, NoContent>("logoutAll", .POST, "/api/v1/auth/logout-all", access: .user,
        summary: "End every session and every outstanding access token.", status: 204, strictLimit: true)
    public static let forgotPassword = Endpoint<EmailRequest, StatusMessage>("forgotPassword", .POST, "/api/v1/auth/password/forgot", access: .anyone,
        summary: "E-mail a single-use password-reset link (always 202).", status: 202, strictLimit: true)
    public static let resetPassword = Endpoint<ResetPasswordRequest, NoContent>("resetPassword", .POST, "/api/v1/auth/password/reset",
        access: .anyone, summary: "Set a new password with the reset token; every session ends.", status: 204, problems: tokenProblems, strictLimit: true)
    public static let changePassword = Endpoint<ChangePasswordRequest, NoContent>("changePassword", .POST, "/api/v1/auth/password/change",
        access: .user, summary: "Change the password; other sessions end.", status: 204,
        problems: [ProblemCase(403, "invalid_credentials", "The current password is wrong.")], strictLimit: true)

    public static let me = Endpoint<NoBody, UserDTO>("getMe", .GET, "/api/v1/users/me", access: .user, summary: "The signed-in user.")
    public static let updateMe = Endpoint<UpdateProfileRequest, UserDTO>("updateMe", .PATCH, "/api/v1/users/me", access: .user,
        summary: "Change the display name.")
    public static let addresses = Endpoint<NoBody, Page<AddressDTO>>("listAddresses", .GET, "/api/v1/users/me/addresses", access: .user,
        summary: "The address book.")
    public static let createAddress = Endpoint<AddressRequest, AddressDTO>("createAddress", .POST, "/api/v1/users/me/addresses", access: .user,
        summary: "Add an address (the first one is the default).", status: 201)
    public static let updateAddress = Endpoint<AddressRequest, AddressDTO>("updateAddress", .PATCH, "/api/v1/users/me/addresses/{id}",
        access: .user, summary: "Change an address or make it the default.")
    public static let deleteAddress = Endpoint<NoBody, NoContent>("deleteAddress", .DELETE, "/api/v1/users/me/addresses/{id}", access: .user,
        summary: "Remove an address.", status: 204)

    public static let adminUsers = Endpoint<NoBody, Page<UserDTO>>("adminListUsers", .GET, "/api/v1/admin/users", access: .roles([.admin]),
        summary: "Find users by e-mail or name.", query: [QueryParameter("q", .string(), "Part of the e-mail or name."), .limit, .cursor])
    public static let adminUpdateUser = Endpoint<AdminUserUpdateRequest, UserDTO>("adminUpdateUser", .PATCH, "/api/v1/admin/users/{id}",
        access: .roles([.admin]), summary: "Change a user's roles or disable the account (which ends its sessions).",
        problems: [ProblemCase(409, "cannot_demote_self", "Administrators cannot disable themselves or drop their own admin role.")])

    public static let verifyEmailPage = Endpoint<NoBody, TextBody>("verifyEmailPage", .GET, "/verify-email", access: .anyone,
        summary: "The page an e-mail verification link opens (a form; a GET never spends the token).",
        query: [QueryParameter("token", .string(), "The token from the e-mail.")], outputType: .html, strictLimit: true)
    public static let verifyEmailForm = Endpoint<FormFields, TextBody>("verifyEmailForm", .POST, "/verify-email", access: .anyone,
        summary: "The verification page's form post.", bodyType: .form, outputType: .html, strictLimit: true)
    public static let resetPasswordPage = Endpoint<NoBody, TextBody>("resetPasswordPage", .GET, "/reset-password", access: .anyone,
        summary: "The page a password-reset link opens.", query: [QueryParameter("token", .string(), "The token from the e-mail.")],
        outputType: .html, strictLimit: true)
    public static let resetPasswordForm = Endpoint<FormFields, TextBody>("resetPasswordForm", .POST, "/reset-password", access: .anyone,
        summary: "The reset page's form post.", bodyType: .form, outputType: .html, strictLimit: true)

    public static let userAddress = Endpoint<NoBody, AddressDTO>("getUserAddress", .GET, "/internal/users/{userId}/addresses/{id}",
        access: .services([.order]), summary: "One address of a user's address book (a checkout ships to it).")

    public static let contact = Endpoint<NoBody, UserContact>("getUserContact", .GET, "/internal/users/{userId}/contact",
        access: .services([.notification, .review]), summary: "Where to write to a user (e-mails about their orders and payments) and the name their reviews show.")

    /// Every endpoint identity serves.
    public static let all: [EndpointDescription] = [
        userAddress.description, contact.description,
        jwks.description, register.description, verifyEmail.description, resendVerification.description, login.description,
        refresh.description, logout.description, logoutAll.description, forgotPassword.description, resetPassword.description,
        changePassword.description, me.description, updateMe.description, addresses.description, createAddress.description,
        updateAddress.description, deleteAddress.description, adminUsers.description, adminUpdateUser.description,
        verifyEmailPage.description, verifyEmailForm.description, resetPasswordPage.description, resetPasswordForm.description,
    ]
}

/// Demo data identity seeds, for the services seeded after it.
public enum IdentityDemo {
    /// The demo sellers' user ids, in order (the first is `seller@plexus.local`).
    public static let sellers = DemoKey<[UUID]>("identity.sellers")
    /// How many demo sellers there are.
    public static let sellerCount = 6
    /// The demo sellers' password.
    public static let sellerPassword = "plexus-seller-2026"
}

/// Where to write to a user.
public struct UserContact: Codable, Sendable, Equatable {
    public var userId: UUID
    public var email: String
    public var name: String

    /// Creates the value.
    public init(userId: UUID, email: String, name: String) {
        self.userId = userId
        self.email = email
        self.name = name
    }
}

/// How notification finds a user's address.
public protocol ContactLookup: Sendable {
    /// The contact of `userID`, or `nil` for an unknown user.
    func contact(userID: UUID, logger: Logger) async throws -> UserContact?
}

/// How the order service reads a customer's address book.
public protocol AddressLookup: Sendable {
    /// The address `id` of `userID`, or `nil`.
    func address(userID: UUID, id: UUID, logger: Logger) async throws -> AddressDTO?
}

/// The typed client of identity's internal routes.
public struct IdentityClient: AddressLookup, ContactLookup {
    let transport: any EndpointTransport

    /// Creates a client over a transport.
    public init(_ transport: any EndpointTransport) {
        self.transport = transport
    }

    public func contact(userID: UUID, logger: Logger) async throws -> UserContact? {
        try await transport.callIfFound(IdentityEndpoints.contact, path: ["userId": userID.uuidString], logger: logger)
    }

    public func address(userID: UUID, id: UUID, logger: Logger) async throws -> AddressDTO? {
        try await transport.callIfFound(IdentityEndpoints.userAddress, path: ["userId": userID.uuidString, "id": id.uuidString], logger: logger)
    }
}
