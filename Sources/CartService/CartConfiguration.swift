import Foundation
import PlexusKit

/// Cart's configuration: the common keys, `PLEXUS_CURRENCY` (`USD`), `PLEXUS_CART_GUEST_IDLE_DAYS`
/// (a guest cart not seen for this long is deleted, 30) and `PLEXUS_CART_QUOTE_CACHE_MS` (how long
/// a catalogue quote and a promotion's evaluation are reused across cart reads, 2000; 0 turns the
/// caches off).
public struct CartConfiguration: ServiceConfiguration {
    /// Common settings.
    public var common: CommonConfiguration
    /// The marketplace's currency.
    public var currency: String
    /// Days a guest cart may stay unseen.
    public var guestIdleDays: Int
    /// How long a quote is reused.
    public var quoteCacheTTL: Duration

    /// Creates a configuration directly.
    public init(common: CommonConfiguration, currency: String = "USD", guestIdleDays: Int = 30, quoteCacheTTL: Duration = .seconds(2)) {
        self.common = common
        self.currency = currency
        self.guestIdleDays = guestIdleDays
        self.quoteCacheTTL = quoteCacheTTL
    }

    /// Reads the configuration, listing every missing key.
    public static func load(reader: inout ConfigReader) throws -> CartConfiguration {
        let common = CommonConfiguration(service: .cart, reader: &reader)
        let currency = reader.string("PLEXUS_CURRENCY", default: "USD")
        let idle = reader.int("PLEXUS_CART_GUEST_IDLE_DAYS", default: 30)
        let cacheMS = reader.int("PLEXUS_CART_QUOTE_CACHE_MS", default: 2000)
        try reader.finish()
        var malformed: [String] = []
        if !Money.isValidCurrency(currency) { malformed.append("PLEXUS_CURRENCY (an ISO 4217 code such as USD)") }
        if !(1...3650).contains(idle) { malformed.append("PLEXUS_CART_GUEST_IDLE_DAYS (1 to 3650)") }
        if !(0...600_000).contains(cacheMS) { malformed.append("PLEXUS_CART_QUOTE_CACHE_MS (0 to 600000)") }
        guard malformed.isEmpty else { throw ConfigurationError(missing: [], malformed: malformed) }
        return CartConfiguration(common: common, currency: currency, guestIdleDays: idle, quoteCacheTTL: .milliseconds(cacheMS))
    }
}
