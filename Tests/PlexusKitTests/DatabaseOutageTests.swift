import Foundation
@testable import PlexusKit
import PlexusKitTesting
import PostgresNIO
import Testing

@Suite struct DatabaseOutageTests {
    @Test func aTerminatedBackendIsAnOutageNotAServerFault() async throws {
        // setup: a query running when its backend is terminated (what a failover does)
        let url = try await TestPostgres.shared.makeDatabase([])
        let server = try await TestPostgres.shared.start()
        try await url.makeClient(maxConnections: 2, logger: testLogger()).withRunning { client in
            let sleeping = Task { _ = try await client.query("SELECT pg_sleep(5)", logger: testLogger()).collect() }
            // terminate until the sleeping query's backend has been hit (it may start late on a busy machine)
            for _ in 0..<20 {
                try await Task.sleep(for: .milliseconds(200))
                try await server.terminateBackends(of: url.database)
            }
            // act
            let error = try await #require(throws: (any Error).self) { try await sleeping.value }
            // expect: a 503 with Retry-After, and the pool serves again on a fresh connection
            #expect(DatabaseOutage.matches(error))
            let problem = ProblemMiddleware.problem(for: error)
            #expect(problem.status == .serviceUnavailable && problem.code == "database_unavailable" && problem.headers[.retryAfter] == "1")
            let answer = try await eventually(timeout: .seconds(10)) { (try? await client.query("SELECT 1", logger: testLogger()).collect().count) == 1 }
            #expect(answer)
        }
    }

    @Test func callsUnderRepeatedTerminationsAllAnswer() async throws {
        // setup: eight callers querying, in transactions and on leased connections, without pause
        let url = try await TestPostgres.shared.makeDatabase([])
        let server = try await TestPostgres.shared.start()
        let outcomes = OutcomeTally()
        try await url.makeClient(maxConnections: 20, logger: testLogger()).withRunning { client in
            let running = ManagedAtomicFlag()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        while running.isSet {
                            let started = ContinuousClock.now
                            do {
                                switch worker % 3 {
                                case 0: try await client.query("SELECT 1", logger: testLogger())
                                case 1: try await client.withTransaction(logger: testLogger()) { try await $0.query("SELECT 1", logger: testLogger()) }
                                default: try await client.withConnection { try await $0.query("SELECT 1", logger: testLogger()) }
                                }
                                await outcomes.record(.answered, after: ContinuousClock.now - started)
                            } catch {
                                await outcomes.record(DatabaseOutage.matches(error) ? .outage : .other("\(error)"), after: ContinuousClock.now - started)
                            }
                        }
                    }
                }
                // act: every connection terminated five times, two seconds apart (a failover, a restart)
                for _ in 0..<5 {
                    try await Task.sleep(for: .seconds(2))
                    try await server.terminateBackends(of: url.database)
                }
                try await Task.sleep(for: .seconds(2))
                running.clear()
                try await group.waitForAll()
            }
        }
        // expect: every call came back, well before the 20 s deadline, as rows or as an outage
        let result = await outcomes.summary
        #expect(result.others.isEmpty, "\(result.others.prefix(3))")
        #expect(result.outages > 0 && result.answered > 100)
        // answered by the close, not by the 20 s deadline (a loose bound: a busy machine is slow)
        #expect(result.slowest < .seconds(15), "slowest call: \(result.slowest)")
    }
}

extension DatabaseOutageTests {
    @Test func aCallPastItsDeadlineIsAnOutageAndItsConnectionIsClosed() async throws {
        // setup: calls with a short deadline, many fast ones around a slow one
        let url = try await TestPostgres.shared.makeDatabase([])
        let pool = url.makePool(maxConnections: 2, logger: testLogger())
        try await DatabaseClient(pool: pool, timeout: .milliseconds(400)).withRunning { client in
            let patient = DatabaseClient(pool: pool)
            // act
            let started = ContinuousClock.now
            let error = await #expect(throws: DatabaseCallError.deadlineExceeded) {
                try await client.query("SELECT pg_sleep(10)", logger: testLogger())
            }
            // expect: answered at the deadline, an outage; the fast calls on the same pool all succeed
            #expect(ContinuousClock.now - started < .seconds(8), "answered at the deadline, not when the 10 s statement ended")
            #expect(error.map(DatabaseOutage.matches) == true)
            for _ in 0..<50 { try await patient.query("SELECT 1", logger: testLogger()) }
        }
    }
}

enum CallOutcome: Sendable { case answered, outage, other(String) }

actor OutcomeTally {
    private(set) var answered = 0
    private(set) var outages = 0
    private(set) var others: [String] = []
    private(set) var slowest: Duration = .zero

    func record(_ outcome: CallOutcome, after duration: Duration) {
        slowest = max(slowest, duration)
        switch outcome {
        case .answered: answered += 1
        case .outage: outages += 1
        case .other(let text): others.append(text)
        }
    }

    var summary: (answered: Int, outages: Int, others: [String], slowest: Duration) { (answered, outages, others, slowest) }
}

final class ManagedAtomicFlag: @unchecked Sendable {
    // Safe: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value = true
    var isSet: Bool { lock.withLock { value } }
    func clear() { lock.withLock { value = false } }
}
