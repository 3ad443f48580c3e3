import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PlexusKit
import PlexusKitTesting
import PostgresNIO
import Testing

let testSecret = String(repeating: "k", count: 40)

@Suite struct OutboxTests {
    struct Greeting: Codable, Sendable { var text: String }

    static let effects = MigrationSet(component: "effects", migrations: [
        Migration(version: 1, name: "CreateEffects", sql: "CREATE TABLE effects (id serial PRIMARY KEY, text text NOT NULL)"),
    ])

    @Test func eventsAreDeliveredAndDuplicatesHaveOneEffect() async throws {
        let logger = testLogger()
        let consumerURL = try await TestPostgres.shared.makeDatabase([Self.effects])
        let publisherURL = try await TestPostgres.shared.makeDatabase([])
        try await consumerURL.makeClient(logger: logger).withRunning { consumerDB in
            try await publisherURL.makeClient(logger: logger).withRunning { publisherDB in
                // setup: a subscriber service whose effect is a row in `effects`
                let consumer = EventConsumer(client: consumerDB, handlers: ["test.greeting": { body, connection, logger in
                    let event = try JSON.decoder.decode(EventEnvelope<Greeting>.self, from: body)
                    try await connection.query("INSERT INTO effects (text) VALUES (\(event.data.text))", logger: logger)
                }])
                let router = Router(context: PlexusContext.self)
                router.add(middleware: ProblemMiddleware())
                let tokens = await ServiceTokens(serviceName: "consumer", secret: testSecret)
                consumer.addRoute(to: router, tokens: tokens)
                try await withLiveServer(router) { port in
                    let outbox = Outbox(source: "test", subscribers: [Subscriber(name: "consumer", baseURL: "http://127.0.0.1:\(port)", eventTypes: ["test.greeting"])])
                    // act: publish in a transaction, deliver, then deliver the same job again (a retry after a lost ack)
                    try await publisherDB.withTransaction(logger: logger) { connection in
                        try await outbox.publish("test.greeting", Greeting(text: "hello"), on: connection, logger: logger)
                    }
                    let handler = outbox.deliveryHandler(client: publisherDB, http: ServiceClient(http: .plexus), tokens: await ServiceTokens(serviceName: "test", secret: testSecret))
                    let jobs = try await JobQueue.claim(kinds: [Outbox.deliveryKind], limit: 10, lease: .seconds(30), workerID: "w", client: publisherDB, logger: logger)
                    #expect(jobs.count == 1)
                    try await handler(jobs[0], logger)
                    try await handler(jobs[0], logger)
                    // assert
                    let rows = try await consumerDB.query("SELECT text FROM effects", logger: logger)
                    var texts: [String] = []
                    for try await text in rows.decode(String.self) { texts.append(text) }
                    #expect(texts == ["hello"])
                }
            }
        }
    }

    @Test func aRolledBackTransactionPublishesNothing() async throws {
        try await withKitDatabase { client in
            let outbox = Outbox(source: "test", subscribers: [Subscriber(name: "x", baseURL: "http://127.0.0.1:1", eventTypes: ["test.greeting"])])
            _ = try? await client.withTransaction(logger: testLogger()) { connection in
                try await outbox.publish("test.greeting", Greeting(text: "never"), on: connection, logger: testLogger())
                throw TestFailure()
            }
            let rows = try await client.query("SELECT (SELECT count(*) FROM outbox) + (SELECT count(*) FROM jobs)", logger: testLogger())
            for try await count in rows.decode(Int.self) { #expect(count == 0) }
        }
    }

    @Test func maintenanceKeepsUndeliveredEventsAndPrunesDeliveredOnes() async throws {
        try await withKitDatabase { client in
            let logger = testLogger()
            let outbox = Outbox(source: "test", subscribers: [Subscriber(name: "x", baseURL: "http://127.0.0.1:1", eventTypes: ["test.greeting"])])
            try await client.withTransaction(logger: logger) { connection in
                try await outbox.publish("test.greeting", Greeting(text: "kept"), on: connection, logger: logger)
            }
            try await client.query("UPDATE outbox SET created_at = now() - interval '2 hours'", logger: logger)
            let worker = JobWorker(client: client, handlers: [:], logger: logger)
            func prune() async throws -> Int {
                try await JobQueue.enqueue(kind: "kit.prune", payload: [String: String](), client: client, logger: logger)
                try await worker.runOnce()
                for try await count in try await client.query("SELECT count(*)::int FROM outbox", logger: logger).decode(Int.self) { return count }
                return -1
            }
            #expect(try await prune() == 1, "its delivery is still pending")
            try await client.query("UPDATE jobs SET status = 'done' WHERE kind = 'outbox.deliver'", logger: logger)
            #expect(try await prune() == 0)
        }
    }

    @Test func internalEventsRequireAServiceToken() async throws {
        try await withKitDatabase { client in
            let router = Router(context: PlexusContext.self)
            router.add(middleware: ProblemMiddleware())
            EventConsumer(client: client, handlers: [:]).addRoute(to: router, tokens: await ServiceTokens(serviceName: "c", secret: testSecret))
            let other = await ServiceTokens(serviceName: "evil", secret: String(repeating: "x", count: 40))
            let forged = try await other.issue()
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: "/internal/events", method: .post, body: .raw("{}")) { #expect($0.status == .unauthorized) }
                try await client.execute(uri: "/internal/events", method: .post, headers: [.authorization: "Bearer \(forged)"], body: .raw("{}")) {
                    #expect($0.status == .unauthorized)
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
