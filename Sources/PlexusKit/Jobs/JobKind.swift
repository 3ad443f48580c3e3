import Foundation
import Logging

/// A kind of background job: a name bound to its payload type, so an enqueue and the handler that
/// runs it cannot disagree on the payload.
public struct JobKind<Payload: Codable & Sendable>: Sendable {
    /// The stored kind, `<service>.<job>`.
    public let name: String

    /// Declares a job kind.
    public init(_ name: String, payload: Payload.Type = Payload.self) {
        self.name = name
    }
}

/// The payload of jobs that need none (periodic sweeps).
public struct NoPayload: Codable, Sendable, Equatable {
    /// The empty payload.
    public init() {}
}

/// A job kind with the handler that runs it, as a worker is given it.
public struct JobRegistration: Sendable {
    /// The job kind's name.
    public let kind: String
    /// Runs one claimed job.
    public let handler: JobHandler

    /// Binds `kind` to a handler that receives the decoded payload.
    public static func on<Payload>(_ kind: JobKind<Payload>, _ body: @escaping @Sendable (Payload, Job, Logger) async throws -> Void) -> JobRegistration {
        JobRegistration(kind: kind.name) { job, logger in
            try await body(try job.decode(Payload.self), job, logger)
        }
    }

    /// A registration over an untyped handler (kit internals).
    init(kind: String, handler: @escaping JobHandler) {
        self.kind = kind
        self.handler = handler
    }
}

extension PeriodicJob {
    /// A periodic job of a payload-free kind.
    public init(_ kind: JobKind<NoPayload>, every interval: Duration) {
        self.init(kind: kind.name, interval: interval)
    }
}
