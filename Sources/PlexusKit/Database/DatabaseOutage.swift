import Foundation
import Hummingbird
import PostgresNIO

/// Telling a lost database connection (a failover, a restart, a terminated backend) from everything
/// else: such a request answers 503 with `Retry-After`, never 500.
public enum DatabaseOutage {
    /// Whether `error` means the database, or the connection to it, went away.
    public static func matches(_ error: any Error) -> Bool {
        if error is DatabaseCallError { return true }
        if let transaction = error as? PostgresTransactionError {
            if let inner = transaction.closureError, matches(inner) { return true }
            if let begin = transaction.beginError, matches(begin) { return true }
            if let commit = transaction.commitError, matches(commit) { return true }
            return transaction.rollbackError.map(matches) ?? false
        }
        guard let psql = error as? PSQLError else { return false }
        switch psql.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown, .poolClosed:
            return true
        default:
            break
        }
        // 57: operator intervention (terminated, shutting down), 08: connection exception,
        // 53: insufficient resources (too many connections), 40001/40P01: retryable conflicts.
        guard let state = psql.serverInfo?[.sqlState] else { return false }
        return state.hasPrefix("57") || state.hasPrefix("08") || state.hasPrefix("53") || state == "40001" || state == "40P01"
    }

    /// The problem a client gets.
    public static let problem = ProblemError.unavailable("The database is unavailable for a moment; try again.", code: "database_unavailable", retryAfter: 1)
}

/// Lets a safe read (`GET`, `HEAD`) that lost its database connection run once more: the pool
/// hands the retry a fresh connection, so a failover costs the client nothing but a little time.
public struct DatabaseRetryMiddleware: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    /// Handles one request.
    public func handle(_ request: Request, context: PlexusContext, next: (Request, PlexusContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch where (request.method == .get || request.method == .head) && DatabaseOutage.matches(error)
                    && (error as? DatabaseCallError) != .deadlineExceeded {
            // (a read that ran out of time is not run again: under overload that would double the load)
            context.logger.warning("database connection lost; retrying a safe read once")
            return try await next(request, context)
        }
    }
}
