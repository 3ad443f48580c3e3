import Foundation
import Logging
import PlexusContract

/// What other services ask the catalogue.
public protocol CatalogReading: Sendable {
    /// The newest published products of `shopID` (at most `limit`).
    func products(ofShop shopID: UUID, limit: Int, logger: Logger) async throws -> ProductListDTO
}

/// The catalogue's prices and stock for a buyer (cart, order).
public protocol VariantQuoting: Sendable {
    /// Quotes for the variants that exist among `variantIDs` (at most 100).
    func quote(_ variantIDs: [UUID], logger: Logger) async throws -> [VariantQuote]
}

/// The catalogue's typed client over any transport.
public struct CatalogClient: CatalogReading, VariantQuoting {
    let transport: any EndpointTransport

    /// Creates a client.
    public init(_ transport: any EndpointTransport) {
        self.transport = transport
    }

    public func products(ofShop shopID: UUID, limit: Int, logger: Logger) async throws -> ProductListDTO {
        try await transport.call(CatalogEndpoints.products, query: ["shop": shopID.uuidString.lowercased(), "sort": "newest", "limit": String(limit)],
                                 deadline: .seconds(2), logger: logger)
    }

    public func quote(_ variantIDs: [UUID], logger: Logger) async throws -> [VariantQuote] {
        guard !variantIDs.isEmpty else { return [] }
        return try await transport.call(CatalogEndpoints.quote, body: QuoteRequest(variantIds: variantIDs), deadline: .seconds(5), logger: logger).items
    }

    /// Holds stock for an order: every line or none (the same order again is harmless).
    public func reserve(_ request: ReserveRequest, logger: Logger) async throws -> ReservationDTO {
        try await transport.call(CatalogEndpoints.reserve, body: request, deadline: .seconds(5), logger: logger)
    }

    /// Gives an order's held stock back; `nil` when nothing was reserved for it.
    public func release(orderID: UUID, logger: Logger) async throws -> ReservationDTO? {
        try await transport.callIfFound(CatalogEndpoints.release, path: ["orderId": orderID.uuidString], logger: logger)
    }
}
