import Foundation

/// Event types the shop service publishes.
public enum ShopEvent {
    /// A shop was opened (payload ``ShopChanged``); identity grants its owner the `seller` role.
    public static let created = "shop.created"
    /// A shop's name or slug changed (payload ``ShopChanged``).
    public static let updated = "shop.updated"

    /// Every type the shop service publishes.
    public static let all: Set<String> = [created, updated]
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
