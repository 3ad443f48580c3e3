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
}
