import PlexusKit

/// Identity's refusals, each with a status and a stable code.
enum IdentityError: ProblemConvertible {
    case emailTaken
    case invalidCredentials
    case emailNotVerified
    case accountDisabled
    case invalidToken
    case refreshTokenReused
    case throttled(retryAfter: Int)
    case wrongCurrentPassword

    var problem: ProblemError {
        switch self {
        case .emailTaken: .conflict("email_taken", "An account with this e-mail already exists.")
        case .invalidCredentials: .unauthorized("The e-mail or password is wrong.", code: "invalid_credentials")
        case .emailNotVerified: .forbidden("Verify your e-mail address before signing in.", code: "email_not_verified")
        case .accountDisabled: .forbidden("This account is disabled.", code: "account_disabled")
        case .invalidToken: .badRequest("invalid_token", "The link is invalid, already used or expired.")
        case .refreshTokenReused: .unauthorized("This refresh token was already used; every session of its sign-in was ended.", code: "refresh_token_reused")
        case .throttled(let seconds): .tooManyRequests(retryAfter: seconds, detail: "Too many failed attempts; try again later.")
        case .wrongCurrentPassword: .forbidden("The current password is wrong.", code: "invalid_credentials")
        }
    }
}
