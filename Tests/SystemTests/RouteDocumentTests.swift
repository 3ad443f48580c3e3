import Foundation
import GatewayService
import Hummingbird
import HummingbirdTesting
import PlexusKit
import PlexusKitTesting
import PlexusRegistry
import Testing

/// Every service, built as `plexus serve` builds it, routes exactly what it declares and documents
/// exactly what it routes, in development and in production mode.
@Suite struct RouteDocumentTests {
    @Test(arguments: [RuntimeMode.development, .production])
    func everyRoutedOperationIsDocumentedAndEveryDocumentedOneIsRouted(mode: RuntimeMode) async throws {
        for service in ServiceRegistry.services {
            try await Self.check(service, mode: mode)
        }
    }

    @Test func theGatewaysDocumentHasEveryPublicOperationAndNoInternalOne() throws {
        // setup + act
        let document = GatewayService.document(topology: ServiceRegistry.topology, gateway: GatewayService.endpoints + KitEndpoints.operational,
                                               development: false)
        let documented = Self.operations(in: document)
        // expect
        let public_ = ServiceRegistry.topology.publicEndpoints.filter { !$0.endpoint.developmentOnly }.map { "\($0.endpoint.method.rawValue) \($0.endpoint.path)" }
        #expect(documented == Set(public_ + KitEndpoints.operational.map(Self.operation)))
        #expect(!documented.contains { $0.contains("/internal/") })
        #expect(!documented.contains { $0.contains("/dev/") }, "development-only operations are not in the production document")
    }

    static func operation(_ endpoint: EndpointDescription) -> String { "\(endpoint.method.rawValue) \(endpoint.path)" }

    static func operations(in document: JSONValue) -> Set<String> {
        guard case .object(let paths)? = document["paths"] else { return [] }
        return Set(paths.flatMap { path, methods -> [String] in
            guard case .object(let operations) = methods else { return [] }
            return operations.keys.map { "\($0.uppercased()) \(path)" }
        })
    }

    static func check<S: PlexusService>(_ service: S.Type, mode: RuntimeMode) async throws {
        // setup: the configuration `plexus serve` would read, over a fresh database
        let url = S.usesDatabase ? try await TestPostgres.shared.makeDatabase(try S.migrations.filter { $0.component != "kit" }) : nil
        var values = ["PLEXUS_MODE": mode.rawValue, S.name.environmentPrefix + "SERVICE_KEY": ServiceKeys.generatePrivateKey(),
                      "PLEXUS_IDENTITY_SIGNING_KEY": SigningKeyRing.generateEncoded(), "PLEXUS_NOTIFICATION_TRANSPORT": mode.isDevelopment ? "mailbox" : "smtp",
                      "PLEXUS_SMTP_HOST": "127.0.0.1", "PLEXUS_PAYMENT_WEBHOOK_SECRET": "route-test-webhook-secret"]
        if let url { values[S.name.environmentPrefix + "DATABASE_URL"] = url.urlString }
        var reader = ConfigReader(values)
        let configuration = try S.loadConfiguration(reader: &reader)
        let database = url.map { Database(url: $0, maxConnections: 4, logger: testLogger()) }
        let body: @Sendable () async throws -> Void = {
            // act
            let parts = try await TestServices.assemble(S.self, configuration: configuration, database: database, topology: ServiceRegistry.topology,
                                                        verifier: try TestIssuer().verifier).parts
            let routed = Set(parts.router.router.routes.map { "\($0.method.rawValue) \($0.path)" })
            var declared = S.endpoints.filter { mode.isDevelopment || !$0.developmentOnly } + KitEndpoints.operational
            if !S.consumes.isEmpty { declared.append(KitEndpoints.events(from: Set(S.consumes.map(\.publisher))).description) }
            let document = try await Application(router: parts.router.router).test(.router) { client in
                try await client.execute(uri: "/openapi.json", method: .get) { try JSONDecoder().decode(AnyJSON.self, from: Data(buffer: $0.body)) }
            }
            // expect
            #expect(routed == Set(declared.map(operation)), "\(S.name) (\(mode)) routes differ from its declarations")
            if S.name != .gateway {
                #expect(document.operations == routed, "\(S.name) (\(mode)) documents other operations than it routes")
            }
        }
        if let database { try await database.client.withRunning { _ in try await body() } } else { try await body() }
    }
}

/// Just enough of a decoded JSON document to list its operations.
struct AnyJSON: Decodable {
    var operations: Set<String>

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let root = try decoder.container(keyedBy: Key.self)
        let paths = try root.nestedContainer(keyedBy: Key.self, forKey: Key(stringValue: "paths")!)
        var operations: Set<String> = []
        for path in paths.allKeys {
            let methods = try paths.nestedContainer(keyedBy: Key.self, forKey: path)
            for method in methods.allKeys { operations.insert("\(method.stringValue.uppercased()) \(path.stringValue)") }
        }
        self.operations = operations
    }
}
