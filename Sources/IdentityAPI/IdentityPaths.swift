import Foundation
import PlexusKit

/// Identity's public paths.
public enum IdentityPaths {
    /// The JWKS document.
    public static let jwks = JWKSet.wellKnownPath
}

/// Demo data identity seeds, for the services seeded after it.
public enum IdentityDemo {
    /// The demo sellers' user ids, in order (the first is `seller@plexus.local`).
    public static let sellers = DemoKey<[UUID]>("identity.sellers")
    /// How many demo sellers there are.
    public static let sellerCount = 6
    /// The demo sellers' password.
    public static let sellerPassword = "plexus-seller-2026"
}
