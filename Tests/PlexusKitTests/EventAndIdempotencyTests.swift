import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
@testable import PlexusKit
import PlexusKitTesting
import PostgresNIO
import Testing

@Suite struct OutboxTests {
    struct Greeting: Codable, Sendable { var text: String }
    /// Published by "catalog" and consumed by "notification" in these tests (any two names do).
    static let greeting = EventType("test.greeting", publisher: .catalog, payload: Greeting.self)

    static let effects = MigrationSet(component: "effects", migrations: [
        Migration(version: 1, name: "CreateEffects", sql: "CREATE TABLE effects (id serial PRIMARY KEY, text text NOT NULL)"),
    ])

    static func consumer(_ client: DatabaseClient, understands version: Int = 1) -> EventConsumer {
        let type = EventType(greeting.name, publisher: .catalog, version: version, payload: Greeting.self)
        return EventConsumer(client: client, subscriptions: [.on(type) { event, connection, logger in
            try await connection.query("INSERT INTO effects (text) VALUES (\(event.data.text))", logger: logger)
        }])
    }

    static func outbox(to port: Int = 1) -> Outbox {
        Outbox(source: .catalog, subscribers: [Subscriber(service: .notification, baseURL: "http://127.0.0.1:\(port)", eventTypes: [greeting.name])])
    }

    /// A publisher database whose outbox delivers to `subscribers`, all served by one consumer
    /// (its effect a row in `effects` of its own database) on a live socket: `body` gets the
    /// outbox, its delivery job, and both databases.
    static func withDelivery(to subscribers: [ServiceName],
                             _ body: @Sendable (Outbox, JobRegistration, DatabaseClient, DatabaseClient) async throws -> Void) async throws {
        let logger = testLogger()
        let consumerURL = try await TestPostgres.shared.makeDatabase([Self.effects])
        let publisherURL = try await TestPostgres.shared.makeDatabase([])
        try await consumerURL.makeClient(logger: logger).withRunning { consumerDB in
            try await publisherURL.makeClient(logger: logger).withRunning { publisherDB in
                let router = Router(context: PlexusContext.self)
                router.add(middleware: ProblemMiddleware())
                Self.consumer(consumerDB).addRoute(to: EndpointRouter(router, tokens: ServiceTokens(keys: TestServiceKeys.keys(for: .notification))))
                try await withLiveServer(router) { port in
                    let outbox = Outbox(source: .catalog, subscribers: subscribers.map {
                        Subscriber(service: $0, baseURL: "http://127.0.0.1:\(port)", eventTypes: [Self.greeting.name])
                    })
                    let delivery = outbox.deliveryJob(client: publisherDB, http: ServiceClient(http: .plexus),
                                                      tokens: ServiceTokens(keys: TestServiceKeys.keys(for: .catalog)))
                    try await body(outbox, delivery, publisherDB, consumerDB)
                }
            }
        }
    }

    @Test func eventsAreDeliveredAndDuplicatesHaveOneEffect() async throws {
        let logger = testLogger()
        // setup: a subscriber service whose effect is a row in `effects`
        try await Self.withDelivery(to: [.notification]) { outbox, delivery, publisherDB, consumerDB in
            // act: publish in a transaction, deliver, then deliver the same job again (a retry after a lost ack)
            try await publisherDB.withTransaction(logger: logger) { connection in
                try await outbox.publish(Self.greeting, Greeting(text: "hello"), on: connection, logger: logger)
            }
            let jobs = try await JobQueue.claim(kinds: [Outbox.deliveryKind.name], limit: 10, lease: .seconds(30), workerID: "w", client: publisherDB, logger: logger)
            #expect(jobs.count == 1)
            try await delivery.handler(jobs[0], logger)
            try await delivery.handler(jobs[0], logger)
            // assert
            #expect(try await consumerDB.column("SELECT text FROM effects", as: String.self) == ["hello"])
        }
    }

    @Test func failedDeliveriesLeaveTheRequestsBreakerToTheSubscriberClosed() async throws {
        let logger = testLogger()
        let url = try await TestPostgres.shared.makeDatabase([])
        try await url.makeClient(logger: logger).withRunning { publisherDB in
            // setup: a subscriber that is not listening, a breaker opening after 3 failures
            let outbox = Self.outbox(to: try EmbeddedPostgres.freePort())
            let client = ServiceClient(http: .plexus, breakers: CircuitBreakers(template: CircuitBreaker(failureThreshold: 3, openDuration: .seconds(30))),
                                       maxRetries: 0)
            let delivery = outbox.deliveryJob(client: publisherDB, http: client, tokens: ServiceTokens(keys: TestServiceKeys.keys(for: .catalog)))
            try await publisherDB.withTransaction(logger: logger) { connection in
                try await outbox.publish(Self.greeting, Greeting(text: "later"), on: connection, logger: logger)
            }
            let jobs = try await JobQueue.claim(kinds: [Outbox.deliveryKind.name], limit: 10, lease: .seconds(30), workerID: "w", client: publisherDB, logger: logger)
            // act: three deliveries fail
            for _ in 0..<3 {
                await #expect(throws: (any Error).self) { try await delivery.handler(jobs[0], logger) }
            }
            // expect: the deliveries' breaker opened; the one requests' calls to notification go through did not
            #expect(client.breakers.acquire(ServiceName.notification.rawValue).allowed)
            #expect(client.breakers.state(of: ServiceName.notification.rawValue) == .closed(failures: 0))
            #expect(!client.breakers.acquire(Outbox.breakerName(for: outbox.subscribers[0])).allowed)
        }
    }

    @Test func theOutboxRowGoesOnlyWhenEverySubscriberHasTheEvent() async throws {
        let logger = testLogger()
        // setup: two subscribers (both served by one consumer here)
        try await Self.withDelivery(to: [.notification, .cart]) { outbox, delivery, publisherDB, _ in
            try await publisherDB.withTransaction(logger: logger) { connection in
                try await outbox.publish(Self.greeting, Greeting(text: "twice"), on: connection, logger: logger)
            }
            let jobs = try await JobQueue.claim(kinds: [Outbox.deliveryKind.name], limit: 10, lease: .seconds(30), workerID: "w", client: publisherDB, logger: logger)
            #expect(jobs.count == 2)
            let first = try #require(jobs.first { $0.payload.contains("notification") })
            let second = try #require(jobs.first { $0.payload.contains("cart") })
            // act + assert: after the first delivery the event is kept for the second…
            try await delivery.handler(first, logger)
            #expect(try await publisherDB.column("SELECT count(*)::int FROM outbox", as: Int.self) == [1])
            // …and goes once no other delivery of it is due (a delivery repeated after the other finished)
            try await publisherDB.query("UPDATE jobs SET status = 'done' WHERE id = \(second.id)", logger: logger)
            try await delivery.handler(first, logger)
            #expect(try await publisherDB.column("SELECT count(*)::int FROM outbox", as: Int.self) == [0])
        }
    }

    @Test func anEventOfAnUnknownVersionIsParkedAndReplayedAfterAnUpgrade() async throws {
        let logger = testLogger()
        let url = try await TestPostgres.shared.makeDatabase([Self.effects])
        try await url.makeClient(logger: logger).withRunning { client in
            // setup: a v2 envelope arrives at a consumer built for v1
            let v2 = EventType(Self.greeting.name, publisher: .catalog, version: 2, payload: Greeting.self)
            let body = try JSON.encoder.encode(EventEnvelope(v2, data: Greeting(text: "from the future")))
            // act
            let outcome = try await Self.consumer(client).consume(body, logger: logger)
            let again = try await Self.consumer(client).consume(body, logger: logger)
            let stillOld = try await Self.consumer(client).replayParked(logger: logger)
            let parked = try await Self.consumer(client).parked(logger: logger)
            // expect: kept, visible, not applied
            #expect(outcome == .parked && again == .parked && stillOld == 0)
            #expect(parked.map(\.type) == [Self.greeting.name] && parked.map(\.version) == [2])
            #expect(try await client.column("SELECT count(*)::int FROM effects", as: Int.self) == [0])
            // act: the upgraded consumer understands v2
            let upgraded = Self.consumer(client, understands: 2)
            #expect(try await upgraded.replayParked(logger: logger) == 1)
            #expect(try await upgraded.replayParked(logger: logger) == 0)
            // expect: applied once, no longer parked, and a late redelivery is a duplicate
            #expect(try await client.column("SELECT text FROM effects", as: String.self) == ["from the future"])
            #expect(try await upgraded.parked(logger: logger).isEmpty)
            #expect(try await upgraded.consume(body, logger: logger) == .duplicate)
        }
    }

    @Test func aRolledBackTransactionPublishesNothing() async throws {
        try await withKitDatabase { client in
            let outbox = Self.outbox()
            _ = try? await client.withTransaction(logger: testLogger()) { connection in
                try await outbox.publish(Self.greeting, Greeting(text: "never"), on: connection, logger: testLogger())
                throw TestFailure()
            }
            let rows = try await client.column("SELECT ((SELECT count(*) FROM outbox) + (SELECT count(*) FROM jobs))::int", as: Int.self)
            #expect(rows == [0])
        }
    }

    @Test func theEnvelopeAndTheDeliveryJobCarryTheRequestTrace() async throws {
        try await withKitDatabase { client in
            let trace = RequestTrace(requestID: "req-trail-1", continuing: nil)
            try await RequestTrace.with(trace) {
                try await client.withTransaction(logger: testLogger()) { connection in
                    try await Self.outbox().publish(Self.greeting, Greeting(text: "traced"), on: connection, logger: testLogger())
                }
            }
            #expect(try await client.column("SELECT payload->>'requestId' FROM outbox", as: String.self) == ["req-trail-1"])
            #expect(try await client.column("SELECT payload->>'traceparent' FROM outbox", as: String.self) == [trace.traceparent])
            let jobs = try await JobQueue.claim(kinds: [Outbox.deliveryKind.name], limit: 1, lease: .seconds(5), workerID: "w", client: client, logger: testLogger())
            #expect(jobs.first?.trace?.requestID == "req-trail-1")
            #expect(jobs.first?.trace?.traceID == trace.traceID, "the job continues the request's trace")
        }
    }

    @Test func maintenanceKeepsUndeliveredEventsAndPrunesDeliveredOnes() async throws {
        try await withKitDatabase { client in
            let logger = testLogger()
            try await client.withTransaction(logger: logger) { connection in
                try await Self.outbox().publish(Self.greeting, Greeting(text: "kept"), on: connection, logger: logger)
            }
            try await client.query("UPDATE outbox SET created_at = now() - interval '2 hours'", logger: logger)
            let worker = JobWorker(client: client, jobs: [], logger: logger)
            func prune() async throws -> Int {
                try await JobQueue.enqueue(KitMaintenance.kind, NoPayload(), client: client, logger: logger)
                try await worker.runOnce()
                return try await client.column("SELECT count(*)::int FROM outbox", as: Int.self)[0]
            }
            #expect(try await prune() == 1, "its delivery is still pending")
            try await client.query("UPDATE jobs SET status = 'done' WHERE kind = 'outbox.deliver'", logger: logger)
            #expect(try await prune() == 0)
        }
    }

    @Test func internalEventsRequireAServiceTokenFromAPublisher() async throws {
        try await withKitDatabase { client in
            let router = Router(context: PlexusContext.self)
            router.add(middleware: ProblemMiddleware())
            Self.consumer(client).addRoute(to: EndpointRouter(router, tokens: ServiceTokens(keys: TestServiceKeys.keys(for: .notification))))
            let forged = try ServiceTokens(keys: ServiceKeys(service: .catalog, encodedPrivateKey: ServiceKeys.generatePrivateKey(), encodedPublicKeys: ""))
                .token(for: .notification)
            let notPublisher = try TestServiceKeys.token(from: .shop, to: .notification)
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: "/internal/events", method: .post, body: .raw("{}")) { #expect($0.status == .unauthorized) }
                try await client.execute(uri: "/internal/events", method: .post, headers: [.authorization: "Bearer \(forged)"], body: .raw("{}")) {
                    #expect($0.status == .unauthorized)
                }
                try await client.execute(uri: "/internal/events", method: .post, headers: [.authorization: "Bearer \(notPublisher)"], body: .raw("{}")) {
                    #expect($0.status == .forbidden)
                }
            }
        }
    }
}

@Suite struct IdempotencyTests {
    @Test func replaysConflictsAndMismatches() async throws {
        try await withKitDatabase { client in
            // setup: a POST that counts its executions and is slow enough to overlap
            let executions = NIOLockedValueBox(0)
            let router = Router(context: PlexusContext.self)
            router.add(middleware: RequestIDMiddleware())
            router.add(middleware: ProblemMiddleware())
            router.add(middleware: IdempotencyMiddleware(client: client, requiredFor: { $0.uri.path == "/strict" }))
            router.post("/things") { request, _ in
                let n = executions.withLockedValue { $0 += 1; return $0 }
                if request.uri.query == "slow" { try await Task.sleep(for: .milliseconds(1500)) }
                return try Response.json(["n": n], status: .created)
            }
            router.post("/strict") { _, _ in Response.empty() }
            try await Application(router: router).test(.router) { http in
                let headers: HTTPFields = [.idempotencyKey: "key-1", .contentType: "application/json"]
                // act + assert: first run, then a replay with the same body
                let first = try await http.execute(uri: "/things", method: .post, headers: headers, body: .raw(#"{"a":1}"#)) { $0 }
                let replay = try await http.execute(uri: "/things", method: .post, headers: headers, body: .raw(#"{"a":1}"#)) { $0 }
                #expect(first.status == .created && replay.status == .created)
                #expect(try first.decode([String: Int].self) == ["n": 1])
                #expect(try replay.decode([String: Int].self) == ["n": 1])
                #expect(replay.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
                // same key, different body
                try await http.execute(uri: "/things", method: .post, headers: headers, body: .raw(#"{"a":2}"#)) { #expect($0.status == .unprocessableContent) }
                // concurrent duplicate while the first still runs
                let slowHeaders: HTTPFields = [.idempotencyKey: "key-2"]
                async let slow = http.execute(uri: "/things?slow", method: .post, headers: slowHeaders, body: .raw("{}")) { $0.status }
                try await Task.sleep(for: .milliseconds(500))
                try await http.execute(uri: "/things?slow", method: .post, headers: slowHeaders, body: .raw("{}")) { #expect($0.status == .conflict) }
                #expect(try await slow == .created)
                // a route that requires the key
                try await http.execute(uri: "/strict", method: .post, body: .raw("{}")) { #expect($0.status == .badRequest) }
            }
            #expect(executions.withLockedValue { $0 } == 2)
        }
    }
}

@Suite struct IdempotencyReleaseTests {
    struct Boom: Error {}

    @Test func aServerFaultReleasesTheKeySoARetryRuns() async throws {
        try await withKitDatabase { client in
            // setup: a handler that fails once, then succeeds
            let executions = NIOLockedValueBox(0)
            let router = Router(context: PlexusContext.self)
            router.add(middleware: RequestIDMiddleware())
            router.add(middleware: ProblemMiddleware())
            router.add(middleware: IdempotencyMiddleware(client: client))
            router.post("/flaky") { _, _ in
                let n = executions.withLockedValue { $0 += 1; return $0 }
                if n == 1 { throw Boom() }
                return try Response.json(["n": n], status: .created)
            }
            try await Application(router: router).test(.router) { http in
                let headers: HTTPFields = [.idempotencyKey: "retry-me", .contentType: "application/json"]
                // act
                let failed = try await http.execute(uri: "/flaky", method: .post, headers: headers, body: .raw("{}")) { $0.status }
                let retried = try await http.execute(uri: "/flaky", method: .post, headers: headers, body: .raw("{}")) { $0 }
                // expect: the retry ran (not a 409 "in progress", not a replayed 500)
                #expect(failed == .internalServerError)
                #expect(retried.status == .created)
                #expect(try retried.decode([String: Int].self) == ["n": 2])
            }
        }
    }
}
