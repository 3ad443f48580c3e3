import Foundation

/// Reads a `Decodable` type's schema by letting it decode itself from a recording decoder: each
/// `decode` names a required property and its type, each presence check (`decodeIfPresent`,
/// `contains`, `decodeNil`) makes it optional. The values handed back are placeholders; only the
/// calls matter. So the schema is what the type really accepts, custom `init(from:)` included.
enum SchemaReader {
    static func read(_ type: any Decodable.Type, collector: SchemaCollector) -> Schema {
        let recording = Recording(collector: collector)
        _ = try? type.init(from: RecordingDecoder(recording: recording))
        return recording.schema
    }

    /// A placeholder value of `type`, decoded from a decoder that records nothing.
    static func placeholder<T: Decodable>(_ type: T.Type, collector: SchemaCollector) throws -> T {
        if let enumeration = type as? any SchemaEnumeration.Type, let first = enumeration.firstCase as? T { return first }
        return try T(from: RecordingDecoder(recording: Recording(collector: collector, silent: true)))
    }
}

extension SchemaEnumeration {
    static var firstCase: Any? { allCases.first }
}

/// What one decoding revealed.
final class Recording {
    let collector: SchemaCollector
    let silent: Bool
    var order: [String] = []
    var types: [String: Schema] = [:]
    var optional: Set<String> = []
    var single: Schema?
    var keyed = false

    init(collector: SchemaCollector, silent: Bool = false) {
        self.collector = collector
        self.silent = silent
    }

    func property(_ key: String, _ schema: Schema?) {
        guard !silent else { return }
        keyed = true
        if !order.contains(key) { order.append(key) }
        if let schema { types[key] = schema }
    }

    func markOptional(_ key: String) {
        guard !silent else { return }
        property(key, nil)
        optional.insert(key)
    }

    var schema: Schema {
        if let single { return single }
        guard keyed else { return .any }
        return .object(properties: order.map { key in
            let type = types[key] ?? .any
            if optional.contains(key), case .nullable = type { return Schema.Property(key, type) }
            return Schema.Property(key, optional.contains(key) ? .nullable(type) : type)
        }, required: order.filter { !optional.contains($0) }, additional: nil)
    }

    func value<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is String.Type: return "" as! T
        case is UUID.Type: return UUID() as! T
        case is Date.Type: return Date(timeIntervalSince1970: 0) as! T
        case is URL.Type: return URL(string: "http://localhost/")! as! T
        default: return try SchemaReader.placeholder(type, collector: collector)
        }
    }
}

struct RecordingDecoder: Decoder {
    let recording: Recording
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(KeyedRecorder<Key>(recording: recording))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { UnkeyedRecorder() }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleRecorder(recording: recording) }
}

struct KeyedRecorder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let recording: Recording
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { [] }

    func contains(_ key: Key) -> Bool {
        recording.markOptional(key.stringValue)
        return true
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        recording.markOptional(key.stringValue)
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        if !recording.silent { recording.property(key.stringValue, recording.collector.schema(for: type)) }
        return try recording.value(type)
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { recording.property(key.stringValue, .boolean); return false }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { recording.property(key.stringValue, .string()); return "" }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { recording.property(key.stringValue, .number); return 0 }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { recording.property(key.stringValue, .number); return 0 }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { recording.property(key.stringValue, .integer); return 0 }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { recording.property(key.stringValue, .integer); return 0 }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { recording.property(key.stringValue, .integer); return 0 }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { recording.property(key.stringValue, .integer); return 0 }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        recording.property(key.stringValue, .any)
        return KeyedDecodingContainer(KeyedRecorder<NestedKey>(recording: Recording(collector: recording.collector, silent: true)))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        recording.property(key.stringValue, .array(.any))
        return UnkeyedRecorder()
    }

    func superDecoder() throws -> any Decoder { RecordingDecoder(recording: recording) }
    func superDecoder(forKey key: Key) throws -> any Decoder { RecordingDecoder(recording: Recording(collector: recording.collector, silent: true)) }
}

/// Arrays decoded by hand are reported as arrays of anything; synthesized ones never get here
/// (``SchemaCollector`` describes `Array` through its element type).
struct UnkeyedRecorder: UnkeyedDecodingContainer {
    var codingPath: [any CodingKey] { [] }
    var count: Int? { 0 }
    var isAtEnd: Bool { true }
    var currentIndex: Int { 0 }

    mutating func decodeNil() throws -> Bool { true }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        throw DecodingError.valueNotFound(type, .init(codingPath: [], debugDescription: "schema reading"))
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.valueNotFound(Any.self, .init(codingPath: [], debugDescription: "schema reading"))
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { self }
    mutating func superDecoder() throws -> any Decoder {
        throw DecodingError.valueNotFound(Any.self, .init(codingPath: [], debugDescription: "schema reading"))
    }
}

struct SingleRecorder: SingleValueDecodingContainer {
    let recording: Recording
    var codingPath: [any CodingKey] { [] }

    func decodeNil() -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if !recording.silent { recording.single = recording.collector.schema(for: type) }
        return try recording.value(type)
    }

    func decode(_ type: Bool.Type) throws -> Bool { record(.boolean); return false }
    func decode(_ type: String.Type) throws -> String { record(.string()); return "" }
    func decode(_ type: Double.Type) throws -> Double { record(.number); return 0 }
    func decode(_ type: Int.Type) throws -> Int { record(.integer); return 0 }

    func record(_ schema: Schema) {
        if !recording.silent { recording.single = schema }
    }
}
