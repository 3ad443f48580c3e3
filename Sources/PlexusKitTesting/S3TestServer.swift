import AsyncHTTPClient
import Foundation
import PlexusKit

/// A real S3-compatible server process for tests: moto's server (`moto[server]` from PyPI,
/// installed by `.ci/run`) on a free port of 127.0.0.1, with its own buckets in memory.
public final class S3TestServer: Sendable {
    public let port: Int
    let process: Process

    /// The settings of a bucket on it (path-style, the access keys moto accepts).
    public func settings(bucket: String, partSize: Int = 5 << 20) -> S3Settings {
        S3Settings(endpoint: "http://127.0.0.1:\(port)", region: "us-east-1", bucket: bucket, accessKey: "AKIDPLEXUSTEST",
                   secretKey: "plexus-test-secret", pathStyle: true, partSize: partSize)
    }

    /// Starts the server and waits until it answers.
    public init() async throws {
        port = try EmbeddedPostgres.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "from moto.server import main; main()", "-H", "127.0.0.1", "-p", String(port)]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.runWithDefaultSignalMask()
        let url = "http://127.0.0.1:\(port)/moto-api/"
        let process = self.process
        let ready = try await eventually(timeout: .seconds(30)) {
            guard process.isRunning else { return false }
            let response = try? await HTTPClient.plexus.execute(HTTPClientRequest(url: url), timeout: .seconds(1))
            return response != nil
        }
        guard ready else {
            stop()
            throw ServerDidNotStart()
        }
    }

    struct ServerDidNotStart: Error {}

    /// Stops the server.
    public func stop() {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }
}
