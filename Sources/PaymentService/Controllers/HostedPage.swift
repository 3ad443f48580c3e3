import Foundation
import HTTPTypes
import Hummingbird
import PaymentAPI
import PlexusKit

/// The sandbox's hosted payment page (`/pay/{paymentId}`, like Stripe Checkout): the signed link
/// from `payUrl` shows the amount and a card form; the form confirms through the same path as
/// `POST /payments/{id}/confirm`; a success sends the customer on to the checkout's `returnUrl`.
/// The card is used for the one confirmation and never kept (only brand and last four).
struct HostedPage: Sendable {
    let controller: PaymentsController

    func addRoutes(to router: EndpointRouter) {
        router.on(PaymentEndpoints.payPage) { request, context in
            let query = request.queryDictionary
            guard let payment = try await linked(context, expires: query["expires"], sig: query["sig"]) else { return Self.invalid() }
            return page(payment, expires: query["expires"] ?? "", sig: query["sig"] ?? "", message: nil, status: .ok)
        }
        router.on(PaymentEndpoints.payForm) { request, context in
            let fields = try await request.formFields(context: context)
            guard let payment = try await linked(context, expires: fields["expires"], sig: fields["sig"]) else { return Self.invalid() }
            let expires = fields["expires"] ?? "", sig = fields["sig"] ?? ""
            let card = CardInput(number: fields["number"] ?? "", expMonth: Int(fields["expMonth"] ?? "") ?? 0, expYear: Int(fields["expYear"] ?? "") ?? 0,
                                 cvc: fields["cvc"] ?? "")
            let nonce = String((fields["nonce"] ?? UUID().uuidString).prefix(64))
            do {
                let (settled, outcome) = try await controller.confirm(payment.id, customer: payment.customerID, method: PaymentMethodInput(type: "card", card: card),
                                                                      key: "page:\(nonce)", logger: context.logger)
                switch outcome {
                case .succeeded, .processing:
                    return done(settled)
                case .requiresAction:
                    return page(settled, expires: expires, sig: sig, message: "Your bank asks you to confirm this payment: enter the card again and pay.",
                                status: .ok)
                case .failed(let failure, _):
                    return page(settled, expires: expires, sig: sig, message: failure.message, status: .init(code: 402))
                case .unconfirmed:
                    return page(settled, expires: expires, sig: sig, message: "The payment was not confirmed; try again.", status: .ok)
                }
            } catch {
                let problem = ProblemMiddleware.problem(for: error)
                guard problem.status.code < 500 else { throw error }
                let message = problem.errors?.map(\.message).joined(separator: " ") ?? problem.detail ?? "The payment could not be made."
                guard let current = try await controller.payments.find(payment.id, logger: context.logger) else { return Self.invalid() }
                if !current.status.confirmable || current.orderCancelled { return done(current) }
                return page(current, expires: expires, sig: sig, message: message, status: problem.status)
            }
        }
    }

    /// The payment of a valid, unexpired link.
    func linked(_ context: PlexusContext, expires: String?, sig: String?) async throws -> PaymentRecord? {
        let id = try context.uuidParameter("paymentId")
        // The page takes card numbers, which only the sandbox may see (with Stripe, Stripe.js collects them).
        guard controller.provider.name == .sandbox, controller.links.verify(id, expires: expires, sig: sig) else { return nil }
        return try await controller.payments.find(id, logger: context.logger)
    }

    static func invalid() -> Response {
        Response.html(HTMLPage.render("Link not valid", "<p>This payment link is not valid or has expired. Start again from the shop.</p>"), status: .forbidden)
    }

    /// The card form (or, for a payment that cannot be confirmed any more, where it stands).
    func page(_ payment: PaymentRecord, expires: String, sig: String, message: String?, status: HTTPResponse.Status) -> Response {
        guard payment.status.confirmable, !payment.orderCancelled else { return done(payment) }
        let notice = message.map { "<p role=\"alert\" style=\"color:#b00\">\(htmlEscape($0))</p>" } ?? ""
        let body = """
            <p>Amount due: <strong>\(htmlEscape(payment.amount.displayString))</strong></p>\(notice)
            <form method="post" action="/pay/\(payment.id.uuidString.lowercased())">
            <input type="hidden" name="expires" value="\(htmlEscape(expires))"><input type="hidden" name="sig" value="\(htmlEscape(sig))">
            <input type="hidden" name="nonce" value="\(UUID().uuidString.lowercased())">
            <label>Card number <input name="number" inputmode="numeric" autocomplete="cc-number" maxlength="23" required></label><br>
            <label>Expiry month <input name="expMonth" inputmode="numeric" autocomplete="cc-exp-month" maxlength="2" size="2" required></label>
            <label>year <input name="expYear" inputmode="numeric" autocomplete="cc-exp-year" maxlength="4" size="4" required></label><br>
            <label>CVC <input name="cvc" inputmode="numeric" autocomplete="cc-csc" maxlength="4" size="4" required></label><br>
            <button type="submit">Pay \(htmlEscape(payment.amount.displayString))</button></form>
            <p style="color:#666">Sandbox: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined.</p>
            """
        var response = Response.html(HTMLPage.render("Pay for your order", body), status: status)
        var formAction = "'self'"
        if let origin = payment.returnURL.flatMap(Self.origin) { formAction += " " + origin }
        response.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; form-action \(formAction); frame-ancestors 'none'"
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// Where the payment stands, sending the customer on to the shop when it has a return URL.
    func done(_ payment: PaymentRecord) -> Response {
        let (title, text) = switch payment.status {
        case .succeeded, .partiallyRefunded, .refunded: ("Payment received", "Thank you: your payment of \(payment.amount.displayString) was received.")
        case .processing: ("Payment processing", "Your payment is being processed; the shop will confirm it shortly.")
        default: ("Payment not possible", "This order was cancelled; nothing more can be paid for it.")
        }
        var head = ""
        var link = ""
        if let returnURL = payment.returnURL {
            let separator = returnURL.contains("?") ? "&" : "?"
            let target = "\(returnURL)\(separator)payment=\(payment.id.uuidString.lowercased())&status=\(payment.status.rawValue)"
            head = "<meta http-equiv=\"refresh\" content=\"0;url=\(htmlEscape(target))\">"
            link = "<p><a href=\"\(htmlEscape(target))\">Back to the shop</a></p>"
        }
        var response = Response.html(HTMLPage.render(title, "<p>\(htmlEscape(text))</p>\(link)", head: head))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    static func origin(_ url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return nil }
        return "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")"
    }
}
