import Foundation
import Logging
import NIOHTTP1
import PlexusKit

/// Shop's internal paths.
public enum ShopPaths {
    /// `GET` the shop owned by a user: `/internal/shops/by-owner/{userId}` (404 when none).
    public static func byOwner(_ userID: UUID) -> String { "/internal/shops/by-owner/\(userID.uuidString.lowercased())" }
}

/// A typed client for the shop service's internal routes.
public struct ShopClient: Sendable {
    let connection: ServiceConnection

    /// Creates a client over a connection to the shop service.
    public init(_ connection: ServiceConnection) {
        self.connection = connection
    }

    /// The shop `userID` owns, or `nil`; throws a 503 problem when the shop service cannot answer.
    public func shop(ownedBy userID: UUID, logger: Logger) async throws -> ShopChanged? {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: try connection.authorization())
        let response = try await connection.http.send(upstream: "shop", method: .GET, url: connection.baseURL + ShopPaths.byOwner(userID),
                                             headers: headers, deadline: .seconds(3), logger: logger)
        switch response.status.code {
        case 200: return try response.decode(ShopChanged.self)
        case 404: return nil
        default: throw ProblemError.unavailable("The shop service answered \(response.status.code).")
        }
    }
}
