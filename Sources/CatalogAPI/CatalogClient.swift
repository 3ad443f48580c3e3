import Foundation
import Logging
import PlexusContract

/// What other services ask the catalogue.
public protocol CatalogReading: Sendable {
    /// The newest published products of `shopID` (at most `limit`).
    func products(ofShop shopID: UUID, limit: Int, logger: Logger) async throws -> ProductListDTO
}

/// The catalogue's typed client over any transport.
public struct CatalogClient: CatalogReading {
    let transport: any EndpointTransport

    /// Creates a client.
    public init(_ transport: any EndpointTransport) {
        self.transport = transport
    }

    public func products(ofShop shopID: UUID, limit: Int, logger: Logger) async throws -> ProductListDTO {
        try await transport.call(CatalogEndpoints.products, query: ["shop": shopID.uuidString.lowercased(), "sort": "newest", "limit": String(limit)],
                                 deadline: .seconds(2), logger: logger)
    }
}
