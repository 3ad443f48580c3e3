import Atomics
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
        let span = TraceIDs.next()
        if let parent, isValid(parent) {
            var parent = parent
            return parent.withUTF8 { bytes in
                TraceIDs.text(count: 55) { text in
                    _ = UnsafeMutableBufferPointer(rebasing: text[0..<36]).initialize(from: bytes[0..<36]) // "00-<trace id>-"
                    TraceIDs.writeHex(span, into: text, at: 36)
                    _ = UnsafeMutableBufferPointer(rebasing: text[52..<55]).initialize(from: bytes[52..<55]) // "-<flags>"
                }
            }
        }
        let (high, low) = (TraceIDs.next(), TraceIDs.next())
        return TraceIDs.text(count: 55) { text in
            for (index, byte) in "00-".utf8.enumerated() { text[index] = byte }
            TraceIDs.writeHex(high, into: text, at: 3)
            TraceIDs.writeHex(low, into: text, at: 19)
            text[35] = UInt8(ascii: "-")
            TraceIDs.writeHex(span, into: text, at: 36)
            for (index, byte) in "-01".utf8.enumerated() { text[52 + index] = byte }
        }
    }

    /// Whether `value` is a version-00 `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`, lower case)
    /// with non-zero ids. Byte by byte: every call between services carries one.
    public static func isValid(_ value: String) -> Bool {
        guard value.utf8.count == 55 else { return false }
        var value = value
        return value.withUTF8 { bytes in
            let isHex = { (byte: UInt8) in (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) }
            let dash = UInt8(ascii: "-"), zero = UInt8(ascii: "0")
            guard bytes[0] == zero, bytes[1] == zero, bytes[2] == dash, bytes[35] == dash, bytes[52] == dash,
                  isHex(bytes[53]), isHex(bytes[54]) else { return false }
            var traceNonZero = false, spanNonZero = false
            for index in 3..<35 {
                guard isHex(bytes[index]) else { return false }
                traceNonZero = traceNonZero || bytes[index] != zero
            }
            for index in 36..<52 {
                guard isHex(bytes[index]) else { return false }
                spanNonZero = spanNonZero || bytes[index] != zero
            }
            return traceNonZero && spanNonZero
        }
    }

    /// The trace id part of `traceparent`.
    public var traceID: String { String(traceparent.split(separator: "-").dropFirst().first ?? "") }

    /// `logger` with this trace's `requestId` and `traceId` metadata. Loggers made by the logging
    /// system of ``LogSetup`` have them anyway while the trace is current (``metadataProvider``);
    /// this is for a logger kept beyond that.
    public func apply(to logger: Logger) -> Logger {
        var logger = logger
        logger[metadataKey: "requestId"] = .string(requestID)
        logger[metadataKey: "traceId"] = .string(traceID)
        return logger
    }

    /// The current trace's `requestId` and `traceId`, asked for only when a line is written.
    public static let metadataProvider = Logger.MetadataProvider {
        guard let trace = RequestTrace.current else { return [:] }
        return ["requestId": .string(trace.requestID), "traceId": .string(trace.traceID)]
    }

    /// A new request id: 24 hex digits, distinct from every other this process makes.
    public static func newRequestID() -> String {
        let (first, second) = (TraceIDs.next(), TraceIDs.next())
        return TraceIDs.text(count: 24) { text in
            TraceIDs.writeHex(first, into: text, at: 0)
            TraceIDs.writeHex(second >> 32, into: text, at: 16, digits: 8)
        }
    }
}

/// Request, trace and span ids without a system call: a process-wide counter put through a keyed
/// bijective mix (SplitMix64's finaliser), so no two values of one process are equal, and values of
/// different processes differ by their random keys. They identify; they are not secrets (tokens come
/// from ``RandomToken``). Each id from the system CSPRNG cost a `getrandom` call, three per request.
enum TraceIDs {
    private static let counter = ManagedAtomic<UInt64>(UInt64.random(in: .min ... .max))
    private static let key = UInt64.random(in: .min ... .max)

    /// A value no earlier call in this process returned (until 2^64 calls).
    static func next() -> UInt64 {
        var value = counter.loadThenWrappingIncrement(ordering: .relaxed) ^ key
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        value ^= value >> 31
        return value == 0 ? 1 : value // W3C forbids all-zero ids (0 maps from one counter value in 2^64)
    }

    /// A string of `count` ASCII bytes written by `write`, in one allocation.
    static func text(count: Int, _ write: (UnsafeMutableBufferPointer<UInt8>) -> Void) -> String {
        String(unsafeUninitializedCapacity: count) { buffer in
            write(buffer)
            return count
        }
    }

    /// The low `digits` hex digits of `value` at `offset`.
    static func writeHex(_ value: UInt64, into text: UnsafeMutableBufferPointer<UInt8>, at offset: Int, digits count: Int = 16) {
        RandomToken.hexDigits.withUnsafeBufferPointer { table in
            for index in 0..<count {
                text[offset + index] = table[Int((value >> UInt64(4 * (count - 1 - index))) & 0xF)]
            }
        }
    }
}

/// The `ServiceContext` key of ``RequestTrace``.
enum RequestTraceKey: ServiceContextKey {
    typealias Value = RequestTrace
    static var nameOverride: String? { "plexus-request-trace" }
}
