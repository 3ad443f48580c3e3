import Foundation
import PlexusKit

/// Shop's configuration: the common keys and `PLEXUS_CURRENCY` (the marketplace's currency, `USD`).
public struct ShopConfiguration: ServiceConfiguration {
    /// Common settings.
    public var common: CommonConfiguration
    /// Currency of sales reports.
    public var currency: String
    /// Fill shop pages with the catalogue's products (a call to catalog per page).
    public var showProducts: Bool

    /// Creates a configuration directly.
    public init(common: CommonConfiguration, currency: String = "USD", showProducts: Bool = true) {
        self.common = common
        self.currency = currency
        self.showProducts = showProducts
    }

    /// Reads the configuration, listing every missing key.
    public static func load(reader: inout ConfigReader) throws -> ShopConfiguration {
        let common = CommonConfiguration(service: .shop, reader: &reader)
        let currency = reader.string("PLEXUS_CURRENCY", default: "USD")
        try reader.finish()
        guard Money.isValidCurrency(currency) else { throw ConfigurationError(missing: [], malformed: ["PLEXUS_CURRENCY (an ISO 4217 code such as USD)"]) }
        return ShopConfiguration(common: common, currency: currency)
    }
}
