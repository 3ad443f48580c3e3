import Foundation
import Mustache

/// The e-mail templates (text + HTML per kind), loaded once from the bundle.
struct EmailTemplates: Sendable {
    enum Kind: String, CaseIterable, Sendable {
        case verification
        case passwordReset = "password_reset"
        case passwordChanged = "password_changed"
        case orderConfirmation = "order_confirmation"
        case orderShipped = "order_shipped"
        case orderCancelled = "order_cancelled"
        case paymentFailed = "payment_failed"
        case membershipReceipt = "membership_receipt"
        case membershipPastDue = "membership_past_due"
        case membershipEnded = "membership_ended"
        case reviewInvitation = "review_invitation"
        case reviewReply = "review_reply"
        case reviewHidden = "review_hidden"

        /// The subject line (an order's number where there is one).
        func subject(_ values: [String: Any]) -> String {
            let number = values["number"] as? String ?? ""
            return switch self {
            case .verification: "Confirm your e-mail address"
            case .passwordReset: "Reset your Plexus password"
            case .passwordChanged: "Your Plexus password was changed"
            case .orderConfirmation: "Your order \(number) is confirmed"
            case .orderShipped: "Your order \(number) has shipped"
            case .orderCancelled: "Your order \(number) was cancelled"
            case .paymentFailed: "Your payment did not go through"
            case .membershipReceipt: values["renewed"] != nil ? "Your VIP membership was renewed" : "Welcome to Plexus VIP"
            case .membershipPastDue: "Your VIP renewal could not be charged"
            case .membershipEnded: "Your VIP membership has ended"
            case .reviewInvitation: "How is your order \(number)?"
            case .reviewReply: "The seller replied to your review"
            case .reviewHidden: "Your review was hidden"
            }
        }
    }

    struct Rendered: Sendable, Equatable {
        var subject: String
        var text: String
        var html: String
    }

    private let templates: [String: MustacheTemplate]

    init() throws {
        guard let directory = Bundle.module.url(forResource: "Templates", withExtension: nil) else { throw TemplateError.missing("Templates") }
        var templates: [String: MustacheTemplate] = [:]
        for kind in Kind.allCases {
            for format in ["text", "html"] {
                let name = "\(kind.rawValue).\(format)"
                let source = try String(contentsOf: directory.appendingPathComponent("\(name).mustache"), encoding: .utf8)
                templates[name] = try MustacheTemplate(string: source)
            }
        }
        self.templates = templates
    }

    /// Renders `kind` with `values` (strings, and arrays of string dictionaries for lists). HTML
    /// escapes values; the text part uses triple braces.
    func render(_ kind: Kind, _ values: [String: Any]) throws -> Rendered {
        guard let text = templates["\(kind.rawValue).text"], let html = templates["\(kind.rawValue).html"] else {
            throw TemplateError.missing(kind.rawValue)
        }
        return Rendered(subject: kind.subject(values), text: text.render(values), html: html.render(values))
    }

    enum TemplateError: Error {
        case missing(String)
    }
}
