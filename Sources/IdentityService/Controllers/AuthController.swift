import Foundation
import Hummingbird
import IdentityAPI
import PlexusKit

/// `/api/v1/auth/*` and the JWKS.
struct AuthController: Sendable {
    let flows: AuthFlows
    let identity: Identity

    func addRoutes(to router: EndpointRouter) {
        router.on(IdentityEndpoints.jwks) { _, _ in
            var headers = HTTPFields()
            headers[.cacheControl] = "public, max-age=300"
            return try Response.json(identity.configuration.signingKeys.jwks, headers: headers)
        }
        router.on(IdentityEndpoints.register) { request, context in
            let body = try await request.decodeBody(RegisterRequest.self, context: context)
            return try Response.json(try await flows.register(body, logger: context.logger), status: .created)
        }
        router.on(IdentityEndpoints.verifyEmail) { request, context in
            let body = try await request.decodeBody(TokenRequest.self, context: context)
            try await flows.verifyEmail(token: body.token, logger: context.logger)
            return try Response.json(StatusMessage(status: "verified"))
        }
        router.on(IdentityEndpoints.resendVerification) { request, context in
            let body = try await request.decodeBody(EmailRequest.self, context: context)
            try await flows.requestLink(email: body.email, purpose: .verifyEmail, logger: context.logger)
            return try Response.json(StatusMessage(status: "accepted"), status: .accepted)
        }
        router.on(IdentityEndpoints.login) { request, context in
            let body = try await request.decodeBody(LoginRequest.self, context: context)
            let address = context.clientAddress(request, trusted: identity.configuration.common.trustedProxies)
            return try Response.json(try await flows.login(body, clientAddress: address, logger: context.logger), headers: Self.noStore)
        }
        router.on(IdentityEndpoints.refresh) { request, context in
            let body = try await request.decodeBody(RefreshRequest.self, context: context)
            return try Response.json(try await flows.refresh(token: body.refreshToken, logger: context.logger), headers: Self.noStore)
        }
        router.on(IdentityEndpoints.logout) { request, context in
            let user = try await identity.currentUser(try context.requireUser(), logger: context.logger)
            let body = try await request.decodeBody(RefreshRequest.self, context: context)
            try await identity.sessions.revoke(token: body.refreshToken, userID: user.id, logger: context.logger)
            return Response.empty()
        }
        router.on(IdentityEndpoints.logoutAll) { _, context in
            try await flows.logoutAll(try context.requireUser(), logger: context.logger)
            return Response.empty()
        }
        router.on(IdentityEndpoints.forgotPassword) { request, context in
            let body = try await request.decodeBody(EmailRequest.self, context: context)
            try await flows.requestLink(email: body.email, purpose: .resetPassword, logger: context.logger)
            return try Response.json(StatusMessage(status: "accepted"), status: .accepted)
        }
        router.on(IdentityEndpoints.resetPassword) { request, context in
            let body = try await request.decodeBody(ResetPasswordRequest.self, context: context)
            try await flows.resetPassword(body, logger: context.logger)
            return Response.empty()
        }
        router.on(IdentityEndpoints.changePassword) { request, context in
            let principal = try context.requireUser()
            let body = try await request.decodeBody(ChangePasswordRequest.self, context: context)
            try await flows.changePassword(principal, body, logger: context.logger)
            return Response.empty()
        }
    }

    static let noStore: HTTPFields = [.cacheControl: "no-store"]
}
