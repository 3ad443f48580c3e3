import Foundation
import Hummingbird
import IdentityAPI
import PlexusKit

/// The two pages e-mail links open in a browser. `GET` only shows a form (mail scanners prefetch
/// links; a GET must not spend the token); the form's `POST` does the work.
struct PagesController: Sendable {
    let flows: AuthFlows

    func addRoutes(to router: EndpointRouter) {
        router.on(IdentityEndpoints.verifyEmailPage) { request, _ in
            let token = htmlEscape(request.queryDictionary["token"] ?? "")
            return Response.html(Self.page("Verify your e-mail", """
                <form method="post" action="\(IdentityEndpoints.verifyEmailForm.path)"><input type="hidden" name="token" value="\(token)">
                <button type="submit">Verify my e-mail address</button></form>
                """))
        }
        router.on(IdentityEndpoints.verifyEmailForm) { request, context in
            let token = try await request.formFields(context: context)["token"] ?? ""
            do {
                try await flows.verifyEmail(token: token, logger: context.logger)
                return Response.html(Self.page("E-mail verified", "<p>Your e-mail address is verified. You can sign in now.</p>"))
            } catch let error as IdentityError {
                return Response.html(Self.page("Link not valid", "<p>\(htmlEscape(error.problem.detail ?? ""))</p>"), status: error.problem.status)
            }
        }
        router.on(IdentityEndpoints.resetPasswordPage) { request, _ in
            let token = htmlEscape(request.queryDictionary["token"] ?? "")
            return Response.html(Self.page("Choose a new password", """
                <form method="post" action="\(IdentityEndpoints.resetPasswordForm.path)"><input type="hidden" name="token" value="\(token)">
                <label>New password <input type="password" name="newPassword" minlength="8" maxlength="128" required></label>
                <button type="submit">Set password</button></form>
                """))
        }
        router.on(IdentityEndpoints.resetPasswordForm) { request, context in
            let fields = try await request.formFields(context: context)
            let body = ResetPasswordRequest(token: fields["token"] ?? "", newPassword: fields["newPassword"] ?? "")
            let problems = body.validate()
            guard problems.isEmpty else {
                return Response.html(Self.page("Password not accepted", "<p>\(htmlEscape(problems.map(\.message).joined(separator: " ")))</p>"), status: .unprocessableContent)
            }
            do {
                try await flows.resetPassword(body, logger: context.logger)
                return Response.html(Self.page("Password changed", "<p>Your password was changed and every session signed out.</p>"))
            } catch let error as IdentityError {
                return Response.html(Self.page("Link not valid", "<p>\(htmlEscape(error.problem.detail ?? ""))</p>"), status: error.problem.status)
            }
        }
    }

    static func page(_ title: String, _ body: String) -> String { HTMLPage.render(title, body) }
}
