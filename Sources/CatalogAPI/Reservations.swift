import Foundation
import PlexusContract

/// One line of a reservation request.
public struct ReservationLineRequest: Codable, Sendable, Equatable {
    /// The variant.
    public var variantId: UUID
    /// Units (1…1,000).
    public var quantity: Int

    /// Creates a line.
    public init(variantId: UUID, quantity: Int) {
        self.variantId = variantId
        self.quantity = quantity
    }
}

/// `POST /internal/reservations`: reserve every line for `orderId`, or nothing.
public struct ReserveRequest: Codable, Sendable {
    /// The order the units are held for; repeating the call with the same id is harmless.
    public var orderId: UUID
    /// What to hold.
    public var lines: [ReservationLineRequest]
    /// How long to hold (seconds); the catalogue's default when absent.
    public var holdSeconds: Int?

    /// Creates the request.
    public init(orderId: UUID, lines: [ReservationLineRequest], holdSeconds: Int? = nil) {
        self.orderId = orderId
        self.lines = lines
        self.holdSeconds = holdSeconds
    }
}

/// Where a reservation stands.
public enum ReservationStatus: String, Codable, Sendable, CaseIterable {
    /// Units are held.
    case reserved
    /// Units were sold (they left `onHand`).
    case committed
    /// Units were given back on request.
    case released
    /// Units were given back because the hold ran out.
    case expired
    /// Sold units came back to stock (a paid order was cancelled).
    case returned
}

/// A reserved line with what an order needs to snapshot.
public struct ReservedLineDTO: Codable, Sendable, Equatable {
    /// The variant.
    public var variantId: UUID
    /// Its product.
    public var productId: UUID
    /// The product's name now.
    public var productName: String
    /// The variant's SKU now.
    public var sku: String
    /// Option values now.
    public var options: [String: String]
    /// The selling shop.
    public var shopId: UUID
    /// The unit price now (the server's price, never the client's).
    public var unitPrice: Money
    /// Units held.
    public var quantity: Int

    /// Creates the value.
    public init(variantId: UUID, productId: UUID, productName: String, sku: String, options: [String: String], shopId: UUID, unitPrice: Money, quantity: Int) {
        self.variantId = variantId
        self.productId = productId
        self.productName = productName
        self.sku = sku
        self.options = options
        self.shopId = shopId
        self.unitPrice = unitPrice
        self.quantity = quantity
    }
}

/// A reservation.
public struct ReservationDTO: Codable, Sendable, Equatable {
    /// The order.
    public var orderId: UUID
    /// Status.
    public var status: ReservationStatus
    /// When a held reservation lapses.
    public var expiresAt: Date
    /// Lines.
    public var lines: [ReservedLineDTO]

    /// Creates the value.
    public init(orderId: UUID, status: ReservationStatus, expiresAt: Date, lines: [ReservedLineDTO]) {
        self.orderId = orderId
        self.status = status
        self.expiresAt = expiresAt
        self.lines = lines
    }
}

extension ReservationStatus: SchemaEnumeration {}
