import Foundation
@testable import NotificationService
import Testing

/// The review e-mails' templates.
@Suite struct ReviewMailTests {
    @Test func theInvitationLinksEachProduct() throws {
        let rendered = try EmailTemplates().render(.reviewInvitation, [
            "name": "Ada", "number": "PLX-000042",
            "products": [["productName": "Walnut <Desk>", "reviewUrl": "http://localhost:8080/api/v1/products/p1/reviews"]],
        ])
        #expect(rendered.subject == "How is your order PLX-000042?")
        #expect(rendered.text.contains("- Walnut <Desk>: http://localhost:8080/api/v1/products/p1/reviews"))
        #expect(rendered.html.contains("href=\"http://localhost:8080/api/v1/products/p1/reviews\"") && rendered.html.contains("Walnut &lt;Desk&gt;"))
    }

    @Test func replyAndHiddenQuoteTheSellerAndTheModerator() throws {
        let templates = try EmailTemplates()
        let reply = try templates.render(.reviewReply, ["name": "Ada", "productName": "Lamp", "reply": "Sorry <b>really</b>", "reviewUrl": "http://x/r"])
        #expect(reply.subject == "The seller replied to your review" && reply.text.contains("Sorry <b>really</b>"))
        #expect(reply.html.contains("Sorry &lt;b&gt;really&lt;/b&gt;"))
        let hidden = try templates.render(.reviewHidden, ["name": "Ada", "productName": "Lamp", "reason": "Advertising", "reviewUrl": "http://x/r"])
        #expect(hidden.subject == "Your review was hidden" && hidden.text.contains("Reason: Advertising") && hidden.text.contains("http://x/r"))
    }
}
