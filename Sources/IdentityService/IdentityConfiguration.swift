import Foundation
import PlexusKit

/// Identity's configuration.
///
/// Beyond the common keys: `PLEXUS_IDENTITY_SIGNING_KEY` (`kid:base64url(Ed25519 private key)`,
/// required), `PLEXUS_IDENTITY_PREVIOUS_PUBLIC_KEYS` (`kid:base64url,…`, keys still accepted after a
/// rotation), `PLEXUS_IDENTITY_BCRYPT_COST` (12), `PLEXUS_IDENTITY_ACCESS_TOKEN_TTL` (900 s),
/// `PLEXUS_IDENTITY_REFRESH_TOKEN_TTL` (30 days).
public struct IdentityConfiguration: ServiceConfiguration {
    /// Common settings.
    public var common: CommonConfiguration
    /// The signing keys.
    public var signingKeys: SigningKeyRing
    /// bcrypt cost.
    public var bcryptCost: Int
    /// Access token lifetime in seconds.
    public var accessTokenTTL: Int
    /// Refresh token lifetime in seconds.
    public var refreshTokenTTL: Int

    /// Creates a configuration directly.
    public init(common: CommonConfiguration, signingKeys: SigningKeyRing, bcryptCost: Int = 12, accessTokenTTL: Int = 900,
                refreshTokenTTL: Int = 30 * 86400) {
        self.common = common
        self.signingKeys = signingKeys
        self.bcryptCost = bcryptCost
        self.accessTokenTTL = accessTokenTTL
        self.refreshTokenTTL = refreshTokenTTL
    }

    /// Reads the configuration from `reader`, throwing with every missing key listed.
    public static func load(reader: inout ConfigReader) throws -> IdentityConfiguration {
        let common = CommonConfiguration(service: .identity, reader: &reader)
        let encodedKey = reader.require("PLEXUS_IDENTITY_SIGNING_KEY")
        let previous = reader.optional("PLEXUS_IDENTITY_PREVIOUS_PUBLIC_KEYS")
        let cost = reader.int("PLEXUS_IDENTITY_BCRYPT_COST", default: 12)
        let accessTTL = reader.int("PLEXUS_IDENTITY_ACCESS_TOKEN_TTL", default: 900)
        let refreshTTL = reader.int("PLEXUS_IDENTITY_REFRESH_TOKEN_TTL", default: 30 * 86400)
        try reader.finish()
        let keys: SigningKeyRing
        do { keys = try SigningKeyRing(encoded: encodedKey, previousPublicKeys: previous) } catch {
            throw ConfigurationError(missing: [], malformed: ["PLEXUS_IDENTITY_SIGNING_KEY (expected kid:base64url)"])
        }
        return IdentityConfiguration(common: common, signingKeys: keys, bcryptCost: min(max(cost, 4), 31), accessTokenTTL: accessTTL,
                                     refreshTokenTTL: refreshTTL)
    }
}
