import Hummingbird

/// Marks answers to requests that carried credentials `Cache-Control: no-store` unless the handler
/// chose a policy itself (the catalogue's public reads do), so no shared cache keeps a user's
/// profile, addresses or orders.
public struct PersonalResponseMiddleware: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    /// Handles one request.
    public func handle(_ request: Request, context: PlexusContext, next: (Request, PlexusContext) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if request.headers[.authorization] != nil, response.headers[.cacheControl] == nil {
            response.headers[.cacheControl] = "no-store"
        }
        return response
    }
}
