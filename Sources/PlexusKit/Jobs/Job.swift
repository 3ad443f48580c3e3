import Foundation
import Logging
import PostgresNIO

/// A claimed job handed to a handler.
public struct Job: Sendable {
    /// The job id.
    public let id: UUID
    /// Which handler runs it.
    public let kind: String
    /// The JSON payload.
    public let payload: String
    /// This attempt's number, starting at 1.
    public let attempt: Int
    /// The attempt after which the job is dead.
    public let maxAttempts: Int
    /// The request (or event) whose work enqueued this job; its logs carry the same request id.
    public var trace: RequestTrace? = nil

    /// Decodes the payload.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSON.decoder.decode(T.self, from: Data(payload.utf8))
    }
}

/// Exponential backoff with jitter, capped.
public struct Backoff: Sendable {
    /// The delay ceiling after the first failure.
    public var base: Duration
    /// The largest delay.
    public var cap: Duration

    /// Creates a policy.
    public init(base: Duration = .seconds(2), cap: Duration = .seconds(3600)) {
        self.base = base
        self.cap = cap
    }

    /// The ceiling for the delay after `attempt` failures: `min(cap, base · 2^(attempt-1))`, in ms.
    public func ceilingMilliseconds(afterAttempt attempt: Int) -> Int64 {
        let exponent = Int64(min(max(attempt - 1, 0), 30))
        let (scaled, overflow) = base.milliseconds.multipliedReportingOverflow(by: 1 << exponent)
        return overflow ? cap.milliseconds : min(cap.milliseconds, scaled)
    }

    /// A delay drawn uniformly from [ceiling/2, ceiling] ("equal jitter"): retries of many jobs
    /// spread out, yet none comes back immediately.
    public func delay<R: RandomNumberGenerator>(afterAttempt attempt: Int, using generator: inout R) -> Duration {
        let ceiling = max(1, ceilingMilliseconds(afterAttempt: attempt))
        return .milliseconds(Int64.random(in: (ceiling / 2)...ceiling, using: &generator))
    }

    /// A jittered delay from the system generator.
    public func delay(afterAttempt attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(afterAttempt: attempt, using: &generator)
    }
}

extension Duration {
    /// Whole milliseconds.
    public var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// Fractional seconds.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// Options for one enqueue.
public struct JobOptions: Sendable {
    /// When the job may run first (now by default).
    public var runAt: Date?
    /// Attempts before the job is dead.
    public var maxAttempts: Int
    /// A key that makes the enqueue a no-op when a job with that key already exists.
    public var dedupeKey: String?

    /// Creates options.
    public init(runAt: Date? = nil, maxAttempts: Int = 8, dedupeKey: String? = nil) {
        self.runAt = runAt
        self.maxAttempts = maxAttempts
        self.dedupeKey = dedupeKey
    }
}

/// The Postgres job queue's SQL. Enqueueing takes a connection so it can join the caller's
/// transaction (the outbox relies on that).
public enum JobQueue {
    /// The `NOTIFY` channel workers listen on.
    public static let channel = "plexus_jobs"

    /// Enqueues a job of a declared kind on `connection` (inside the caller's transaction when there
    /// is one). Returns `false` when `dedupeKey` already existed.
    @discardableResult
    public static func enqueue<Payload>(
        _ kind: JobKind<Payload>, _ payload: Payload, options: JobOptions = JobOptions(), on connection: PostgresConnection, logger: Logger
    ) async throws -> Bool {
        try await enqueue(kind: kind.name, payload: payload, options: options, on: connection, logger: logger)
    }

    /// Enqueues a job of a declared kind outside any transaction.
    @discardableResult
    public static func enqueue<Payload>(
        _ kind: JobKind<Payload>, _ payload: Payload, options: JobOptions = JobOptions(), client: DatabaseClient, logger: Logger
    ) async throws -> Bool {
        try await client.withConnection { connection in
            try await enqueue(kind: kind.name, payload: payload, options: options, on: connection, logger: logger)
        }
    }

    /// Enqueues a job on `connection` (inside the caller's transaction when there is one) and notifies
    /// workers on commit. The current ``RequestTrace`` is stored with it. Returns `false` when
    /// `dedupeKey` already existed.
    @discardableResult
    static func enqueue<Payload: Encodable & Sendable>(
        kind: String, payload: Payload, options: JobOptions = JobOptions(), on connection: PostgresConnection, logger: Logger
    ) async throws -> Bool {
        let json = String(decoding: try JSON.encoder.encode(payload), as: UTF8.self)
        let trace = RequestTrace.current
        // One round trip: the insert, and the notification only when a row went in.
        let rows = try await connection.query("""
            WITH inserted AS (
                INSERT INTO jobs (id, kind, payload, max_attempts, run_at, dedupe_key, request_id, traceparent)
                VALUES (\(UUID.v7()), \(kind), \(json)::jsonb, \(options.maxAttempts), COALESCE(\(options.runAt), now()), \(options.dedupeKey),
                        \(trace?.requestID), \(trace?.traceparent))
                ON CONFLICT (dedupe_key) DO NOTHING
                RETURNING kind)
            SELECT pg_notify(\(channel), kind) FROM inserted
            """, logger: logger)
        var inserted = false
        for try await _ in rows { inserted = true }
        return inserted
    }

    /// Enqueues outside any transaction.
    @discardableResult
    static func enqueue<Payload: Encodable & Sendable>(
        kind: String, payload: Payload, options: JobOptions = JobOptions(), client: DatabaseClient, logger: Logger
    ) async throws -> Bool {
        try await client.withConnection { connection in
            try await enqueue(kind: kind, payload: payload, options: options, on: connection, logger: logger)
        }
    }

    /// Claims up to `limit` runnable jobs of `kinds`: pending ones whose time has come, and running
    /// ones whose lease expired (their worker died). `SKIP LOCKED` lets replicas claim in parallel.
    public static func claim(kinds: [String], limit: Int, lease: Duration, workerID: String, client: DatabaseClient, logger: Logger) async throws -> [Job] {
        let leaseSeconds = lease.seconds
        let rows = try await client.query("""
            UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = \(workerID),
                   locked_until = now() + make_interval(secs => \(leaseSeconds)), updated_at = now()
            WHERE id IN (
                SELECT id FROM jobs
                WHERE kind = ANY(\(kinds))
                  AND ((status = 'pending' AND run_at <= now()) OR (status = 'running' AND locked_until < now()))
                ORDER BY run_at
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED)
            RETURNING id, kind, payload::text, attempts, max_attempts, request_id, traceparent
            """, logger: logger)
        var jobs: [Job] = []
        for try await (id, kind, payload, attempts, maxAttempts, requestID, traceparent) in rows.decode((UUID, String, String, Int, Int, String?, String?).self) {
            let trace = requestID.map { RequestTrace(requestID: $0, continuing: traceparent) }
            jobs.append(Job(id: id, kind: kind, payload: payload, attempt: attempts, maxAttempts: maxAttempts, trace: trace))
        }
        return jobs
    }

    /// Marks a job done. Only the worker holding the lease may finish it.
    public static func complete(_ job: Job, workerID: String, client: DatabaseClient, logger: Logger) async throws {
        try await client.query("""
            UPDATE jobs SET status = 'done', locked_until = NULL, updated_at = now(), last_error = NULL
            WHERE id = \(job.id) AND locked_by = \(workerID) AND status = 'running'
            """, logger: logger)
    }

    /// Records a failure: back to pending after `delay`, or dead after the last attempt.
    public static func fail(_ job: Job, error: String, retryAfter delay: Duration, workerID: String, client: DatabaseClient, logger: Logger) async throws {
        let seconds = delay.seconds
        let dead = job.attempt >= job.maxAttempts
        try await client.query("""
            UPDATE jobs SET status = \(dead ? "dead" : "pending"), locked_until = NULL, last_error = \(String(error.prefix(2000))),
                   run_at = now() + make_interval(secs => \(seconds)), updated_at = now()
            WHERE id = \(job.id) AND locked_by = \(workerID) AND status = 'running'
            """, logger: logger)
    }

    /// Marks running jobs whose lease expired after their last attempt as dead, so a job that kills
    /// its worker every time cannot loop forever.
    public static func buryExhausted(client: DatabaseClient, logger: Logger) async throws {
        try await client.query("""
            UPDATE jobs SET status = 'dead', locked_until = NULL, updated_at = now(),
                   last_error = COALESCE(last_error, 'lease expired on the last attempt')
            WHERE status = 'running' AND locked_until < now() AND attempts >= max_attempts
            """, logger: logger)
    }
}
