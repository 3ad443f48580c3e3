import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IdentityAPI
import Logging
import NIOCore
import NotificationService
import PlexusKit
import PlexusKitTesting
import PostgresNIO
import Testing

/// A real notification router over a fresh database; `transport` decides mailbox or SMTP.
func withNotification<T: Sendable>(
    transport: NotificationConfiguration.Transport = .mailbox, mode: RuntimeMode = .development,
    _ body: @Sendable (DatabaseClient, JobWorker, any TestClientProtocol) async throws -> T
) async throws -> T {
    let url = try await TestPostgres.shared.makeDatabase(try NotificationService.migrations.filter { $0.component != "kit" })
    let database = Database(url: url, logger: testLogger())
    return try await database.client.withRunning { client in
        var common = CommonConfiguration.test(.notification, database: url)
        common.mode = mode
        let configuration = NotificationConfiguration(common: common, transport: transport)
        let assembled = try await TestServices.assemble(NotificationService.self, configuration: configuration, database: database, verifier: try TestIssuer().verifier)
        let worker = TestServices.worker(NotificationService.self, assembled)
        return try await Application(router: assembled.parts.router.router).test(.router) { http in try await body(client, worker, http) }
    }
}

func verificationEvent(email: String, id: UUID = .v7()) -> EventEnvelope<EmailTokenIssued> {
    EventEnvelope(id: id, IdentityEvent.verificationRequested,
                  data: EmailTokenIssued(userId: .v7(), email: email, name: "Ann <b>", actionURL: "http://localhost:8080/verify-email?token=abc&x=1",
                                         expiresAt: Date().addingTimeInterval(86400)))
}

func deliver(_ event: some Encodable, _ http: any TestClientProtocol, token: String?) async throws -> TestResponse {
    try await http.execute(uri: "/internal/events", method: .post, headers: TestHeaders.json(token: token), body: .json(event)) { $0 }
}

@Suite struct NotificationEventTests {
    @Test func aVerificationEventBecomesOneMailEvenWhenDeliveredTwice() async throws {
        try await withNotification { client, worker, http in
            let token = try TestServiceKeys.token(from: .identity, to: .notification)
            let event = verificationEvent(email: "ann@example.com")
            // act
            #expect(try await deliver(event, http, token: token).status == .ok)
            let duplicate = try await deliver(event, http, token: token)
            #expect(try duplicate.decode([String: String].self)["outcome"] == "duplicate")
            try await worker.runOnce()
            // assert
            let latest = try await http.execute(uri: "/dev/mailbox/latest?to=ann@example.com", method: .get) { $0 }
            #expect(latest.status == .ok)
            let mail = try latest.decode([String: String].self)
            #expect(mail["subject"] == "Confirm your e-mail address")
            #expect(mail["text"]?.contains("http://localhost:8080/verify-email?token=abc&x=1") == true)
            #expect(mail["html"]?.contains("Ann &lt;b&gt;") == true, "names are HTML-escaped in the HTML part")
            let rows = try await client.query("SELECT count(*)::int, min(status) FROM emails", logger: testLogger())
            for try await (count, status) in rows.decode((Int, String).self) { #expect(count == 1 && status == "sent") }
            let page = try await http.execute(uri: "/dev/mailbox", method: .get) { $0 }
            #expect(page.text.contains("Confirm your e-mail address"))
        }
    }

    @Test func eventsWithoutAServiceTokenAreRefused() async throws {
        try await withNotification { client, _, http in
            #expect(try await deliver(verificationEvent(email: "x@example.com"), http, token: nil).status == .unauthorized)
            let rows = try await client.query("SELECT count(*)::int FROM emails", logger: testLogger())
            for try await count in rows.decode(Int.self) { #expect(count == 0) }
        }
    }

    @Test func theMailboxDoesNotExistInProduction() async throws {
        try await withNotification(mode: .production) { _, _, http in
            let status = try await http.execute(uri: "/dev/mailbox", method: .get) { $0.status }
            #expect(status == .notFound)
        }
    }

    @Test func smtpTransportDeliversToARealServer() async throws {
        let server = try await SMTPTestServer()
        defer { server.stop() }
        let smtp = SMTPConfiguration(host: "127.0.0.1", port: server.port, security: .startTLS, username: "user", password: "secret", verifyCertificates: false)
        try await withNotification(transport: .smtp(smtp)) { client, worker, http in
            let token = try TestServiceKeys.token(from: .identity, to: .notification)
            let reset = EventEnvelope(IdentityEvent.passwordResetRequested,
                                      data: EmailTokenIssued(userId: .v7(), email: "bob@example.com", name: "Bob", actionURL: "http://localhost:8080/reset-password?token=t",
                                                             expiresAt: Date().addingTimeInterval(3600)))
            #expect(try await deliver(reset, http, token: token).status == .ok)
            try await worker.runOnce()
            let received = try server.received()
            #expect(received.count == 1)
            #expect(received.first?.to == ["bob@example.com"])
            #expect(received.first?.content.contains("Reset your Plexus password") == true)
            #expect(try await client.column("SELECT status FROM emails", as: String.self) == ["sent"])
            // the mail carried the live link; the stored copy no longer does
            #expect(received.first?.content.contains("reset-password") == true)
            #expect(try await client.column("SELECT text_body || html_body FROM emails", as: String.self).allSatisfy { !$0.contains("token=t\n") && $0.contains("token=removed") })
        }
    }

    @Test func anUnreachableSMTPServerIsRetriedAndTheStateRecorded() async throws {
        let smtp = SMTPConfiguration(host: "127.0.0.1", port: try EmbeddedPostgres.freePort(), security: .none, timeout: .seconds(2))
        try await withNotification(transport: .smtp(smtp)) { client, worker, http in
            let token = try TestServiceKeys.token(from: .identity, to: .notification)
            #expect(try await deliver(verificationEvent(email: "c@example.com"), http, token: token).status == .ok)
            try await worker.runOnce()
            let rows = try await client.query("""
                SELECT e.status, e.attempts, e.last_error IS NOT NULL, j.status FROM emails e, jobs j WHERE j.kind = 'notification.send_email'
                """, logger: testLogger())
            var states: [String] = []
            for try await (status, attempts, hasError, jobStatus) in rows.decode((String, Int, Bool, String).self) {
                states.append("\(status)/\(attempts)/\(hasError)/\(jobStatus)")
            }
            #expect(states == ["queued/1/true/pending"])
        }
    }
}
