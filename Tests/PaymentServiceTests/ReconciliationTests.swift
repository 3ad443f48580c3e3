import Foundation
import PaymentAPI
@testable import PaymentService
import PlexusKit
import PlexusKitTesting
import Testing

/// Payments whose confirmation stopped between asking the provider and recording its answer.
@Suite struct ReconciliationTests {
    static func repository(_ client: DatabaseClient) -> PaymentRepository {
        PaymentRepository(client: client, outbox: Outbox(source: .payment, subscribers: []),
                          provider: SandboxProvider(client: client, secret: "reconciliation-test-secret", webhookDelay: .zero, processingDelay: .zero))
    }

    @Test func aChargeTheProviderMadeIsRecordedOnceAndAnUnaskedOneIsConfirmableAgain() async throws {
        let url = try await TestPostgres.shared.makeDatabase(try PaymentService.migrations.filter { $0.component != "kit" })
        try await url.makeClient(logger: testLogger()).withRunning { client in
            // setup: two payments in `processing`; the provider charged the first (the process died
            // before recording it) and never heard of the second
            let payments = Self.repository(client)
            let logger = testLogger()
            let charged = try await payments.open(OpenPaymentRequest(orderId: .v7(), customerId: .v7(), amount: Money(amount: 2500, currency: "USD")), logger: logger)
            let unasked = try await payments.open(OpenPaymentRequest(orderId: .v7(), customerId: .v7(), amount: Money(amount: 900, currency: "USD")), logger: logger)
            _ = try await payments.beginConfirm(charged.id, customerID: charged.customerID, logger: logger)
            _ = try await payments.provider.confirm(reference: charged.reference!, method: .card("4242 4242 4242 4242"), idempotencyKey: "crash", logger: logger)
            _ = try await payments.beginConfirm(unasked.id, customerID: unasked.customerID, logger: logger)

            // act: the job runs twice
            let looked = try await payments.reconcile(after: .zero, logger: logger)
            try await payments.reconcile(after: .zero, logger: logger)

            // expect
            #expect(looked == 2)
            let first = try #require(try await payments.find(charged.id, logger: logger))
            #expect(first.status == .succeeded && first.captured == 2500 && first.card?.last4 == "4242")
            #expect(try await payments.find(unasked.id, logger: logger)?.status == .requiresConfirmation)
            let published = try await client.column("SELECT type FROM outbox ORDER BY created_at", as: String.self)
            #expect(published == ["payment.succeeded"], "one capture, one event")
        }
    }
}
