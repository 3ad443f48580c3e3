import Foundation
@testable import NotificationService
import PaymentAPI
import PlexusContract
import Testing

/// The order e-mails' templates and formatting.
@Suite struct OrderMailTests {
    @Test func theConfirmationListsLinesAndTotals() throws {
        let templates = try EmailTemplates()
        let rendered = try templates.render(.orderConfirmation, [
            "name": "Ada <Buyer>", "number": "PLX-000042", "subtotal": "USD 30.00", "discount": "USD 3.00", "code": "WELCOME10",
            "shipping": "USD 0.00", "total": "USD 27.00",
            "lines": [["quantity": "2", "productName": "Walnut Desk", "amount": "USD 18.00"], ["quantity": "1", "productName": "Lamp", "amount": "USD 9.00"]],
        ])
        #expect(rendered.subject == "Your order PLX-000042 is confirmed")
        #expect(rendered.text.contains("2 × Walnut Desk: USD 18.00") && rendered.text.contains("Discount (WELCOME10): −USD 3.00"))
        #expect(rendered.text.contains("Total: USD 27.00") && rendered.text.contains("Hello Ada <Buyer>"))
        #expect(rendered.html.contains("Ada &lt;Buyer&gt;") && !rendered.html.contains("<Buyer>"))
        let plain = try templates.render(.orderConfirmation, ["name": "B", "number": "PLX-1", "subtotal": "USD 1.00", "shipping": "USD 0.00",
                                                             "total": "USD 1.00", "lines": [[String: String]]()])
        #expect(!plain.text.contains("Discount"))
    }

    @Test func shipmentsLinkToTheCarrierAndCancellationsMentionTheRefund() throws {
        let templates = try EmailTemplates()
        let url = try #require(OrderEventHandlers.trackingURL(carrier: "UPS", number: "1Z 999"))
        #expect(url == "https://www.ups.com/track?tracknum=1Z%20999")
        #expect(OrderEventHandlers.trackingURL(carrier: "Local courier", number: "7") == nil)
        let shipped = try templates.render(.orderShipped, ["name": "B", "number": "PLX-7", "carrier": "UPS", "trackingNumber": "1Z 999", "trackingURL": url,
                                                           "items": [["quantity": "1", "productName": "Lamp"]]])
        #expect(shipped.html.contains("href=\"https://www.ups.com/track?tracknum=1Z%20999\"") && shipped.text.contains("1 × Lamp"))
        let refunded = try templates.render(.orderCancelled, ["name": "B", "number": "PLX-7", "refund": "USD 9.00"])
        #expect(refunded.text.contains("The USD 9.00 you paid is being refunded"))
        let expired = try templates.render(.orderCancelled, ["name": "B", "number": "PLX-8", "expired": true])
        #expect(expired.text.contains("not paid in time") && expired.text.contains("Nothing was charged"))
    }

    @Test func moneyIsWrittenInTheCurrencysUnits() {
        #expect(OrderEventHandlers.format(Money(amount: 123450, currency: "USD")) == "USD 1,234.50")
        #expect(OrderEventHandlers.format(Money(amount: 5, currency: "EUR")) == "EUR 0.05")
        #expect(OrderEventHandlers.format(Money(amount: 1500, currency: "JPY")) == "JPY 1,500")
        #expect(OrderEventHandlers.format(Money(amount: 1500, currency: "KWD")) == "KWD 1.500")
    }

    @Test func membershipReceiptsSayWhatWasChargedAndUntilWhen() throws {
        let templates = try EmailTemplates()
        let end = try Date("2027-01-31T10:00:00Z", strategy: .iso8601)
        let data = MembershipEventData(membershipId: .v7(), userId: .v7(), plan: .monthly, currentPeriodEnd: end, amount: Money(amount: 999, currency: "USD"),
                                       card: CardSummary(brand: "visa", last4: "4242"))
        let welcome = try templates.render(.membershipReceipt, OrderEventHandlers.membership(data, "Ada"))
        #expect(welcome.subject == "Welcome to Plexus VIP" && welcome.text.contains("Charged:     USD 9.99 to Visa ending 4242"))
        #expect(welcome.text.contains("Paid until:  31 January 2027"))
        let renewed = try templates.render(.membershipReceipt, OrderEventHandlers.membership(data, "Ada").merging(["renewed": true]) { $1 })
        #expect(renewed.subject == "Your VIP membership was renewed" && renewed.text.contains("was renewed"))
        var failing = data
        failing.failure = PaymentFailure(code: "expired_card", message: "The card has expired.")
        failing.graceEndsAt = end.addingTimeInterval(7 * 86_400)
        let pastDue = try templates.render(.membershipPastDue, OrderEventHandlers.membership(failing, "Ada"))
        #expect(pastDue.text.contains("could not be charged: The card has expired.") && pastDue.text.contains("VIP until 7 February 2027"))
        var ended = OrderEventHandlers.membership(data, "Ada")
        ended["cancelled"] = true
        #expect(try templates.render(.membershipEnded, ended).text.contains("ended on 31 January 2027, as you asked."))
    }
}
