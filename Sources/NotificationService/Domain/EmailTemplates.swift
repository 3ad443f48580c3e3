import Foundation
import Mustache

/// The e-mail templates (text + HTML per kind), loaded once from the bundle.
struct EmailTemplates: Sendable {
    enum Kind: String, CaseIterable, Sendable {
        case verification
        case passwordReset = "password_reset"
        case passwordChanged = "password_changed"

        var subject: String {
            switch self {
            case .verification: "Confirm your e-mail address"
            case .passwordReset: "Reset your Plexus password"
            case .passwordChanged: "Your Plexus password was changed"
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

    /// Renders `kind` with `values`. HTML escapes values; the text part uses triple braces.
    func render(_ kind: Kind, _ values: [String: String]) throws -> Rendered {
        guard let text = templates["\(kind.rawValue).text"], let html = templates["\(kind.rawValue).html"] else {
            throw TemplateError.missing(kind.rawValue)
        }
        return Rendered(subject: kind.subject, text: text.render(values), html: html.render(values))
    }

    enum TemplateError: Error {
        case missing(String)
    }
}
