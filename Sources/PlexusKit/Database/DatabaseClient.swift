import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO

/// How services reach their database: the calls of `PostgresClient` (`query`, `withConnection`,
/// `withTransaction`), each with a deadline and each failing promptly when its connection dies.
///
/// Why not `PostgresClient` alone: postgres-nio 1.33 writes a query to its channel without a write
/// promise, so a query handed a connection that closes at that moment (a failover, a restart, a
/// terminated backend) is dropped and its caller waits forever, holding a lease the pool never
/// gets back. Here every call races three things: its own work, its deadline (then the connection
/// is closed, which also ends a transaction that would otherwise commit later, and the call throws
/// ``DatabaseCallError/deadlineExceeded``), and the close of the connection it leased (after a short
/// grace for a reply already on its way, the call throws ``DatabaseCallError/connectionLost``).
/// Both are outages (``DatabaseOutage``): the client gets a 503 with `Retry-After`, never a hang.
public struct DatabaseClient: Sendable {
    /// The pool underneath (run it as a service; migrations and `LISTEN` loops use it directly).
    public let pool: PostgresClient
    /// The longest one call (lease, statements, commit) may take. Longer than the server's
    /// `statement_timeout`, so a slow statement ends with the server's own error first.
    public let timeout: Duration

    /// Names of the repeated statement texts run prepared (``queryPrepared(_:logger:file:line:)``).
    let preparedTexts: PreparedTextNames

    /// The default deadline of one call.
    public static let defaultTimeout: Duration = .seconds(20)

    /// How many repeated statement texts a process prepares at most (on each connection).
    public static let defaultPreparedTextLimit = 32

    /// Wraps `pool`.
    public init(pool: PostgresClient, timeout: Duration = DatabaseClient.defaultTimeout, preparedTextLimit: Int = DatabaseClient.defaultPreparedTextLimit) {
        self.pool = pool
        self.timeout = timeout
        self.preparedTexts = PreparedTextNames(limit: preparedTextLimit)
    }

    /// Leases a connection for `body`.
    public func withConnection<Result: Sendable>(
        _ body: sending @escaping (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await DatabaseCall<Result>.run(timeout: timeout) { call in
            try await pool.withConnection { connection in
                try call.attach(connection)
                // Detached before the pool gets it back (and, if the deadline is closing it, only
                // once closed): an expiry must never close a connection someone else holds.
                do {
                    let result = try await body(connection)
                    await call.detach(connection)
                    return result
                } catch {
                    await call.detach(connection)
                    throw error
                }
            }
        }
    }

    /// Runs `body` in a transaction (`BEGIN` … `COMMIT`, `ROLLBACK` when it throws, rethrowing what
    /// `body` threw).
    public func withTransaction<Result: Sendable>(
        logger: Logger, file: String = #file, line: Int = #line,
        _ body: sending @escaping (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection { connection in
            do {
                return try await connection.withTransaction(logger: logger, file: file, line: line) { connection in try await body(connection) }
            } catch let error as PostgresTransactionError where error.rollbackError == nil && error.closureError != nil {
                // Rolled back cleanly: the caller gets its own error back (a refusal stays a refusal).
                throw error.closureError!
            }
        }
    }

    /// Runs one statement and reads all its rows (the lease ends before this returns).
    @discardableResult
    public func query(_ query: PostgresQuery, logger: Logger, file: String = #fileID, line: Int = #line) async throws -> DatabaseRows {
        try await withConnection { connection in
            DatabaseRows(rows: try await connection.query(query, logger: logger, file: file, line: line).collect())
        }
    }

    /// Runs a prepared statement and reads all its rows.
    public func execute<Statement: PostgresPreparedStatement>(
        _ statement: Statement, logger: Logger, file: String = #fileID, line: Int = #line
    ) async throws -> DatabaseResults<Statement.Row> where Statement.Row: Sendable {
        try await withConnection { connection in
            var rows: [Statement.Row] = []
            for try await row in try await connection.execute(statement, logger: logger, file: file, line: line) { rows.append(row) }
            return DatabaseResults(rows: rows)
        }
    }
}

/// The rows of a statement, read in full: iterate them (`for try await`), `decode` them like a
/// `PostgresRowSequence`, or `collect()` them.
public typealias DatabaseRows = DatabaseResults<PostgresRow>

/// A statement's results, read in full before the connection went back to the pool.
public struct DatabaseResults<Element: Sendable>: AsyncSequence, Sendable {
    /// The results.
    public let rows: [Element]

    /// Iterates the results.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: IndexingIterator<[Element]>
        /// The next result.
        public mutating func next() async throws -> Element? { base.next() }
    }

    /// An iterator over the results.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: rows.makeIterator()) }

    /// The results as an array.
    public func collect() async throws -> [Element] { rows }
}

/// Why a database call ended without an answer from the database; both mean 503.
public enum DatabaseCallError: Error, Sendable, Equatable {
    /// The call's connection closed under it.
    case connectionLost
    /// The call took longer than its deadline.
    case deadlineExceeded
}

/// One call racing its deadline and its connection's close. Its work runs in a task of its own, so
/// a caller can be answered even when that work never finishes.
final class DatabaseCall<Result: Sendable>: @unchecked Sendable {
    // Safe: every stored property is read and written under `lock`.
    private let lock = NIOLock()
    private var continuation: CheckedContinuation<Result, any Error>?
    private var connection: PostgresConnection?
    private var work: Task<Void, Never>?
    private var timer: Scheduled<Void>?
    private var outcome: Swift.Result<Result, any Error>?
    private var closing: Task<Void, Never>?

    /// How long a call whose connection closed still waits for its own answer (a reply read just
    /// before the close is still delivered).
    static var graceAfterClose: Duration { .milliseconds(500) }

    static func run(timeout: Duration, _ operation: sending @escaping (DatabaseCall) async throws -> Result) async throws -> Result {
        let call = DatabaseCall()
        call.launch(timeout: timeout, operation)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in call.answer(continuation) }
        } onCancel: {
            call.cancel()
        }
    }

    private func launch(timeout: Duration, _ operation: sending @escaping (DatabaseCall) async throws -> Result) {
        let work = Task {
            do { self.finish(.success(try await operation(self))) } catch { self.finish(.failure(error)) }
        }
        // A timer on an event loop, not a sleeping task: one heap entry, cancelled when the call
        // ends (a task and its sleep per database call were a visible cost in a profile).
        let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(Int64(timeout.seconds * 1e9))) { self.expire() }
        let finished = lock.withLock { () -> Bool in
            self.work = work
            self.timer = timer
            return outcome != nil
        }
        // A call that ended before its timer was stored cancels it here (nothing holds the call
        // for the rest of its deadline).
        if finished { timer.cancel() }
    }

    /// Hands the outcome to `continuation`, now or when there is one.
    private func answer(_ continuation: CheckedContinuation<Result, any Error>) {
        lock.lock()
        let known = self.outcome
        if known == nil { self.continuation = continuation }
        lock.unlock()
        if let known { continuation.resume(with: known) }
    }

    /// Called with the leased connection: from now on its close ends the call.
    func attach(_ connection: PostgresConnection) throws {
        let open = lock.withLock { () -> Bool in
            guard outcome == nil else { return false }
            self.connection = connection
            return true
        }
        guard open else { throw DatabaseCallError.deadlineExceeded }
        ConnectionWatch.shared.watch(connection, by: ObjectIdentifier(self)) { [weak self] in self?.connectionClosed() }
    }

    /// Called before the connection goes back to the pool; waits for a close the deadline began.
    func detach(_ connection: PostgresConnection) async {
        let closing = lock.withLock { () -> Task<Void, Never>? in
            self.connection = nil
            return self.closing
        }
        ConnectionWatch.shared.unwatch(connection, by: ObjectIdentifier(self))
        await closing?.value
    }

    private func connectionClosed() {
        Task {
            try? await Task.sleep(for: Self.graceAfterClose)
            self.finish(.failure(DatabaseCallError.connectionLost))
        }
    }

    private func expire() {
        // One step under the lock: the outcome is decided and the connection, if this call still
        // holds it, is taken for closing (``detach(_:)`` then waits for the close).
        let taken = lock.withLock { () -> (CheckedContinuation<Result, any Error>?, PostgresConnection?, Task<Void, Never>?)? in
            guard outcome == nil else { return nil }
            outcome = .failure(DatabaseCallError.deadlineExceeded)
            defer { continuation = nil }
            let held = connection
            connection = nil
            if let held { closing = Task { try? await held.close() } }
            return (continuation, held, work)
        }
        guard let (continuation, held, work) = taken else { return }
        if let held { ConnectionWatch.shared.unwatch(held, by: ObjectIdentifier(self)) }
        work?.cancel()
        continuation?.resume(throwing: DatabaseCallError.deadlineExceeded)
    }

    private func cancel() {
        lock.withLock { self.work }?.cancel()
    }

    /// Records the first outcome (later ones are ignored) and answers the caller if it waits.
    private func finish(_ result: Swift.Result<Result, any Error>) {
        let first = lock.withLock { () -> (CheckedContinuation<Result, any Error>?, Scheduled<Void>?, PostgresConnection?)? in
            guard outcome == nil else { return nil }
            outcome = result
            defer { continuation = nil }
            return (continuation, timer, connection)
        }
        guard let (continuation, timer, connection) = first else { return }
        timer?.cancel()
        if let connection { ConnectionWatch.shared.unwatch(connection, by: ObjectIdentifier(self)) }
        continuation?.resume(with: result)
    }
}

/// One `closeFuture` callback per connection (not one per call, which would pile up on a
/// long-lived connection), telling the call that currently holds it.
final class ConnectionWatch: @unchecked Sendable {
    static let shared = ConnectionWatch()

    private struct Entry {
        // Kept (so its identity cannot be reused) until its close has been seen.
        var connection: PostgresConnection
        var holder: ObjectIdentifier?
        var onClose: (@Sendable () -> Void)?
    }

    // Safe: `watched` is read and written under `lock`.
    private let lock = NIOLock()
    private var watched: [ObjectIdentifier: Entry] = [:]

    /// Tells `onClose` if `connection` closes while `holder` has it.
    func watch(_ connection: PostgresConnection, by holder: ObjectIdentifier, onClose: @escaping @Sendable () -> Void) {
        let key = ObjectIdentifier(connection)
        let isNew = lock.withLock { () -> Bool in
            let isNew = watched[key] == nil
            watched[key] = Entry(connection: connection, holder: holder, onClose: onClose)
            return isNew
        }
        guard isNew else { return }
        connection.closeFuture.whenComplete { _ in
            let entry = self.lock.withLock { self.watched.removeValue(forKey: key) }
            entry?.onClose?()
        }
    }

    /// `holder` is done with `connection` (the pool may already have handed it to someone else,
    /// whose watch stays).
    func unwatch(_ connection: PostgresConnection, by holder: ObjectIdentifier) {
        let key = ObjectIdentifier(connection)
        lock.withLock {
            guard watched[key]?.holder == holder else { return }
            watched[key]?.holder = nil
            watched[key]?.onClose = nil
        }
    }
}

/// A prepared statement with one parameter, `$1` (most reads by a key): parsed and planned once
/// per connection instead of on every request. Run it with ``DatabaseClient/execute(_:logger:file:line:)``.
public protocol OneParameterStatement: PostgresPreparedStatement {
    associatedtype Parameter: PostgresDynamicTypeEncodable
    var parameter: Parameter { get }
}

extension OneParameterStatement {
    public func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(parameter)
        return bindings
    }
}
