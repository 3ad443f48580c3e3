import Foundation
import PlexusKit

/// Shop's configuration: the common keys and `PLEXUS_CURRENCY` (the marketplace's currency, `USD`).
public struct ShopConfiguration: Sendable {
    /// Common settings.
    public var common: CommonConfiguration
    /// Currency of sales reports.
    public var currency: String
    /// Who receives shop events.
    public var subscribers: [Subscriber]
    /// Run the job worker inside `serve`.
    public var runWorkers: Bool

    /// Creates a configuration directly.
    public init(common: CommonConfiguration, currency: String = "USD", subscribers: [Subscriber] = [], runWorkers: Bool = true) {
        self.common = common
        self.currency = currency
        self.subscribers = subscribers
        self.runWorkers = runWorkers
    }

    /// Shop's outbox.
    public var outbox: Outbox { Outbox(source: "shop", subscribers: subscribers) }

    /// Reads the configuration, listing every missing key.
    public static func load(reader: inout ConfigReader, subscribers: [Subscriber], runWorkers: Bool) throws -> ShopConfiguration {
        let common = CommonConfiguration(service: .shop, reader: &reader)
        let currency = reader.string("PLEXUS_CURRENCY", default: "USD")
        try reader.finish()
        guard Money.isValidCurrency(currency) else { throw ConfigurationError(missing: [], malformed: ["PLEXUS_CURRENCY (an ISO 4217 code such as USD)"]) }
        return ShopConfiguration(common: common, currency: currency, subscribers: subscribers, runWorkers: runWorkers)
    }
}
