import Foundation
import NIOConcurrencyHelpers

/// The shared state of one demo seeding run: each service's `seedDemo`, called in registry order,
/// reads what earlier services stored (identity's sellers, shop's shops) and adds its own, and
/// reports lines for the person who ran `plexus seed` or `up --demo`.
public final class DemoSeed: Sendable {
    /// Generator seed: the same number gives the same data.
    public let seed: UInt64
    /// Number of demo products.
    public let products: Int
    /// The marketplace's currency.
    public let currency: String
    /// The password of every demo account when given (production seeding); the well-known demo
    /// passwords otherwise.
    public let password: String?
    /// The system's shape: who receives the events a service's seeding publishes.
    public let topology: Topology?
    let state = NIOLockedValueBox<(values: [String: any Sendable], lines: [String])>(([:], []))

    /// Starts a run.
    public init(seed: UInt64, products: Int, currency: String, password: String? = nil, topology: Topology? = nil) {
        self.topology = topology
        self.seed = seed
        self.products = products
        self.currency = currency
        self.password = password
    }

    /// A value an earlier service stored.
    public subscript<Value: Sendable>(key: DemoKey<Value>) -> Value? {
        get { state.withLockedValue { $0.values[key.name] as? Value } }
        set { state.withLockedValue { $0.values[key.name] = newValue } }
    }

    /// Adds a line to the printed summary.
    public func report(_ line: String) {
        state.withLockedValue { $0.lines.append(line) }
    }

    /// The summary so far.
    public var lines: [String] { state.withLockedValue { $0.lines } }

    /// An outbox for `service`'s seeding: its events reach their consumers once the system runs
    /// (none without a topology).
    public func outbox(for service: ServiceName) -> Outbox {
        Outbox(source: service, subscribers: topology?.subscribers(of: service, urls: [:]) ?? [])
    }
}
