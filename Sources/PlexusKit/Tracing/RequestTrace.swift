import Foundation
import Logging
import Tracing

/// The request id and W3C trace context of the work in progress, carried in swift-distributed-tracing's
/// `ServiceContext` so it follows a request through typed clients, outbox envelopes, event
/// deliveries and jobs without being passed by hand. An OpenTelemetry tracer can later read the same
/// context without touching call sites.
public struct RequestTrace: Sendable, Equatable, Codable {
    /// The `X-Request-ID` of the request that started this work.
    public var requestID: String
    /// The W3C `traceparent` (`00-<trace id>-<span id>-<flags>`).
    public var traceparent: String

    /// Creates a trace.
    public init(requestID: String, traceparent: String) {
        self.requestID = requestID
        self.traceparent = traceparent
    }

    /// A trace continuing `traceparent` when it is well formed (a new span in the same trace),
    /// or starting a new trace.
    public init(requestID: String, continuing traceparent: String?) {
        self.requestID = requestID
        self.traceparent = Self.child(of: traceparent)
    }

    /// The trace of the current task, if it runs on behalf of a request, event or job.
    public static var current: RequestTrace? { ServiceContext.current?[RequestTraceKey.self] }

    /// Runs `body` with `trace` as the current trace.
    public static func with<T>(_ trace: RequestTrace, _ body: () async throws -> T) async rethrows -> T {
        var context = ServiceContext.current ?? .topLevel
        context[RequestTraceKey.self] = trace
        return try await ServiceContext.withValue(context) { try await body() }
    }

    /// `traceparent` for a new span: the trace id of `parent` when it is valid W3C, else a new one.
    static func child(of parent: String?) -> String {
        let span = RandomToken.hex(bytes: 8)
        if let parent, isValid(parent) {
            let fields = parent.split(separator: "-")
            return "00-\(fields[1])-\(span)-\(fields[3])"
        }
        return "00-\(RandomToken.hex(bytes: 16))-\(span)-01"
    }

    /// Whether `value` is a version-00 `traceparent` with non-zero ids.
    public static func isValid(_ value: String) -> Bool {
        let fields = value.split(separator: "-", omittingEmptySubsequences: false)
        guard value.utf8.count == 55, fields.count == 4, fields[0] == "00" else { return false }
        let hex = { (field: Substring, count: Int) in field.utf8.count == count && field.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) } }
        return hex(fields[1], 32) && hex(fields[2], 16) && hex(fields[3], 2)
            && fields[1] != Substring(String(repeating: "0", count: 32)) && fields[2] != Substring(String(repeating: "0", count: 16))
    }

    /// The trace id part of `traceparent`.
    public var traceID: String { String(traceparent.split(separator: "-").dropFirst().first ?? "") }

    /// `logger` with this trace's `requestId` and `traceId` metadata.
    public func apply(to logger: Logger) -> Logger {
        var logger = logger
        logger[metadataKey: "requestId"] = .string(requestID)
        logger[metadataKey: "traceId"] = .string(traceID)
        return logger
    }
}

/// The `ServiceContext` key of ``RequestTrace``.
enum RequestTraceKey: ServiceContextKey {
    typealias Value = RequestTrace
    static var nameOverride: String? { "plexus-request-trace" }
}
