import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import PlexusKit
import PlexusKitTesting
import Testing

@Suite struct ServiceClientTests {
    @Test func safeCallsAreRetriedOnA503AndCarryTheRequestId() async throws {
        // setup: an upstream that fails twice, then answers
        let calls = NIOLockedValueBox(0)
        let seenIDs = NIOLockedValueBox<[String]>([])
        let router = Router(context: PlexusContext.self)
        router.get("/flaky") { request, _ in
            let n = calls.withLockedValue { $0 += 1; return $0 }
            seenIDs.withLockedValue { $0.append(request.headers[.requestID] ?? "") }
            return n <= 2 ? Response(status: .serviceUnavailable) : try Response.json(["ok": true])
        }
        router.post("/flaky") { _, _ in
            calls.withLockedValue { $0 += 1 }
            return Response(status: .serviceUnavailable)
        }
        try await withLiveServer(router) { port in
            let client = ServiceClient(http: .plexus, maxRetries: 2)
            // act
            let response = try await client.send(upstream: "flaky", method: .GET, url: "http://127.0.0.1:\(port)/flaky", requestID: "req-1", logger: testLogger())
            // assert
            #expect(response.status == .ok)
            #expect(calls.withLockedValue { $0 } == 3)
            #expect(seenIDs.withLockedValue { $0 } == ["req-1", "req-1", "req-1"])
            // an unsafe POST without an Idempotency-Key is sent once, never retried
            calls.withLockedValue { $0 = 0 }
            let post = try await client.send(upstream: "flaky-post", method: .POST, url: "http://127.0.0.1:\(port)/flaky", logger: testLogger())
            #expect(post.status == .serviceUnavailable)
            #expect(calls.withLockedValue { $0 } == 1)
        }
    }

    @Test func backgroundPollsOfAFailingUpstreamLeaveItsBreakerClosed() async throws {
        // setup: an upstream whose feed answers 503 (counting the calls), a breaker opening after 3 failures
        let calls = NIOLockedValueBox(0)
        let router = Router(context: PlexusContext.self)
        router.get("/feed") { _, _ in
            calls.withLockedValue { $0 += 1 }
            return Response(status: .serviceUnavailable)
        }
        router.get("/ok") { _, _ in try Response.json(["ok": true]) }
        try await withLiveServer(router) { port in
            let client = ServiceClient(http: .plexus, breakers: CircuitBreakers(template: CircuitBreaker(failureThreshold: 3, openDuration: .seconds(30))),
                                       maxRetries: 2)
            // act: five polls fail
            for _ in 0..<5 {
                let polled = try await client.send(upstream: "identity", method: .GET, url: "http://127.0.0.1:\(port)/feed", background: true, logger: testLogger())
                #expect(polled.status == .serviceUnavailable)
            }
            // expect: each sent once, and the breaker that requests' calls go through has counted none
            #expect(calls.withLockedValue { $0 } == 5)
            #expect(client.breakers.state(of: "identity") == .closed(failures: 0))
            // a request's call: three attempts, three failures, and the breaker opens
            _ = try await client.send(upstream: "identity", method: .GET, url: "http://127.0.0.1:\(port)/feed", logger: testLogger())
            #expect(calls.withLockedValue { $0 } == 8)
            #expect(client.breakers.acquire("identity").allowed == false)
            // while it is open a poll still goes out (it is what finds the upstream back)
            let back = try await client.send(upstream: "identity", method: .GET, url: "http://127.0.0.1:\(port)/ok", background: true, logger: testLogger())
            #expect(back.status == .ok)
        }
    }

    @Test func aDownUpstreamOpensItsBreakerAndFailsFast() async throws {
        let port = try EmbeddedPostgres.freePort()
        let client = ServiceClient(http: .plexus, breakers: CircuitBreakers(template: CircuitBreaker(failureThreshold: 3, openDuration: .seconds(30))), maxRetries: 0)
        for _ in 0..<3 {
            await #expect(throws: ProblemError.self) {
                try await client.send(upstream: "down", method: .GET, url: "http://127.0.0.1:\(port)/x", deadline: .seconds(2), logger: testLogger())
            }
        }
        // open: refused without touching the network, with a Retry-After
        let start = ContinuousClock.now
        do {
            _ = try await client.send(upstream: "down", method: .GET, url: "http://127.0.0.1:\(port)/x", logger: testLogger())
            Issue.record("expected a refusal")
        } catch let problem as ProblemError {
            #expect(problem.status == .serviceUnavailable)
            #expect(problem.code == "upstream_unavailable")
            #expect(problem.headers[.retryAfter] != nil)
        }
        #expect(ContinuousClock.now - start < .milliseconds(100))
        #expect(client.breakers.state(of: "other") == .closed(failures: 0), "breakers are per upstream")
    }

    @Test func operationalRoutesAnswer() async throws {
        let router = ServiceRuntime.makeRouter(verifier: nil)
        OperationsRoutes.add(to: EndpointRouter(router, tokens: nil)) { ["database": "ok"] }
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/health/live", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/health/ready", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            }
            try await client.execute(uri: "/missing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.requestID] != nil)
            }
        }
        let failing = ServiceRuntime.makeRouter(verifier: nil)
        OperationsRoutes.add(to: EndpointRouter(failing, tokens: nil)) { ["database": "unreachable"] }
        try await Application(router: failing).test(.router) { client in
            try await client.execute(uri: "/health/ready", method: .get) { #expect($0.status == .serviceUnavailable) }
        }
    }
}
