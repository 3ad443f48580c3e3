import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import ServiceLifecycle

/// Runs one claimed job. Throwing schedules a retry with backoff (or buries the job after its last
/// attempt). Handlers must be idempotent: a job whose worker dies mid-run is run again.
public typealias JobHandler = @Sendable (Job, Logger) async throws -> Void

/// A job enqueued once per `interval` across all replicas (a dedupe key per time slot).
public struct PeriodicJob: Sendable {
    /// The job kind (a handler must be registered for it).
    public var kind: String
    /// How often it runs.
    public var interval: Duration

    /// Creates a periodic job.
    public init(kind: String, interval: Duration) {
        self.kind = kind
        self.interval = interval
    }
}

/// Tunables of a worker.
public struct JobWorkerOptions: Sendable {
    /// Jobs run at once by this process (most wait on a partner's answer, not on the CPU).
    public var concurrency: Int = 8
    /// How long a claim is held before another worker may take the job over.
    public var lease: Duration = .seconds(60)
    /// Poll interval when no `NOTIFY` arrives (scheduled retries become due without one).
    public var pollInterval: Duration = .seconds(2)
    /// Retry backoff.
    public var backoff = Backoff()

    /// Default options.
    public init() {}
}

/// Claims and runs jobs from the service's `jobs` table until graceful shutdown. Woken by
/// `LISTEN plexus_jobs` (holding one pooled connection), polling as a fallback. A pipeline, not
/// batches: whenever a job finishes, its slot is filled by the next job due, so one slow job (a
/// partner that takes its time to answer) never holds back the others.
public final class JobWorker: Service, Sendable {
    let client: DatabaseClient
    let handlers: [String: JobHandler]
    let periodic: [PeriodicJob]
    let options: JobWorkerOptions
    let logger: Logger
    let workerID: String
    let wake = WakeSignal()
    let stopping = NIOLockedValueBox(false)
    /// Jobs running now.
    let inFlight = NIOLockedValueBox(0)

    /// Creates a worker for `jobs`. Kit maintenance (`kit.prune`) is added automatically.
    public init(client: DatabaseClient, jobs: [JobRegistration], periodic: [PeriodicJob] = [], options: JobWorkerOptions = JobWorkerOptions(), logger: Logger) {
        self.client = client
        var handlers = Dictionary(jobs.map { ($0.kind, $0.handler) }, uniquingKeysWith: { _, _ in preconditionFailure("a job kind is registered twice") })
        handlers[KitMaintenance.kind.name] = KitMaintenance.handler(client: client)
        self.handlers = handlers
        self.periodic = periodic + [PeriodicJob(KitMaintenance.kind, every: .seconds(3600))]
        self.options = options
        self.logger = logger
        self.workerID = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(RandomToken.hex(bytes: 4))"
    }

    /// Runs until graceful shutdown; jobs in flight are finished first.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.listen() }
                await self.loop()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.withLockedValue { $0 = true }
            self.wake.signal()
        }
    }

    /// One claim-and-run round; returns the number of jobs run. Exposed for tests.
    @discardableResult
    public func runOnce() async throws -> Int {
        try await JobQueue.buryExhausted(client: client, logger: logger)
        let jobs = try await JobQueue.claim(kinds: Array(handlers.keys), limit: options.concurrency, lease: options.lease,
                                            workerID: workerID, client: client, logger: logger)
        await withTaskGroup(of: Void.self) { group in
            for job in jobs { group.addTask { await self.execute(job) } }
        }
        return jobs.count
    }

    /// Enqueues the current slot of every periodic job (no-op when already enqueued, here or by
    /// another replica). Returns the slots it covered, so the loop asks again only when one changes.
    @discardableResult
    public func schedulePeriodic(now: Date = Date()) async throws -> [String: Int64] {
        var slots: [String: Int64] = [:]
        for job in periodic {
            let interval = max(1, job.interval.seconds)
            let slot = Int64((now.timeIntervalSince1970 / interval).rounded(.down))
            slots[job.kind] = slot
            try await JobQueue.enqueue(kind: job.kind, payload: NoPayload(),
                                       options: JobOptions(runAt: Date(timeIntervalSince1970: Double(slot) * interval), maxAttempts: 3, dedupeKey: "periodic:\(job.kind):\(slot)"),
                                       client: client, logger: logger)
        }
        return slots
    }

    /// The slot of every periodic job at `now`.
    func currentSlots(now: Date = Date()) -> [String: Int64] {
        Dictionary(periodic.map { ($0.kind, Int64((now.timeIntervalSince1970 / max(1, $0.interval.seconds)).rounded(.down))) }, uniquingKeysWith: max)
    }

    func loop() async {
        var scheduled: [String: Int64] = [:]
        var buried: ContinuousClock.Instant?
        // Jobs in flight are finished before the loop returns (graceful shutdown).
        await withDiscardingTaskGroup { group in
            while !stopping.withLockedValue({ $0 }), !Task.isCancelled {
                let free = options.concurrency - inFlight.withLockedValue { $0 }
                var claimed = 0
                do {
                    if currentSlots() != scheduled { scheduled = try await schedulePeriodic() }
                    if buried.map({ ContinuousClock.now - $0 >= options.pollInterval }) ?? true {
                        try await JobQueue.buryExhausted(client: client, logger: logger)
                        buried = .now
                    }
                    if free > 0 {
                        let jobs = try await JobQueue.claim(kinds: Array(handlers.keys), limit: free, lease: options.lease, workerID: workerID,
                                                            client: client, logger: logger)
                        claimed = jobs.count
                        inFlight.withLockedValue { $0 += jobs.count }
                        for job in jobs {
                            group.addTask {
                                await self.execute(job)
                                self.inFlight.withLockedValue { $0 -= 1 }
                                self.wake.signal() // a slot is free
                            }
                        }
                    }
                } catch {
                    logger.warning("job queue unavailable", metadata: ["error": .string(String(describing: error))])
                }
                // Claim again at once while the queue fills every free slot; otherwise wait for a
                // NOTIFY, a finished job or the poll interval.
                if free == 0 || claimed < free { await wake.wait(timeout: options.pollInterval) }
            }
        }
    }

    /// Runs one job under the trace of the request that enqueued it (a periodic job starts its own),
    /// logging one info line per run so a request's trail includes the jobs it caused.
    func execute(_ job: Job) async {
        guard let handler = handlers[job.kind] else { return }
        let trace = job.trace ?? RequestTrace(requestID: "job-" + job.id.lowercased, continuing: nil)
        var logger = trace.apply(to: self.logger)
        logger[metadataKey: "job"] = .string("\(job.kind)/\(job.id.lowercased)")
        let start = ContinuousClock.now
        do {
            try await RequestTrace.with(trace) { try await handler(job, logger) }
            try await JobQueue.complete(job, workerID: workerID, client: client, logger: logger)
            if job.kind != KitMaintenance.kind.name {
                logger.info("job done", metadata: ["attempt": "\(job.attempt)", "ms": .stringConvertible((ContinuousClock.now - start).milliseconds)])
            }
        } catch {
            let delay = options.backoff.delay(afterAttempt: job.attempt)
            let level: Logger.Level = job.attempt >= job.maxAttempts ? .error : .warning
            logger.log(level: level, "job failed", metadata: ["attempt": "\(job.attempt)", "error": .string(String(describing: error))])
            try? await JobQueue.fail(job, error: String(describing: error), retryAfter: delay, workerID: workerID, client: client, logger: logger)
        }
    }

    func listen() async {
        while !Task.isCancelled {
            do {
                try await client.pool.withConnection { connection in
                    for try await _ in try await connection.listen(JobQueue.channel) {
                        self.wake.signal()
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("job listener reconnecting", metadata: ["error": .string(String(describing: error))])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

/// A one-slot wake-up signal with a timeout.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = NIOLockedValueBox(State())

    func signal() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    func wait(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForSignal() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
            self.signalCancelled()
        }
    }

    private func waitForSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLockedValue { state -> Bool in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            self.signalCancelled()
        }
    }

    private func signalCancelled() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}

/// Housekeeping every service's worker runs hourly: prunes finished jobs, old idempotency records
/// and delivered outbox rows.
enum KitMaintenance {
    static let kind = JobKind<NoPayload>("kit.prune")

    static func handler(client: DatabaseClient) -> JobHandler {
        { _, logger in
            try await client.query("DELETE FROM jobs WHERE status = 'done' AND updated_at < now() - interval '7 days'", logger: logger)
            try await client.query("DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'", logger: logger)
            // Events can carry single-use tokens for e-mails: keep them only until every subscriber has them.
            try await client.query("""
                DELETE FROM outbox o WHERE o.created_at < now() - interval '1 hour' AND NOT EXISTS (
                    SELECT 1 FROM jobs j WHERE j.kind = \(Outbox.deliveryKind.name) AND (j.payload->>'eventId')::uuid = o.id AND j.status <> 'done')
                """, logger: logger)
            try await client.query("DELETE FROM inbox WHERE received_at < now() - interval '30 days'", logger: logger)
        }
    }
}
