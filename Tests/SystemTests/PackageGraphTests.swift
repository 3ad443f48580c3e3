import Foundation
import PlexusKit
import PlexusRegistry
import Testing

/// Reads the package description and enforces the dependency rule of CONVENTIONS.md: a service may
/// use other services' `*API` modules, never another `*Service`.
@Suite struct PackageGraphTests {
    struct Manifest: Decodable {
        struct Target: Decodable {
            var name: String
            var type: String
            var dependencies: [Dependency]
        }

        struct Dependency: Decodable {
            var byName: [ManifestValue?]?
            var target: [ManifestValue?]?
            var product: [ManifestValue?]?

            var name: String? {
                for list in [byName, target, product] {
                    if case .string(let name)? = list?.first ?? nil { return name }
                }
                return nil
            }
        }

        var targets: [Target]
    }

    enum ManifestValue: Decodable {
        case string(String)
        case other

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            self = (try? container.decode(String.self)).map(ManifestValue.string) ?? .other
        }
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func dumpManifest() throws -> Manifest {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // A scratch path of its own: the running `swift test` holds the lock on .build/.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-dump-\(ProcessInfo.processInfo.processIdentifier)")
        process.arguments = ["swift", "package", "--scratch-path", scratch.path, "dump-package"]
        process.currentDirectoryURL = Self.packageRoot
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.runWithDefaultSignalMask()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try JSONDecoder().decode(Manifest.self, from: data)
    }

    @Test func noServiceDependsOnAnotherService() throws {
        // setup + act
        let manifest = try Self.dumpManifest()
        // assert
        let services = manifest.targets.filter { $0.type == "regular" && $0.name.hasSuffix("Service") }
        #expect(services.count >= 3)
        for service in services {
            let forbidden = service.dependencies.compactMap(\.name).filter { $0.hasSuffix("Service") && $0 != service.name }
            #expect(forbidden.isEmpty, "\(service.name) depends on \(forbidden)")
        }
        // a contract module is what a Swift client links: the contract kit and logging, nothing server-side
        let apis = manifest.targets.filter { $0.name.hasSuffix("API") }
        #expect(apis.count >= 4)
        for api in apis {
            let names = Set(api.dependencies.compactMap(\.name))
            #expect(names.isSubset(of: ["PlexusContract", "Logging"]), "\(api.name) depends on \(names.sorted())")
        }
        let contract = try #require(manifest.targets.first { $0.name == "PlexusContract" })
        #expect(Set(contract.dependencies.compactMap(\.name)) == ["Logging"])
    }

    @Test func theManifestsTableAndTheRegistryListTheSameServices() throws {
        // setup + act
        let manifest = try Self.dumpManifest()
        let targets = Set(manifest.targets.filter { $0.type == "regular" && $0.name.hasSuffix("Service") }.map(\.name))
        let registered = Set(ServiceRegistry.services.map { $0.name.rawValue.prefix(1).uppercased() + $0.name.rawValue.dropFirst() + "Service" })
        // expect
        #expect(targets == registered)
        #expect(Set(ServiceRegistry.topology.services).count == ServiceRegistry.services.count, "a service is registered twice")
    }

    @Test func theTopologyIsSoundAndDocumented() throws {
        // setup
        let architecture = try String(contentsOf: Self.packageRoot.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        // expect: every consumed event is declared by its publisher, every callee exists, no prefix is routed twice
        #expect(ServiceRegistry.topology.problems == [])
        // the generated tables in the architecture document are current (`swift run plexus topology` prints them)
        #expect(architecture.contains(ServiceRegistry.topologyDocument), "docs/architecture.md is out of date: paste `swift run plexus topology` into it")
    }
}
