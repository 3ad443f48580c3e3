import Foundation
import PaymentAPI
@testable import PaymentService
import Testing

@Suite("Sandbox cards and webhook signatures") struct PaymentRulesTests {
    @Test("test cards decide the outcome", arguments: [
        ("4242 4242 4242 4242", SandboxCards.Behaviour.succeed),
        ("4000-0000-0000-0002", .decline(code: "card_declined", message: "The card was declined.")),
        ("4000000000009995", .decline(code: "insufficient_funds", message: "The card has insufficient funds.")),
        ("4000 0025 0000 3155", .secondConfirmation),
        ("4000 0000 0000 0077", .processing),
    ])
    func behaviours(number: String, expected: SandboxCards.Behaviour) throws {
        let checked = try SandboxCards.check(CardInput(number: number, expMonth: 12, expYear: 2040, cvc: "123")).get()
        #expect(SandboxCards.behaviour(of: checked.number) == expected)
        #expect(checked.summary.last4 == String(number.filter(\.isNumber).suffix(4)))
        #expect(checked.summary.brand == "visa")
    }

    @Test func malformedCardsAreFieldErrorsNotCharges() {
        for card in [CardInput(number: "4242 4242 4242 4241", expMonth: 12, expYear: 2040, cvc: "123"),
                     CardInput(number: "42424242abcd4242", expMonth: 12, expYear: 2040, cvc: "123"),
                     CardInput(number: "4242424242424242", expMonth: 13, expYear: 2040, cvc: "123"),
                     CardInput(number: "4242424242424242", expMonth: 12, expYear: 2040, cvc: "12a")] {
            guard case .failure(let problem) = SandboxCards.check(card) else { Issue.record("\(card) was accepted"); continue }
            #expect(problem.status.code == 422)
        }
        #expect(SandboxCards.expired(CardInput(number: "", expMonth: 1, expYear: 2020, cvc: ""), now: Date()))
        #expect(!SandboxCards.expired(CardInput(number: "", expMonth: 12, expYear: 2099, cvc: ""), now: Date()))
    }

    static func refusal(_ result: Result<Void, WebhookSignature.Refusal>) -> WebhookSignature.Refusal? {
        if case .failure(let refusal) = result { return refusal }
        return nil
    }

    @Test func signaturesHoldOnlyForTheirBodySecretAndTime() {
        let body = Data(#"{"id":"evt_1"}"#.utf8)
        let now = Date()
        let header = WebhookSignature.header(for: body, secret: "secret-secret-secret", time: now)
        #expect((try? WebhookSignature.verify(header, body: body, secret: "secret-secret-secret", now: now).get()) != nil)
        #expect(Self.refusal(WebhookSignature.verify(header, body: Data(#"{"id":"evt_2"}"#.utf8), secret: "secret-secret-secret", now: now)) == .mismatch)
        #expect(Self.refusal(WebhookSignature.verify(header, body: body, secret: "another-secret-value", now: now)) == .mismatch)
        #expect(Self.refusal(WebhookSignature.verify(header, body: body, secret: "secret-secret-secret", now: now.addingTimeInterval(301))) == .stale)
        #expect(Self.refusal(WebhookSignature.verify(nil, body: body, secret: "secret-secret-secret", now: now)) == .missing)
        #expect(Self.refusal(WebhookSignature.verify("v1=abc", body: body, secret: "secret-secret-secret", now: now)) == .malformed)
        // a rotated secret: the old and the new signature side by side, either matches
        let rotated = header + ",v1=" + String(repeating: "0", count: 64)
        #expect((try? WebhookSignature.verify(rotated, body: body, secret: "secret-secret-secret", now: now).get()) != nil)
    }
}
