import Foundation
import PlexusKit

/// Catalog's configuration.
///
/// Beyond the common keys: `PLEXUS_CURRENCY` (the one currency prices are in, `USD`),
/// `PLEXUS_CATALOG_CACHE_SIZE` (product details kept in memory, 10,000; 0 turns the cache off),
/// `PLEXUS_CATALOG_CACHE_TTL` (seconds, 60), `PLEXUS_CATALOG_RESERVATION_HOLD` (seconds a
/// reservation holds stock when the order service does not say, 900).
public struct CatalogConfiguration: ServiceConfiguration {
    /// Common settings.
    public var common: CommonConfiguration
    /// The catalogue's currency.
    public var currency: String
    /// Cache capacity (entries); 0 disables caching.
    public var cacheSize: Int
    /// Cache entry lifetime.
    public var cacheTTL: Duration
    /// Default reservation hold in seconds.
    public var reservationHold: Int
    /// `max-age` of public product and category responses, in seconds.
    public var publicMaxAge: Int
    /// Ask the shop service for a seller's shop when its `shop.created` event has not arrived yet
    /// (off: events only).
    public var askShopService: Bool

    /// Creates a configuration directly.
    public init(common: CommonConfiguration, currency: String = "USD", cacheSize: Int = 10_000, cacheTTL: Duration = .seconds(60),
                reservationHold: Int = 900, publicMaxAge: Int = 60, askShopService: Bool = true) {
        self.common = common
        self.currency = currency
        self.cacheSize = cacheSize
        self.cacheTTL = cacheTTL
        self.reservationHold = reservationHold
        self.publicMaxAge = publicMaxAge
        self.askShopService = askShopService
    }

    /// Reads the configuration, listing every missing key.
    public static func load(reader: inout ConfigReader) throws -> CatalogConfiguration {
        let common = CommonConfiguration(service: .catalog, reader: &reader)
        let currency = reader.string("PLEXUS_CURRENCY", default: "USD")
        let configuration = CatalogConfiguration(
            common: common, currency: currency,
            cacheSize: reader.int("PLEXUS_CATALOG_CACHE_SIZE", default: 10_000),
            cacheTTL: .seconds(reader.int("PLEXUS_CATALOG_CACHE_TTL", default: 60)),
            reservationHold: reader.int("PLEXUS_CATALOG_RESERVATION_HOLD", default: 900),
            publicMaxAge: reader.int("PLEXUS_CATALOG_PUBLIC_MAX_AGE", default: 60)
        )
        try reader.finish()
        guard Money.isValidCurrency(currency) else {
            throw ConfigurationError(missing: [], malformed: ["PLEXUS_CURRENCY (an ISO 4217 code such as USD)"])
        }
        return configuration
    }
}
