import Foundation
import Logging
@testable import PlexusKit
import PlexusKitTesting
import PostgresNIO
import Testing

/// Runs `body` with a running client on a fresh database holding the kit tables (and `extra`).
func withKitDatabase<T: Sendable>(_ extra: [MigrationSet] = [], _ body: @Sendable (DatabaseClient) async throws -> T) async throws -> T {
    let url = try await TestPostgres.shared.makeDatabase(extra)
    return try await url.makeClient(maxConnections: 10, logger: testLogger()).withRunning(body)
}

@Suite struct MigrationRunnerTests {
    let sample = MigrationSet(component: "sample", migrations: [
        Migration(version: 1, name: "CreateThings", sql: "CREATE TABLE things (id int PRIMARY KEY); CREATE INDEX things_id ON things (id);"),
        Migration(version: 2, name: "AddName", sql: "ALTER TABLE things ADD COLUMN name text"),
    ])

    @Test func appliesOnceEvenWhenRunConcurrently() async throws {
        let url = try await TestPostgres.shared.makeDatabase([])
        let logger = testLogger()
        let sample = self.sample
        // act: three runners race under the advisory lock
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    try await url.makeClient(maxConnections: 2, logger: logger).withRunning { client in
                        try await MigrationRunner.migrate([sample], client: client, logger: logger)
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        // assert
        #expect(counts.reduce(0, +) == 2)
        let upToDate = try await url.makeClient(maxConnections: 1, logger: logger).withRunning { client in
            try await MigrationRunner.isUpToDate([sample], client: client, logger: logger)
        }
        #expect(upToDate)
    }

    @Test func refusesAnEditedMigration() async throws {
        let url = try await TestPostgres.shared.makeDatabase([sample])
        let edited = MigrationSet(component: "sample", migrations: [
            Migration(version: 1, name: "CreateThings", sql: "CREATE TABLE things (id bigint PRIMARY KEY)"),
        ])
        await #expect(throws: MigrationError.self) {
            try await url.makeClient(maxConnections: 1, logger: testLogger()).withRunning { client in
                try await MigrationRunner.migrate([edited], client: client, logger: testLogger())
            }
        }
    }
}

@Suite struct JobQueueTests {
    struct Payload: Codable, Sendable { var n: Int }

    @Test func runsAJobAndMarksItDone() async throws {
        try await withKitDatabase { client in
            let logger = testLogger()
            let seen = Counter()
            let worker = JobWorker(client: client, jobs: [JobRegistration(kind: "test.ok") { job, _ in await seen.add(try job.decode(Payload.self).n) }], logger: logger)
            try await JobQueue.enqueue(kind: "test.ok", payload: Payload(n: 7), client: client, logger: logger)
            #expect(try await worker.runOnce() == 1)
            #expect(await seen.values == [7])
            #expect(try await status(of: "test.ok", client) == ["done"])
        }
    }

    @Test func failureBacksOffThenDiesAfterTheLastAttempt() async throws {
        try await withKitDatabase { client in
            let logger = testLogger()
            var options = JobWorkerOptions()
            options.backoff = Backoff(base: .seconds(30), cap: .seconds(60))
            let worker = JobWorker(client: client, jobs: [JobRegistration(kind: "test.fail") { _, _ in throw TestFailure() }], options: options, logger: logger)
            try await JobQueue.enqueue(kind: "test.fail", payload: Payload(n: 1), options: JobOptions(maxAttempts: 2), client: client, logger: logger)
            // first attempt fails: back to pending, scheduled at least 15 s later (half the 30 s ceiling)
            #expect(try await worker.runOnce() == 1)
            let delays = try await client.column("SELECT EXTRACT(EPOCH FROM run_at - now())::float8 FROM jobs", as: Double.self)
            #expect(delays.count == 1 && delays.allSatisfy { $0 > 14 && $0 <= 31 })
            #expect(try await worker.runOnce() == 0, "not due yet")
            // make it due, second (last) attempt fails: dead
            try await client.query("UPDATE jobs SET run_at = now()", logger: logger)
            #expect(try await worker.runOnce() == 1)
            #expect(try await status(of: "test.fail", client) == ["dead"])
        }
    }

    @Test func aJobWhoseWorkerDiedRunsAgainAfterItsLease() async throws {
        try await withKitDatabase { client in
            let logger = testLogger()
            try await JobQueue.enqueue(kind: "test.crash", payload: Payload(n: 1), client: client, logger: logger)
            // a worker claims the job with a short lease and "dies" (never completes it)
            let claimed = try await JobQueue.claim(kinds: ["test.crash"], limit: 1, lease: .seconds(2), workerID: "dead-worker", client: client, logger: logger)
            #expect(claimed.count == 1)
            let survivor = JobWorker(client: client, jobs: [JobRegistration(kind: "test.crash") { _, _ in }], logger: logger)
            #expect(try await survivor.runOnce() == 0, "the lease still holds")
            try await Task.sleep(for: .milliseconds(2200))
            #expect(try await survivor.runOnce() == 1)
            #expect(try await status(of: "test.crash", client) == ["done"])
            #expect(try await client.column("SELECT attempts FROM jobs", as: Int.self) == [2])
        }
    }

    @Test func concurrentWorkersClaimEachJobOnce() async throws {
        try await withKitDatabase { client in
            let logger = testLogger()
            for n in 0..<40 { try await JobQueue.enqueue(kind: "test.count", payload: Payload(n: n), client: client, logger: logger) }
            let seen = Counter()
            let workers = (0..<4).map { _ in JobWorker(client: client, jobs: [JobRegistration(kind: "test.count") { job, _ in await seen.add(try job.decode(Payload.self).n) }], logger: logger) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in workers { group.addTask { while try await worker.runOnce() > 0 {} } }
                try await group.waitForAll()
            }
            #expect(await seen.values.sorted() == Array(0..<40))
        }
    }

    @Test func periodicJobsAreEnqueuedOncePerSlot() async throws {
        try await withKitDatabase { client in
            let logger = testLogger()
            let a = JobWorker(client: client, jobs: [JobRegistration(kind: "test.tick") { _, _ in }], periodic: [PeriodicJob(kind: "test.tick", interval: .seconds(3600))], logger: logger)
            let b = JobWorker(client: client, jobs: [JobRegistration(kind: "test.tick") { _, _ in }], periodic: [PeriodicJob(kind: "test.tick", interval: .seconds(3600))], logger: logger)
            let now = Date()
            try await a.schedulePeriodic(now: now)
            try await b.schedulePeriodic(now: now)
            #expect(try await status(of: "test.tick", client).count == 1)
        }
    }

    @Test func notifyWakesARunningWorker() async throws {
        try await withKitDatabase { client in
            let logger = testLogger()
            let seen = Counter()
            var options = JobWorkerOptions()
            options.pollInterval = .seconds(30) // only NOTIFY can wake it in time
            let worker = JobWorker(client: client, jobs: [JobRegistration(kind: "test.wake") { job, _ in await seen.add(try job.decode(Payload.self).n) }], options: options, logger: logger)
            let task = Task { try await worker.run() }
            try await Task.sleep(for: .milliseconds(500))
            try await JobQueue.enqueue(kind: "test.wake", payload: Payload(n: 3), client: client, logger: logger)
            #expect(try await eventually(timeout: .seconds(5)) { await seen.values == [3] })
            task.cancel()
        }
    }

    func status(of kind: String, _ client: DatabaseClient) async throws -> [String] {
        var result: [String] = []
        for try await status in try await client.query("SELECT status FROM jobs WHERE kind = \(kind)", logger: testLogger()).decode(String.self) {
            result.append(status)
        }
        return result
    }
}

struct TestFailure: Error {}

actor Counter {
    var values: [Int] = []
    func add(_ value: Int) { values.append(value) }
}

@Suite struct PreparedTextTests {
    /// Names of this process's prepared texts on the connection that answers (a one-connection pool
    /// answers on the connection that ran them).
    func prepared(_ client: DatabaseClient) async throws -> [String] {
        try await values(client.query("SELECT name FROM pg_prepared_statements WHERE name LIKE 'plexus_text_%' ORDER BY name", logger: testLogger()), String.self)
    }

    func values<T: PostgresDecodable>(_ rows: DatabaseRows, _ type: T.Type) async throws -> [T] {
        var values: [T] = []
        for try await value in rows.decode(T.self) { values.append(value) }
        return values
    }

    @Test func aRepeatedTextIsPreparedOnceAndAnswersLikeAQuery() async throws {
        let url = try await TestPostgres.shared.makeDatabase([])
        let pool = url.makePool(maxConnections: 1, logger: testLogger())
        try await DatabaseClient(pool: pool, preparedTextLimit: 2).withRunning { client in
            // named on its third run
            for value in [3, 4, 5] {
                var sql = SQLBuilder("SELECT g * ")
                sql.append("\(sql.bind(value))::int FROM generate_series(1, 3) g ORDER BY g")
                let rows = try await values(client.queryPrepared(sql.query, logger: testLogger()), Int.self)
                #expect(rows == [value, 2 * value, 3 * value])
            }
            #expect(try await prepared(client) == ["plexus_text_1"])

            // a text run twice stays unnamed; beyond the limit a text runs unnamed however often it runs
            for (text, runs) in [("SELECT 2", 2), ("SELECT 3", 3), ("SELECT 4", 5)] {
                for _ in 0..<runs {
                    #expect(try await values(client.queryPrepared(PostgresQuery(unsafeSQL: text), logger: testLogger()), Int.self).count == 1)
                }
            }
            #expect(try await prepared(client) == ["plexus_text_1", "plexus_text_2"])
            #expect(client.preparedTexts.name(for: "SELECT 3") == "plexus_text_2")
        }
    }

    @Test func aCancelledNamedRunKeepsItsTextNamed() async throws {
        let url = try await TestPostgres.shared.makeDatabase([])
        let pool = url.makePool(maxConnections: 2, logger: testLogger())
        try await DatabaseClient(pool: pool).withRunning { client in
            func sleep(_ seconds: Double) -> PostgresQuery {
                var sql = SQLBuilder("SELECT pg_sleep(")
                sql.append("\(sql.bind(seconds))::float8)::text")
                return sql.query
            }
            for _ in 0..<3 { try await client.queryPrepared(sleep(0), logger: testLogger()) }
            let name = try #require(client.preparedTexts.name(for: sleep(0).sql))
            // a caller that has gone away (a client hanging up, a sibling task failing): its call fails
            let running = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await client.queryPrepared(sleep(0), logger: testLogger())
            }
            let outcome = await running.result
            #expect(throws: (any Error).self) { try outcome.get() }
            // is no reason to run the text unprepared for everyone from now on
            #expect(client.preparedTexts.name(for: sleep(0).sql) == name)
        }
    }

    @Test func aPoolsSessionsStartWithItsSettings() async throws {
        let url = try await TestPostgres.shared.makeDatabase([])
        let database = Database(url: url, maxConnections: 1, settings: [("plan_cache_mode", "force_generic_plan"), ("application_name", "a test pool")],
                                logger: testLogger())
        try await database.client.withRunning { client in
            let rows = try await client.query("SELECT current_setting('plan_cache_mode'), current_setting('application_name'), current_setting('statement_timeout')",
                                              logger: testLogger())
            for try await (mode, name, timeout) in rows.decode((String, String, String).self) {
                #expect(mode == "force_generic_plan" && name == "a test pool" && timeout == "15s")
            }
        }
    }

    @Test func aFailingNamedRunIsRunUnnamedAndItsTextStaysUnnamed() async throws {
        let url = try await TestPostgres.shared.makeDatabase([])
        let pool = url.makePool(maxConnections: 1, logger: testLogger())
        try await DatabaseClient(pool: pool).withRunning { client in
            func divide(_ divisor: Int) async throws -> [Int] {
                var sql = SQLBuilder("SELECT 12 / ")
                sql.append("\(sql.bind(divisor))::int")
                return try await values(client.queryPrepared(sql.query, logger: testLogger()), Int.self)
            }
            for _ in 0..<3 { #expect(try await divide(4) == [3]) }
            #expect(try await prepared(client) == ["plexus_text_1"])
            // the statement's own error reaches the caller (after the unnamed run failed too)
            let error = try await #require(throws: PSQLError.self) { try await divide(0) }
            #expect(error.serverInfo?[.sqlState] == "22012")
            #expect(!DatabaseOutage.matches(error))
            // and the text now runs unnamed, still answering
            #expect(try await divide(6) == [2])
            #expect(client.preparedTexts.name(for: "SELECT 12 / $1::int") == nil)
        }
    }
}
