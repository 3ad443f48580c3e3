import Foundation
import PlexusKit

/// One Ed25519 service key per service for a test process, each service trusting every other's
/// public key (as `plexus up` sets them), so tests can speak as any service.
public enum TestServiceKeys {
    static let privateKeys: [ServiceName: String] = Dictionary(uniqueKeysWithValues: ServiceName.allCases.map { ($0, ServiceKeys.generatePrivateKey()) })
    static let publicKeys: String = ServiceName.allCases.map { "\($0.rawValue):\(try! ServiceKeys.publicKey(ofEncoded: privateKeys[$0]!))" }.joined(separator: ",")

    /// `service`'s keys.
    public static func keys(for service: ServiceName) -> ServiceKeys {
        try! ServiceKeys(service: service, encodedPrivateKey: privateKeys[service]!, encodedPublicKeys: publicKeys)
    }

    /// A service token from `caller` for `callee`.
    public static func token(from caller: ServiceName, to callee: ServiceName) throws -> String {
        try ServiceTokens(keys: keys(for: caller)).token(for: callee)
    }
}

extension CommonConfiguration {
    /// A development-mode configuration for tests: port 0, test service keys, the gateway's public URL.
    public static func test(_ service: ServiceName, database: DatabaseURL?, serviceURLs: [ServiceName: String] = [:]) -> CommonConfiguration {
        CommonConfiguration(service: service, mode: .development, port: 0, databaseURL: database,
                            serviceKeys: TestServiceKeys.keys(for: service),
                            publicURL: "http://localhost:8080", serviceURLs: serviceURLs)
    }
}

/// Builds services the way `plexus serve` does, over a test database.
public enum TestServices {
    /// The assembled parts of `S` (router with `/internal/events`, subscriptions, jobs), its
    /// environment, over a running `database`. `topology` decides who receives its events.
    public static func assemble<S: PlexusService>(
        _ service: S.Type, configuration: S.Configuration, database: Database?, topology: Topology? = nil,
        verifier: (any AccessTokenVerifier)? = nil, http: ServiceClient = ServiceClient(http: .plexus)
    ) async throws -> (parts: ServiceParts, environment: ServiceEnvironment) {
        let environment = ServiceHost.environment(for: S.self, configuration: configuration, topology: topology ?? Topology([S.self]), http: http,
                                                  database: database, verifier: verifier, logger: testLogger())
        return (try await ServiceHost.assemble(S.self, configuration: configuration, environment: environment), environment)
    }

    /// The worker `plexus work` would run for `S`.
    public static func worker<S: PlexusService>(_ service: S.Type, _ assembled: (parts: ServiceParts, environment: ServiceEnvironment),
                                                options: JobWorkerOptions = JobWorkerOptions()) -> JobWorker {
        ServiceHost.worker(S.self, parts: assembled.parts, environment: assembled.environment, options: options)
    }
}
