import Foundation
import IdentityAPI
import PlexusKit
import PlexusKitTesting
import Testing

extension RunningSystems {
    /// Schemathesis (PyPI; `.ci/run` installs it) fuzzes the gateway's published document against the
    /// running system, as an anonymous client, a customer and an administrator: no server error, and
    /// no status, content type, header or body that contradicts the document.
    @Suite struct SchemathesisTests {
        static let checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance"

        @Test func theRunningAPIKeepsItsDocument() async throws {
            // setup: the demo system, with rate limits out of the fuzzer's way
            let schemathesis = try #require(Self.which("schemathesis"), "install schemathesis: python3 -m pip install schemathesis")
            let system = try await RunningSystem(settings: [
                "PLEXUS_GATEWAY_RATE_LIMIT": "100000", "PLEXUS_GATEWAY_RATE_LIMIT_BURST": "100000",
                "PLEXUS_GATEWAY_AUTH_RATE_LIMIT": "100000", "PLEXUS_GATEWAY_AUTH_RATE_LIMIT_BURST": "100000",
            ])
            defer { system.stop() }
            let customer = try await Self.token(system, "customer@plexus.local", "plexus-customer-2026")
            let admin = try await Self.token(system, "admin@plexus.local", "plexus-admin-2026")

            // act + expect: one run per caller
            for (caller, token) in [("anonymous", nil), ("customer", customer), ("admin", admin)] {
                var arguments = ["run", system.gateway + "/openapi.json", "--checks", Self.checks, "--max-examples", "12",
                                 // one worker: on CPython 3.11 before 3.11.8, two threads building ASTs at once (hypothesis
                                 // describing a filter) can fail with "AST constructor recursion depth mismatch" (cpython#106905)
                                 "--workers", "1",
                                 "--seed", "2026", "--no-color", "--request-timeout", "20",
                                 // ending the caller's own sessions would leave the rest of the run anonymous
                                 "--exclude-operation-id", "logoutAll"]
                if let token { arguments += ["--header", "Authorization: Bearer \(token)"] }
                let (status, output) = try Self.run(schemathesis, arguments)
                #expect(status == 0, "schemathesis as \(caller):\n\(output.suffix(12_000))")
            }
            #expect(!system.output.contains("request failed"), "a server error was logged:\n\(system.output.split(separator: "\n").filter { $0.contains("request failed") }.prefix(5).joined(separator: "\n"))")
        }

        static func token(_ system: RunningSystem, _ email: String, _ password: String) async throws -> String {
            let reply = try await RunningSystem.post(system.gateway + "/api/v1/auth/login", LoginRequest(email: email, password: password))
            #expect(reply.status == 200)
            return try JSON.decoder.decode(TokenPair.self, from: Data(buffer: reply.body)).accessToken
        }

        static func which(_ name: String) -> String? {
            let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin"]
            return paths.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }

        static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("schemathesis-\(RandomToken.hex(bytes: 4)).log")
            FileManager.default.createFile(atPath: output.path, contents: nil)
            defer { try? FileManager.default.removeItem(at: output) }
            let handle = try FileHandle(forWritingTo: output)
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            process.currentDirectoryURL = FileManager.default.temporaryDirectory
            try process.runWithDefaultSignalMask()
            process.waitUntilExit()
            return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
        }
    }
}
