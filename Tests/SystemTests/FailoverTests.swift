import AsyncHTTPClient
import CatalogAPI
import Foundation
import IdentityAPI
import NIOCore
import PlexusKit
import PlexusKitTesting
import Testing

extension RunningSystems {
    /// A database failover under load: every request answers (200, or 503 with `Retry-After`), none
    /// hangs and none is a 500; afterwards requests, background jobs and event delivery carry on.
    @Suite struct FailoverTests {
        struct Tally: Sendable {
            var statuses: [Int: Int] = [:]
            var withoutRetryAfter = 0
            var unanswered: [String] = []
        }

        @Test func terminatedConnectionsUnderLoadNeitherHangNorFail() async throws {
            // setup: the system with catalog's detail cache off, a signed-in customer and a product
            let system = try await RunningSystem(settings: ["PLEXUS_CATALOG_CACHE_SIZE": "0"])
            defer { system.stop() }
            let identity = "http://127.0.0.1:\(system.ports[.identity]!)"
            let catalog = "http://127.0.0.1:\(system.ports[.catalog]!)"
            let login = try await RunningSystem.post(identity + "/api/v1/auth/login", LoginRequest(email: "customer@plexus.local", password: "plexus-customer-2026"))
            #expect(login.status == 200)
            let token = try JSON.decoder.decode(TokenPair.self, from: Data(buffer: login.body)).accessToken
            let listing = try await RunningSystem.get(catalog + "/api/v1/products?limit=1")
            let product = try #require(try JSON.decoder.decode(ProductListDTO.self, from: Data(buffer: listing.body)).items.first)
            let targets = [(identity + "/api/v1/users/me", Optional(token)), (catalog + "/api/v1/products/\(product.id)", nil)]

            // act: eight clients read while every database connection is terminated five times, 3 s apart
            let running = LockedBox(true)
            let tally = LockedBox(Tally())
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<8 {
                    let (url, bearer) = targets[client % 2]
                    group.addTask {
                        while running.value {
                            var request = HTTPClientRequest(url: url)
                            if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
                            do {
                                let response = try await HTTPClient.plexus.execute(request, timeout: .seconds(25))
                                _ = try await response.body.collect(upTo: 1 << 20)
                                let status = Int(response.status.code)
                                var current = tally.value
                                current.statuses[status, default: 0] += 1
                                if status == 503 && response.headers["Retry-After"].isEmpty { current.withoutRetryAfter += 1 }
                                tally.value = current
                                if status == 503 { try await Task.sleep(for: .milliseconds(100)) }
                            } catch {
                                var current = tally.value
                                current.unanswered.append("\(url): \(error)")
                                tally.value = current
                            }
                        }
                    }
                }
                for _ in 0..<5 {
                    try await Task.sleep(for: .seconds(3))
                    try await system.terminateBackends(of: [.identity, .catalog])
                }
                try await Task.sleep(for: .seconds(3))
                running.value = false
                try await group.waitForAll()
            }

            // expect: every request answered, only 200 or 503 with Retry-After
            let result = tally.value
            print("failover: \(result.statuses) unanswered \(result.unanswered.count)")
            #expect(result.unanswered.isEmpty, "unanswered: \(result.unanswered.prefix(5))")
            #expect(Set(result.statuses.keys).isSubset(of: [200, 503]), "statuses: \(result.statuses)")
            #expect(result.withoutRetryAfter == 0)
            #expect(result.statuses[200, default: 0] > 100, "statuses: \(result.statuses)")
            // and afterwards everything works again: reads, writes, the outbox and notification's jobs
            #expect(try await RunningSystem.get(identity + "/api/v1/users/me", token: token).status == 200)
            #expect(try await RunningSystem.get(catalog + "/api/v1/products/\(product.id)").status == 200)
            let email = "after-failover-\(RandomToken.hex(bytes: 3))@example.com"
            let registered = try await RunningSystem.post(system.gateway + "/api/v1/auth/register", RegisterRequest(email: email, password: "a long passphrase", name: "After"))
            #expect(registered.status == 201)
            #expect(try await eventually(timeout: .seconds(30)) { try await RunningSystem.get(system.gateway + "/dev/mailbox/latest?to=\(email)").status == 200 })
        }
    }
}
