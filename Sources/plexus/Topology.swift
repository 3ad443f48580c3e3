import ArgumentParser
import IdentityAPI
import ShopAPI
import PlexusKit

/// Which services run in this build, and who subscribes to whose events.
enum Topology {
    /// Implemented services, in start order (the gateway last).
    static let services: [ServiceName] = [.identity, .catalog, .shop, .notification, .gateway]

    /// Services that own a database.
    static var databaseServices: [ServiceName] { services.filter { $0 != .gateway } }

    /// (publisher, subscriber, event types).
    static let subscriptions: [(ServiceName, ServiceName, Set<String>)] = [
        (.identity, .notification, IdentityEvent.all),
        (.shop, .identity, [ShopEvent.created]),
        (.shop, .catalog, ShopEvent.all),
    ]

    static func subscribers(of publisher: ServiceName, urls: [ServiceName: String]) -> [Subscriber] {
        subscriptions.filter { $0.0 == publisher }.map { _, subscriber, types in
            Subscriber(name: subscriber.rawValue, baseURL: urls[subscriber] ?? "http://127.0.0.1:\(subscriber.defaultPort)", eventTypes: types)
        }
    }
}

extension ServiceName: ExpressibleByArgument {}
