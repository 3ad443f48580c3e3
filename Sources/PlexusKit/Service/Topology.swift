import Foundation

/// The system's shape, derived from the services' own declarations: who publishes and consumes
/// which events, who calls whom, and which public prefixes the gateway routes where. Publishers
/// learn their subscribers from here, so a new consumer changes nothing in the publisher.
public struct Topology: Sendable {
    /// One service's declarations.
    public struct Entry: Sendable {
        /// The service.
        public var name: ServiceName
        /// Whether it owns a database.
        public var usesDatabase: Bool
        /// Events it consumes.
        public var consumes: [EventDescriptor]
        /// Events it publishes.
        public var publishes: [EventDescriptor]
        /// Services whose internal routes it calls.
        public var callees: [ServiceName]
        /// What it does.
        public var summary: String
        /// Its endpoints (without the kit's).
        public var endpoints: [EndpointDescription]
    }

    /// The services, in registry order (start order; the gateway last).
    public let entries: [Entry]

    /// Reads the declarations of `services`.
    public init(_ services: [any PlexusService.Type]) {
        entries = services.map { service in
            Entry(name: service.name, usesDatabase: service.usesDatabase, consumes: service.consumes, publishes: service.publishes,
                  callees: service.callees, summary: service.summary, endpoints: service.endpoints)
        }
    }

    /// The service names in order.
    public var services: [ServiceName] { entries.map(\.name) }

    /// The services that own a database.
    public var databaseServices: [ServiceName] { entries.filter(\.usesDatabase).map(\.name) }

    /// Who receives `publisher`'s events, reached at `urls` (default ports otherwise).
    public func subscribers(of publisher: ServiceName, urls: [ServiceName: String]) -> [Subscriber] {
        entries.compactMap { entry in
            let types = Set(entry.consumes.filter { $0.publisher == publisher }.map(\.name))
            guard !types.isEmpty else { return nil }
            return Subscriber(service: entry.name, baseURL: urls[entry.name] ?? "http://127.0.0.1:\(entry.name.defaultPort)", eventTypes: types)
        }
    }

    /// Every public (not internal) endpoint with the service that serves it: the gateway's table.
    public var publicEndpoints: [(endpoint: EndpointDescription, service: ServiceName)] {
        entries.flatMap { entry in entry.endpoints.filter { !$0.access.isInternal }.map { ($0, entry.name) } }
    }

    /// The public document sections, one per service with public endpoints.
    public func documentSections(development: Bool) -> [OpenAPIDocument.Section] {
        entries.compactMap { entry in
            let endpoints = entry.endpoints.filter { !$0.access.isInternal && (development || !$0.developmentOnly) }
            return endpoints.isEmpty ? nil : OpenAPIDocument.Section(tag: entry.name.rawValue, summary: entry.summary, endpoints: endpoints)
        }
    }

    /// Declarations that contradict each other: a consumed event its publisher does not declare
    /// (or declares at an older version), a callee or publisher that is not in the system, a prefix
    /// routed twice. Empty when the topology is sound (a test keeps it so).
    public var problems: [String] {
        var problems: [String] = []
        let byName = Dictionary(entries.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for entry in entries {
            for event in entry.consumes {
                guard let publisher = byName[event.publisher] else {
                    problems.append("\(entry.name) consumes \(event) from \(event.publisher), which is not registered")
                    continue
                }
                if !publisher.publishes.contains(where: { $0.name == event.name }) {
                    problems.append("\(entry.name) consumes \(event), which \(event.publisher) does not declare")
                }
            }
            for callee in entry.callees where byName[callee] == nil {
                problems.append("\(entry.name) calls \(callee), which is not registered")
            }
        }
        let operations = entries.flatMap { $0.endpoints.map { "\($0.method.rawValue) \($0.path)" } }
        for operation in Set(operations) where operations.filter({ $0 == operation }).count > 1 {
            problems.append("\(operation) is declared more than once")
        }
        let ids = entries.flatMap { $0.endpoints.map(\.id) }
        for id in Set(ids) where ids.filter({ $0 == id }).count > 1 {
            problems.append("operation id \(id) is declared more than once")
        }
        return problems
    }

    /// The event topology as a Markdown table (`plexus topology`, `docs/architecture.md`).
    public var eventTable: String {
        var lines = ["| event | version | publisher | consumers |", "| --- | --- | --- | --- |"]
        for entry in entries {
            for event in entry.publishes {
                let consumers = entries.filter { $0.consumes.contains { $0.name == event.name } }.map(\.name.rawValue)
                lines.append("| `\(event.name)` | \(event.version) | \(entry.name) | \(consumers.isEmpty ? "—" : consumers.joined(separator: ", ")) |")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The services as a Markdown table: port, database, public operations, callees.
    public var serviceTable: String {
        var lines = ["| service | port | database | public operations | calls |", "| --- | --- | --- | --- | --- |"]
        for entry in entries {
            let count = entry.endpoints.filter { !$0.access.isInternal }.count
            lines.append("| \(entry.name) | \(entry.name.defaultPort) | \(entry.usesDatabase ? "`\(entry.name.databaseName)`" : "—") | "
                + "\(count) | \(entry.callees.isEmpty ? "—" : entry.callees.map(\.rawValue).joined(separator: ", ")) |")
        }
        return lines.joined(separator: "\n")
    }

    /// The internal endpoints and who may call each, as a Markdown table.
    public var internalTable: String {
        var lines = ["| service | operation | callers |", "| --- | --- | --- |"]
        for entry in entries {
            var routes = entry.endpoints.filter(\.access.isInternal)
            let publishers = Set(entry.consumes.map(\.publisher))
            if !publishers.isEmpty { routes.append(KitEndpoints.events(from: publishers).description) }
            for endpoint in routes {
                guard case .services(let callers) = endpoint.access else { continue }
                lines.append("| \(entry.name) | `\(endpoint.method.rawValue) \(endpoint.path)` | \(callers.map(\.rawValue).sorted().joined(separator: ", ")) |")
            }
        }
        return lines.joined(separator: "\n")
    }
}
