import Foundation

/// Reads typed configuration from environment variables (`PLEXUS_*`) once, at start-up.
///
/// Every lookup is recorded; `finish()` throws one ``ConfigurationError`` listing *every* missing or
/// malformed key, so an operator fixes them all in one go instead of one per restart.
public struct ConfigReader: Sendable {
    /// The raw key/value source, normally `ProcessInfo.processInfo.environment`.
    public let values: [String: String]
    private var missing: [String] = []
    private var malformed: [String] = []

    /// Creates a reader over `values` (defaults to the process environment).
    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    /// A required string. Missing or empty keys are collected and reported by ``finish()``.
    public mutating func require(_ key: String) -> String {
        if let value = values[key], !value.isEmpty { return value }
        missing.append(key)
        return ""
    }

    /// An optional string with a default.
    public func string(_ key: String, default defaultValue: String) -> String {
        if let value = values[key], !value.isEmpty { return value }
        return defaultValue
    }

    /// An optional string, `nil` when unset or empty.
    public func optional(_ key: String) -> String? {
        guard let value = values[key], !value.isEmpty else { return nil }
        return value
    }

    /// An integer with a default; a value that is not an integer is reported by ``finish()``.
    public mutating func int(_ key: String, default defaultValue: Int) -> Int {
        guard let raw = optional(key) else { return defaultValue }
        guard let value = Int(raw) else {
            malformed.append("\(key) (expected an integer, got \(raw.count) characters)")
            return defaultValue
        }
        return value
    }

    /// A boolean (`1/0/true/false/yes/no`) with a default.
    public mutating func bool(_ key: String, default defaultValue: Bool) -> Bool {
        guard let raw = optional(key)?.lowercased() else { return defaultValue }
        switch raw {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default:
            malformed.append("\(key) (expected true or false)")
            return defaultValue
        }
    }

    /// Records a malformed value found while interpreting a key.
    public mutating func reportMalformed(_ description: String) {
        malformed.append(description)
    }

    /// Throws when any required key was missing or any value malformed.
    public func finish() throws {
        if !missing.isEmpty || !malformed.isEmpty {
            throw ConfigurationError(missing: missing, malformed: malformed)
        }
    }
}

/// Start-up configuration failure naming every offending key. Values are never included, so secrets
/// cannot leak into logs.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    /// Keys that were required but not set.
    public let missing: [String]
    /// Keys whose values could not be parsed.
    public let malformed: [String]

    /// Creates the error.
    public init(missing: [String], malformed: [String] = []) {
        self.missing = missing
        self.malformed = malformed
    }

    /// A human readable summary listing every key.
    public var description: String {
        var lines: [String] = ["Configuration is incomplete:"]
        lines += missing.map { "  missing: \($0)" }
        lines += malformed.map { "  malformed: \($0)" }
        return lines.joined(separator: "\n")
    }
}
