import Foundation
import Logging

/// Logging bootstrap: JSON lines in production (one object per line, for log shippers), readable
/// lines in development.
public enum LogSetup {
    /// Bootstraps swift-log once for the process.
    public static func bootstrap(mode: RuntimeMode, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = mode == .production ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// Writes one JSON object per log line to standard error.
public struct JSONLogHandler: LogHandler {
    /// The logger label.
    public let label: String
    /// Metadata attached to every line.
    public var metadata: Logger.Metadata = [:]
    /// Minimum level.
    public var logLevel: Logger.Level = .info

    /// Creates a handler.
    public init(label: String) { self.label = label }

    /// Metadata access.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line.
    public func log(event: LogEvent) {
        var object: [String: String] = ["ts": RFC3339.string(from: Date()), "level": event.level.rawValue, "logger": label, "msg": event.message.description]
        for (key, value) in self.metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { object[key] = value.description }
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        data.append(0x0A)
        FileHandle.standardError.write(data)
    }
}
