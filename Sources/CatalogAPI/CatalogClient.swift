import Foundation
import Logging
import PlexusKit

/// A typed client for the catalogue's public reads, used by other services.
public struct CatalogClient: Sendable {
    let connection: ServiceConnection

    /// Creates a client over a connection to the catalogue.
    public init(_ connection: ServiceConnection) {
        self.connection = connection
    }

    /// The newest published products of `shopID` (at most `limit`).
    public func products(ofShop shopID: UUID, limit: Int, logger: Logger) async throws -> ProductListDTO {
        let url = connection.baseURL + "/api/v1/products?shop=\(shopID.uuidString.lowercased())&sort=newest&limit=\(limit)"
        let response = try await connection.http.send(upstream: "catalog", method: .GET, url: url, deadline: .seconds(2), logger: logger)
        guard response.status == .ok else { throw ProblemError.unavailable("The catalogue answered \(response.status.code).") }
        return try response.decode(ProductListDTO.self)
    }
}
