import Foundation
import Hummingbird
import IdentityAPI
import PlexusKit

/// `/api/v1/auth/*` and the JWKS.
struct AuthController: Sendable {
    let flows: AuthFlows
    let identity: Identity

    func addRoutes(to router: Router<PlexusContext>) {
        router.get(RouterPath(IdentityPaths.jwks)) { _, _ in
            var headers = HTTPFields()
            headers[.cacheControl] = "public, max-age=300"
            return try Response.json(identity.configuration.signingKeys.jwks, headers: headers)
        }
        let auth = router.group("/api/v1/auth")
        auth.post("register") { request, context in
            let body = try await request.decodeBody(RegisterRequest.self, context: context)
            return try Response.json(try await flows.register(body, logger: context.logger), status: .created)
        }
        auth.post("verify-email") { request, context in
            let body = try await request.decodeBody(TokenRequest.self, context: context)
            try await flows.verifyEmail(token: body.token, logger: context.logger)
            return try Response.json(["status": "verified"])
        }
        auth.post("resend-verification") { request, context in
            let body = try await request.decodeBody(EmailRequest.self, context: context)
            try await flows.sendLink(email: body.email, purpose: .verifyEmail, logger: context.logger)
            return try Response.json(["status": "accepted"], status: .accepted)
        }
        auth.post("login") { request, context in
            let body = try await request.decodeBody(LoginRequest.self, context: context)
            let address = context.clientAddress(request, trustForwardedFor: identity.configuration.trustForwardedFor)
            return try Response.json(try await flows.login(body, clientAddress: address, logger: context.logger), headers: Self.noStore)
        }
        auth.post("refresh") { request, context in
            let body = try await request.decodeBody(RefreshRequest.self, context: context)
            return try Response.json(try await flows.refresh(token: body.refreshToken, logger: context.logger), headers: Self.noStore)
        }
        auth.post("logout") { request, context in
            let user = try await identity.currentUser(try context.requireUser(), logger: context.logger)
            let body = try await request.decodeBody(RefreshRequest.self, context: context)
            try await identity.sessions.revoke(token: body.refreshToken, userID: user.id, logger: context.logger)
            return Response.empty()
        }
        auth.post("logout-all") { _, context in
            try await flows.logoutAll(try context.requireUser(), logger: context.logger)
            return Response.empty()
        }
        auth.post("password/forgot") { request, context in
            let body = try await request.decodeBody(EmailRequest.self, context: context)
            try await flows.sendLink(email: body.email, purpose: .resetPassword, logger: context.logger)
            return try Response.json(["status": "accepted"], status: .accepted)
        }
        auth.post("password/reset") { request, context in
            let body = try await request.decodeBody(ResetPasswordRequest.self, context: context)
            try await flows.resetPassword(body, logger: context.logger)
            return Response.empty()
        }
        auth.post("password/change") { request, context in
            let principal = try context.requireUser()
            let body = try await request.decodeBody(ChangePasswordRequest.self, context: context)
            try await flows.changePassword(principal, body, logger: context.logger)
            return Response.empty()
        }
    }

    static let noStore: HTTPFields = [.cacheControl: "no-store"]
}
