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
}
