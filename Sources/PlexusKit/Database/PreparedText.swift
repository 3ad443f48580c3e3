import Logging
import NIOConcurrencyHelpers
import PostgresNIO

/// The names given to statement texts that are built at run time but repeat (a listing's filters,
/// sort and paging make a few dozen texts), so each connection parses such a text once, keeps it as
/// a named prepared statement, and from then on only binds and executes it; PostgreSQL's plan cache
/// may then also keep a generic plan. An unnamed statement is parsed, analysed and planned on every
/// run: for the catalogue's listing that was about 45 % of PostgreSQL's time (`perf`, 2026-11-28).
///
/// Bounded, because every name lives on every connection that ran it until the connection closes
/// (a listing's statement with its generic plan holds about 165 KB of a backend's memory): at most
/// `limit` texts are ever named in a process, later ones run unnamed as before, so clients varying
/// their filters cannot grow the server's memory. A text is named on its third run, so the names go
/// to the texts that repeat rather than to whatever came first (runs of unnamed texts are counted by
/// hash, for at most 4 096 texts, then counting starts over). A text whose named run the server
/// refused (an error PostgreSQL reported, not an outage, not a cancelled call) is not named again (postgres-nio keeps a failed preparation for the life of the connection), and
/// runs unnamed from then on.
final class PreparedTextNames: Sendable {
    private struct State {
        var names: [String: String?] = [:]
        var runs: [Int: Int] = [:]
        var given = 0
    }

    /// The run on which a text gets its name.
    static let namedOnRun = 3
    /// How many unnamed texts have their runs counted.
    static let countedTexts = 4_096

    private let state = NIOLockedValueBox(State())
    /// How many texts a process names at most.
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// The name of `sql`, given now if it has none and the limit allows; `nil` when it runs unnamed.
    func name(for sql: String) -> String? {
        state.withLockedValue { state in
            if let known = state.names[sql] { return known }
            guard state.given < limit else { return nil }
            let key = sql.hashValue
            let runs = (state.runs[key] ?? 0) + 1
            guard runs >= Self.namedOnRun else {
                // a full count starts over: texts run once each cannot keep a repeating one from its name
                if state.runs[key] == nil && state.runs.count >= Self.countedTexts { state.runs.removeAll() }
                state.runs[key] = runs
                return nil
            }
            state.runs[key] = nil
            state.given += 1
            let name = "plexus_text_\(state.given)"
            state.names[sql] = .some(name)
            return name
        }
    }

    /// Runs `sql` unnamed from now on.
    func withdraw(_ sql: String) {
        state.withLockedValue { $0.names[sql] = .some(nil) }
    }
}

/// A prepared statement whose text and name are chosen per call (postgres-nio reads both from the
/// type, so they come from a task-local value set around the call).
struct PreparedText: PostgresPreparedStatement {
    struct Text: Sendable {
        var name: String
        var sql: String
    }

    @TaskLocal static var current = Text(name: "", sql: "")
    static var name: String { current.name }
    static var sql: String { current.sql }

    typealias Row = PostgresRow
    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

extension DatabaseClient {
    /// Runs a read-only statement whose text repeats (see ``PreparedTextNames``) as a named prepared
    /// statement, and reads all its rows. The bind types must follow from the text (the first run's
    /// binds prepare it on a connection). A named run the server refuses (not an outage) runs once
    /// more unnamed, and the text stays unnamed; a cancelled or lost call only fails, as `query` does.
    @discardableResult
    public func queryPrepared(_ query: PostgresQuery, logger: Logger, file: String = #fileID, line: Int = #line) async throws -> DatabaseRows {
        guard let name = preparedTexts.name(for: query.sql) else { return try await self.query(query, logger: logger, file: file, line: line) }
        do {
            return try await withConnection { connection in
                try await PreparedText.$current.withValue(PreparedText.Text(name: name, sql: query.sql)) {
                    var rows: [PostgresRow] = []
                    for try await row in try await connection.execute(PreparedText(bindings: query.binds), logger: logger, file: file, line: line) {
                        rows.append(row)
                    }
                    return DatabaseRows(rows: rows)
                }
            }
        } catch let error as PSQLError where error.code == .server && !DatabaseOutage.matches(error) {
            preparedTexts.withdraw(query.sql)
            logger.warning("a prepared statement failed; its text runs unprepared from now on", metadata: ["error": "\(String(reflecting: error))"])
            return try await self.query(query, logger: logger, file: file, line: line)
        }
    }
}
