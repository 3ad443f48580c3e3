import PostgresNIO

/// Builds a query from fixed SQL fragments written in code plus bound values.
///
/// Filters and sorts that vary per request are assembled from fragments chosen by a `switch` over
/// validated input; every value a client sent becomes a `$n` bind. No client text is ever appended
/// to the SQL itself.
public struct SQLBuilder: Sendable {
    /// The SQL so far.
    public private(set) var sql: String
    /// The bound values so far.
    public private(set) var binds = PostgresBindings()

    /// Starts with `sql` (a fixed fragment).
    public init(_ sql: String = "") { self.sql = sql }

    /// Binds `value` and returns its placeholder (`$n`) for use in a fixed fragment.
    public mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    /// Binds a value whose encoding may throw (arrays, JSON) and returns its placeholder.
    public mutating func bindThrowing<Value: PostgresThrowingDynamicTypeEncodable>(_ value: Value) throws -> String {
        try binds.append(value)
        return "$\(binds.count)"
    }

    /// Appends a fixed fragment.
    public mutating func append(_ fragment: String) { sql += fragment }

    /// The finished query.
    public var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}

/// Maps violations of named constraints to client-facing problems, so the database (not a
/// check-then-write) keeps an invariant and the client still gets a clear 409 or 422.
public enum ConstraintViolation {
    /// The SQLSTATE and constraint name of a PostgreSQL error, unwrapping transaction errors.
    public static func details(of error: any Error) -> (state: String, constraint: String?)? {
        if let transaction = error as? PostgresTransactionError, let inner = transaction.closureError {
            return details(of: inner)
        }
        guard let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState] else { return nil }
        return (state, psql.serverInfo?[.constraintName])
    }

    /// Runs `body`; a violated constraint listed in `problems` becomes that problem.
    public static func mapping<T>(_ problems: [String: ProblemError], _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch {
            if let details = details(of: error), let constraint = details.constraint, let problem = problems[constraint] { throw problem }
            throw error
        }
    }
}

/// `LIKE`/`ILIKE` patterns from user text, whose `%`, `_` and `\` match themselves.
public enum LikePattern {
    /// A pattern matching any value that contains `text` literally.
    public static func containing(_ text: String) -> String {
        "%" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
    }
}
