import Foundation
import PlexusContract

/// Event types the shop service publishes.
public enum ShopEvent {
    /// A shop was opened; identity grants its owner the `seller` role.
    public static let created = EventType("shop.created", publisher: .shop, payload: ShopChanged.self)
    /// A shop's name or slug changed.
    public static let updated = EventType("shop.updated", publisher: .shop, payload: ShopChanged.self)

    /// Every type the shop service publishes.
    public static let all: [EventDescriptor] = [created.descriptor, updated.descriptor]
}

/// Demo data the shop service seeds, for the services seeded after it.
public enum ShopDemo {
    /// The demo shops with their owners.
    public static let shops = DemoKey<[ShopChanged]>("shop.shops")
}

/// `shop.created` and `shop.updated`.
public struct ShopChanged: Codable, Sendable, Equatable {
    /// The shop.
    public var shopId: UUID
    /// Its owner.
    public var ownerId: UUID
    /// Its name.
    public var name: String
    /// Its slug.
    public var slug: String

    /// Creates the payload.
    public init(shopId: UUID, ownerId: UUID, name: String, slug: String) {
        self.shopId = shopId
        self.ownerId = ownerId
        self.name = name
        self.slug = slug
    }
}
