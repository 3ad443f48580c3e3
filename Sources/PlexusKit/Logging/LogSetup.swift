import Foundation
import Logging

/// Logging bootstrap: JSON lines in production (one object per line, for log shippers), readable
/// lines in development.
public enum LogSetup {
    /// Bootstraps swift-log once for the process.
    ///
    /// Every line written while a request, event or job runs carries its `requestId` and `traceId`:
    /// the handlers ask ``RequestTrace/metadataProvider`` when they write a line, so nothing is added
    /// to a logger per request (most requests write no line at all).
    public static func bootstrap(mode: RuntimeMode, level: Logger.Level) {
        LoggingSystem.bootstrap({ label, provider in
            var handler: any StoredMetadataLogHandler = mode == .production ? JSONLogHandler(label: label) : DevelopmentLogHandler(label: label)
            handler.logLevel = level
            handler.metadataProvider = provider
            return handler
        }, metadataProvider: RequestTrace.metadataProvider)
    }
}

/// A handler that keeps its metadata as a plain dictionary, to be read only when a line is written.
public protocol StoredMetadataLogHandler: LogHandler {
    var metadata: Logger.Metadata { get set }
}

extension StoredMetadataLogHandler {
    /// Metadata access.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The handler's metadata, then the provider's (the current request's ids), then the line's own.
    func lineMetadata(_ event: LogEvent) -> Logger.Metadata {
        var all = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { all.merge(provided) { $1 } }
        if let extra = event.metadata { all.merge(extra) { $1 } }
        return all
    }
}

/// Readable lines on standard error, in swift-log's `StreamLogHandler` format
/// (`<time> <level> <label>: key=value … [<source>] <message>`). Unlike that handler, metadata is only
/// formatted when a line is written: every request sets its request and trace ids on its logger,
/// and formatting them then, for lines mostly never written, cost ~5% of a small request.
public struct DevelopmentLogHandler: StoredMetadataLogHandler {
    public let label: String
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String) { self.label = label }

    public func log(event: LogEvent) {
        var all = lineMetadata(event)
        if let error = event.error { all["error"] = .string(String(describing: error)) }
        let pretty = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        var seconds = time(nil)
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [Int8](repeating: 0, count: 64)
        strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        let stamp = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        FileHandle.standardError.write(Data("\(stamp) \(event.level) \(label):\(pretty) [\(event.source)] \(event.message)\n".utf8))
    }
}

/// Writes one JSON object per log line to standard error.
public struct JSONLogHandler: StoredMetadataLogHandler {
    /// The logger label.
    public let label: String
    /// Metadata attached to every line.
    public var metadata: Logger.Metadata = [:]
    /// Minimum level.
    public var logLevel: Logger.Level = .info
    /// Metadata asked for when a line is written (the current request's ids).
    public var metadataProvider: Logger.MetadataProvider?

    /// Creates a handler.
    public init(label: String) { self.label = label }

    /// Writes one line.
    public func log(event: LogEvent) {
        var object: [String: String] = ["ts": RFC3339.string(from: Date()), "level": event.level.rawValue, "logger": label, "msg": event.message.description]
        for (key, value) in lineMetadata(event) { object[key] = value.description }
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        data.append(0x0A)
        FileHandle.standardError.write(data)
    }
}
