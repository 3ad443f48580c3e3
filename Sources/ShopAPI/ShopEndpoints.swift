import Foundation
import Logging
import PlexusContract

/// The shop service's endpoints: the one declaration its router, typed client, the gateway and
/// the documentation read.
public enum ShopEndpoints {
    static let noShop = ProblemCase(404, "no_shop", "The caller has no shop yet.")

    public static let open = Endpoint<CreateShopRequest, ShopDTO>("openShop", .POST, "/api/v1/shops", access: .user,
        summary: "Open the caller's shop (verified users, one each); the caller becomes a seller.", status: 201,
        problems: [ProblemCase(403, "email_not_verified", "Verify the e-mail address first."),
                   ProblemCase(409, "shop_exists", "The caller already has a shop."), ProblemCase(409, "slug_taken", "Another shop has this name.")])
    public static let search = Endpoint<NoBody, Page<ShopDTO>>("listShops", .GET, "/api/v1/shops", access: .anyone, summary: "Find shops.",
        query: [QueryParameter("q", .string(), "Part of the name."), .limit, .cursor])
    public static let mine = Endpoint<NoBody, ShopDTO>("getMyShop", .GET, "/api/v1/shops/me", access: .user, summary: "The caller's shop.",
        problems: [noShop])
    public static let updateMine = Endpoint<UpdateShopRequest, ShopDTO>("updateMyShop", .PATCH, "/api/v1/shops/me", access: .user,
        summary: "Edit the caller's shop.", problems: [noShop, ProblemCase(409, "slug_taken", "Another shop has this name.")])
    public static let sales = Endpoint<NoBody, SalesReportDTO>("getMySales", .GET, "/api/v1/shops/me/sales", access: .user,
        summary: "Revenue, orders, units and top products over paid orders, per day.",
        query: [QueryParameter("from", .string(format: "date"), "First day (YYYY-MM-DD)."), QueryParameter("to", .string(format: "date"), "Last day.")],
        problems: [noShop])
    public static let page = Endpoint<NoBody, ShopPageDTO>("getShop", .GET, "/api/v1/shops/{idOrSlug}", access: .anyone,
        summary: "A shop page with its newest products.", pathParameters: ["idOrSlug": .string()])
    public static let byOwner = Endpoint<NoBody, ShopChanged>("getShopByOwner", .GET, "/internal/shops/by-owner/{userId}",
        access: .services([.catalog]), summary: "The shop a user owns (404: none).")

    /// Every endpoint the shop service serves.
    public static let all: [EndpointDescription] = [
        open.description, search.description, mine.description, updateMine.description, sales.description, page.description, byOwner.description,
    ]
}

/// What other services ask the shop service.
public protocol ShopReading: Sendable {
    /// The shop `userID` owns, or `nil`.
    func shop(ownedBy userID: UUID, logger: Logger) async throws -> ShopChanged?
}

/// The shop service's typed client over any transport.
public struct ShopClient: ShopReading {
    let transport: any EndpointTransport

    /// Creates a client.
    public init(_ transport: any EndpointTransport) {
        self.transport = transport
    }

    public func shop(ownedBy userID: UUID, logger: Logger) async throws -> ShopChanged? {
        do {
            return try await transport.call(ShopEndpoints.byOwner, path: ["userId": userID.uuidString.lowercased()], deadline: .seconds(3), logger: logger)
        } catch let error as RemoteProblem where error.status == 404 {
            return nil
        }
    }
}
