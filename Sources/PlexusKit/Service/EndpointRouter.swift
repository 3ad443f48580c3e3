import Foundation
import Hummingbird
import NIOConcurrencyHelpers

/// Registers handlers for declared endpoints: the path and method come from the declaration, and
/// the declared access is enforced before the handler runs (401 without a token, 403 without a
/// role; service tokens for the declared callers only). What it registered is what the service's
/// OpenAPI document lists.
public final class EndpointRouter {
    /// The underlying router (for middleware).
    public let router: Router<PlexusContext>
    let tokens: ServiceTokens?
    let registered = NIOLockedValueBox<[EndpointDescription]>([])

    /// Wraps `router`; `tokens` checks service tokens on internal endpoints.
    public init(_ router: Router<PlexusContext>, tokens: ServiceTokens?) {
        self.router = router
        self.tokens = tokens
    }

    /// The endpoints registered so far, in order.
    public var endpoints: [EndpointDescription] { registered.withLockedValue { $0 } }

    /// Routes `endpoint` to `handler`.
    public func on<Body, Output>(_ endpoint: Endpoint<Body, Output>,
                                 _ handler: @escaping @Sendable (Request, PlexusContext) async throws -> Response) {
        let description = endpoint.description
        registered.withLockedValue { $0.append(description) }
        let access = endpoint.access
        let tokens = self.tokens
        router.on(RouterPath(Self.routerPath(endpoint.path)), method: HTTPRequest.Method(rawValue: endpoint.method.rawValue)!) { request, context in
            try Self.check(access, request: request, context: context, tokens: tokens)
            return try await handler(request, context)
        }
    }

    static func check(_ access: Access, request: Request, context: PlexusContext, tokens: ServiceTokens?) throws {
        switch access {
        case .anyone: return
        case .user: _ = try context.requireUser()
        case .roles(let roles):
            guard !roles.isDisjoint(with: try context.requireUser().roles) else { throw ProblemError.forbidden() }
        case .services(let callers):
            guard let tokens else { throw ProblemError.forbidden("This service accepts no internal calls.") }
            try tokens.requireCaller(request, allowed: callers)
        }
    }

    /// `/api/v1/products/{id}` → `/api/v1/products/:id`.
    public static func routerPath(_ template: String) -> String {
        template.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : segment
        }.joined(separator: "/")
    }
}
