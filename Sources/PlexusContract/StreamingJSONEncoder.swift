import Foundation

/// Encodes `Encodable` values to JSON bytes as it goes, with the output of ``JSON/encoder`` (or of
/// ``JSON/canonicalEncoder`` with `sortedKeys`): RFC 3339 dates, base64 `Data`, URLs and decimals as
/// `JSONEncoder` writes them, `/` escaped, `nil` optionals left out.
///
/// Why not `JSONEncoder` alone: it first builds a tree of every value, then writes the tree; for the
/// lists the services answer most (carts, listings) that was a fifth of a service's CPU per request.
/// This writes each value once, into one byte array. Containers are closed when their parent goes
/// on (every synthesized `Codable` conformance uses them in that order); anything this encoder does
/// not handle throws ``Unsupported``, and ``JSON/bytes(_:sortedKeys:)`` then falls back to
/// `JSONEncoder`, so such a value is encoded more slowly, not wrongly. A single-value container used
/// twice, or beside another container of its value, throws an `EncodingError` (`JSONEncoder` stops
/// the process there). Not checked, as no conformance here does it: a key encoded twice in one object
/// (`JSONEncoder` keeps the last, this writes both), and a container asked for after a single value
/// was written.
public struct StreamingJSONEncoder: Sendable {
    /// Object keys in byte order (equal values always give equal bytes).
    public var sortedKeys: Bool

    /// An encoder; `sortedKeys` for bodies whose bytes must be the same every time.
    public init(sortedKeys: Bool = false) {
        self.sortedKeys = sortedKeys
    }

    /// A value this encoder leaves to `JSONEncoder`.
    public struct Unsupported: Error {
        /// What it met.
        public var reason: String
    }

    /// The JSON text of `value`.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let writer = JSONByteWriter(sortedKeys: sortedKeys)
        try writer.write(value)
        return writer.out
    }
}

extension JSON {
    /// `value` as JSON bytes: the streaming encoder, or `JSONEncoder` for what it does not handle.
    public static func bytes<T: Encodable>(_ value: T, sortedKeys: Bool = false) throws -> [UInt8] {
        do {
            return try StreamingJSONEncoder(sortedKeys: sortedKeys).encode(value)
        } catch is StreamingJSONEncoder.Unsupported {
            return Array(try (sortedKeys ? canonicalEncoder : encoder).encode(value))
        }
    }
}

/// The writer behind ``StreamingJSONEncoder``: the output, and a stack of the containers still open.
final class JSONByteWriter: Encoder {
    // Unchecked exclusivity: the writer is used by one encode call on one thread, and none of its
    // methods reaches a property while another access to it is open, so the run-time checks Swift
    // makes for class properties (7 % of the catalogue's CPU on a listing, nearly all of it here) buy
    // nothing.
    @exclusivity(unchecked) var out: [UInt8] = []
    let sortedKeys: Bool
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    struct Open {
        var isObject: Bool
        /// Index of the opening bracket.
        var start: Int
        var count = 0
        /// The value depth it belongs to (a second `container(keyedBy:)` call on one value reuses it).
        var depth: Int
        /// With sorted keys: each member's key and where its `"key":value` text starts.
        var members: [(key: String, start: Int)] = []
    }

    @exclusivity(unchecked) var stack: [Open] = []
    /// How many values are being encoded inside one another.
    @exclusivity(unchecked) var depth = 0
    /// Where the value being encoded began: a single-value container writes only there, and once.
    @exclusivity(unchecked) var valueStart = 0

    init(sortedKeys: Bool) {
        self.sortedKeys = sortedKeys
        out.reserveCapacity(1024)
    }

    // MARK: Values

    func write<T: Encodable>(_ value: T) throws {
        // Metatype comparisons, not casts: most values are structs, and a failed cast costs far more.
        if T.self == String.self { writeString(value as! String) }
        else if T.self == Int.self { writeInteger(value as! Int) }
        else if T.self == Date.self { writeDate(value as! Date) }
        else if T.self == UUID.self { writeUUID(value as! UUID) }
        else if T.self == Bool.self { out.append(contentsOf: (value as! Bool) ? Self.trueBytes : Self.falseBytes) }
        else if T.self == Double.self { try writeFloat(value as! Double) }
        else if T.self == URL.self { writeString((value as! URL).absoluteString) }
        else if T.self == Data.self { writeString((value as! Data).base64EncodedString()) }
        else if T.self == Decimal.self { out.append(contentsOf: (value as! Decimal).description.utf8) }
        else {
            let mark = stack.count
            let before = out.count
            let outerStart = valueStart
            valueStart = before
            depth += 1
            defer { depth -= 1; valueStart = outerStart }
            try value.encode(to: self)
            close(downTo: mark)
            // JSONEncoder writes a value that encoded nothing as an empty object
            if out.count == before { out.append(contentsOf: Self.emptyObject) }
        }
    }

    func writeInteger<I: BinaryInteger>(_ value: I) {
        if let small = Int64(exactly: value) {
            // digits written backwards into a fixed buffer: no string made for the commonest values
            var magnitude = small.magnitude
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
                var index = 20
                repeat {
                    index -= 1
                    digits[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                    magnitude /= 10
                } while magnitude > 0
                if small < 0 { out.append(UInt8(ascii: "-")) }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[index..<20]))
            }
        } else {
            out.append(contentsOf: String(value).utf8)
        }
    }

    /// A number as its own type describes it (a `Float` 0.1 is `0.1`, as `JSONEncoder` writes it, not
    /// the `Double` it widens to), without a trailing `.0`.
    func writeFloat<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F) throws {
        guard value.isFinite else { throw StreamingJSONEncoder.Unsupported(reason: "non-finite number") }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        out.append(contentsOf: text.utf8)
    }

    /// A date as `JSON.encoder` writes it: an RFC 3339 string.
    func writeDate(_ date: Date) {
        out.append(UInt8(ascii: "\""))
        RFC3339.append(date, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// A UUID as its `uuidString` (upper-case hex, dashed 8-4-4-4-12), without making the string.
    func writeUUID(_ uuid: UUID) {
        out.append(UInt8(ascii: "\""))
        withUnsafeBytes(of: uuid.uuid) { bytes in
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { out.append(UInt8(ascii: "-")) }
                out.append(Self.upperHexDigits[Int(byte >> 4)])
                out.append(Self.upperHexDigits[Int(byte & 0x0F)])
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    func writeString(_ string: String) {
        var string = string
        out.append(UInt8(ascii: "\""))
        string.withUTF8 { escape($0) }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends `bytes` escaped as JSONEncoder escapes them: runs that need no escaping (nearly
    /// every string) are copied whole.
    private func escape(_ bytes: UnsafeBufferPointer<UInt8>) {
        var run = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "/") else { continue }
            if run < index { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index])) }
            run = index + 1
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "/"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "/")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            default:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(Self.hexDigits[Int(byte >> 4)])
                out.append(Self.hexDigits[Int(byte & 0x0F)])
            }
        }
        if run < bytes.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run...])) }
    }

    static let trueBytes = Array("true".utf8)
    static let falseBytes = Array("false".utf8)
    static let nullBytes = Array("null".utf8)
    static let emptyObject = Array("{}".utf8)
    static let hexDigits = Array("0123456789abcdef".utf8)
    static let upperHexDigits = Array("0123456789ABCDEF".utf8)

    // MARK: Containers

    /// Opens an object or array for the value being encoded (or finds the one it opened already).
    func open(object: Bool) throws -> Int {
        if let top = stack.last, top.depth == depth {
            guard top.isObject == object else { throw StreamingJSONEncoder.Unsupported(reason: "two kinds of container for one value") }
            return stack.count - 1
        }
        stack.append(Open(isObject: object, start: out.count, depth: depth))
        out.append(object ? UInt8(ascii: "{") : UInt8(ascii: "["))
        return stack.count - 1
    }

    /// Closes every container above `level` (a container's members come before its parent's next one).
    func close(downTo level: Int) {
        while stack.count > level {
            let open = stack.removeLast()
            if open.isObject, sortedKeys, open.members.count > 1 { sortMembers(open) }
            out.append(open.isObject ? UInt8(ascii: "}") : UInt8(ascii: "]"))
        }
    }

    /// Rewrites an object's members in key order.
    private func sortMembers(_ open: Open) {
        var spans: [(key: String, range: Range<Int>)] = []
        for (index, member) in open.members.enumerated() {
            let end = index + 1 < open.members.count ? open.members[index + 1].start - 1 : out.count
            spans.append((member.key, member.start..<end))
        }
        spans.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var sorted: [UInt8] = []
        sorted.reserveCapacity(out.count - open.start)
        for (index, span) in spans.enumerated() {
            if index > 0 { sorted.append(UInt8(ascii: ",")) }
            sorted.append(contentsOf: out[span.range])
        }
        out.replaceSubrange((open.start + 1)..<out.count, with: sorted)
    }

    /// Whether the container opened at `opened` is still open at `level` (one kept after its parent
    /// went on is closed; writing to it could only go to the wrong place).
    func isOpen(_ level: Int, opened: Int) -> Bool {
        stack.indices.contains(level) && stack[level].start == opened
    }

    /// Starts the next member of the container at `level`: closes what its previous member left
    /// open, then writes the separator (and, in an object, the key).
    func nextMember(of level: Int, key: String?) {
        close(downTo: level + 1)
        if stack[level].count > 0 { out.append(UInt8(ascii: ",")) }
        stack[level].count += 1
        if let key {
            if sortedKeys { stack[level].members.append((key, out.count)) }
            writeString(key)
            out.append(UInt8(ascii: ":"))
        }
    }

    /// Encodes a member's value as a value one level below the container at `level`.
    func member<T: Encodable>(_ value: T, of level: Int) throws {
        let saved = depth
        depth = stack[level].depth
        defer { depth = saved }
        try write(value)
    }

    /// Writes a number or boolean member's text (the primitives' own overloads land here).
    func primitive(_ text: some Sequence<UInt8>) {
        out.append(contentsOf: text)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        do {
            return KeyedEncodingContainer(KeyedWriter<Key>(writer: self, level: try open(object: true)))
        } catch {
            return KeyedEncodingContainer(KeyedWriter<Key>(writer: self, level: nil))
        }
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        do {
            return UnkeyedWriter(writer: self, level: try open(object: false))
        } catch {
            return UnkeyedWriter(writer: self, level: nil)
        }
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueWriter(writer: self)
    }
}

/// Where a container stands in the writer: its level on the stack (`nil` when it could not be
/// opened) and the position of its opening bracket, which tells it apart from a later container
/// at the same level once it has been closed. Such a container refuses every call.
struct ContainerHandle {
    let writer: JSONByteWriter
    let level: Int?
    let opened: Int

    init(writer: JSONByteWriter, level: Int?) {
        self.writer = writer
        self.level = level
        self.opened = level.map { writer.stack[$0].start } ?? -1
    }

    var isOpen: Bool { level.map { writer.isOpen($0, opened: opened) } ?? false }

    /// Starts the next member (with `key` in an object); returns the container's level.
    func start(key: String?) throws -> Int {
        guard let level, isOpen else { throw StreamingJSONEncoder.Unsupported(reason: "a container used out of order") }
        writer.nextMember(of: level, key: key)
        return level
    }
}

/// An object's members.
struct KeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let handle: ContainerHandle
    var writer: JSONByteWriter { handle.writer }
    var codingPath: [any CodingKey] { [] }

    init(writer: JSONByteWriter, level: Int?) {
        handle = ContainerHandle(writer: writer, level: level)
    }

    /// Starts the member `key`; returns this container's level.
    @discardableResult
    private func start(_ key: Key) throws -> Int {
        try handle.start(key: key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) throws {
        try start(key)
        writer.out.append(contentsOf: JSONByteWriter.nullBytes)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try writer.member(value, of: try start(key))
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws { try start(key); writer.primitive(value ? JSONByteWriter.trueBytes : JSONByteWriter.falseBytes) }
    mutating func encode(_ value: String, forKey key: Key) throws { try start(key); writer.writeString(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try start(key); try writer.writeFloat(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try start(key); try writer.writeFloat(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try start(key); writer.writeInteger(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try start(key); writer.writeInteger(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try start(key); writer.writeInteger(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try start(key); writer.writeInteger(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try start(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try start(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try start(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try start(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try start(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try start(key); writer.writeInteger(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        guard let level = try? start(key) else { return KeyedEncodingContainer(KeyedWriter<NestedKey>(writer: writer, level: nil)) }
        return writer.nested(keyedBy: keyType, in: level)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        guard let level = try? start(key) else { return UnkeyedWriter(writer: writer, level: nil) }
        return writer.nestedUnkeyed(in: level)
    }

    mutating func superEncoder() -> any Encoder { UnsupportedEncoder() }
    mutating func superEncoder(forKey key: Key) -> any Encoder { UnsupportedEncoder() }
}

/// An array's elements.
struct UnkeyedWriter: UnkeyedEncodingContainer {
    let handle: ContainerHandle
    var writer: JSONByteWriter { handle.writer }
    var codingPath: [any CodingKey] { [] }
    var count: Int { handle.level.flatMap { handle.isOpen ? writer.stack[$0].count : nil } ?? 0 }

    init(writer: JSONByteWriter, level: Int?) {
        handle = ContainerHandle(writer: writer, level: level)
    }

    /// Starts the next element; returns this container's level.
    @discardableResult
    private func start() throws -> Int {
        try handle.start(key: nil)
    }

    mutating func encodeNil() throws {
        try start()
        writer.out.append(contentsOf: JSONByteWriter.nullBytes)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try writer.member(value, of: try start())
    }

    mutating func encode(_ value: Bool) throws { try start(); writer.primitive(value ? JSONByteWriter.trueBytes : JSONByteWriter.falseBytes) }
    mutating func encode(_ value: String) throws { try start(); writer.writeString(value) }
    mutating func encode(_ value: Double) throws { try start(); try writer.writeFloat(value) }
    mutating func encode(_ value: Float) throws { try start(); try writer.writeFloat(value) }
    mutating func encode(_ value: Int) throws { try start(); writer.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { try start(); writer.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { try start(); writer.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { try start(); writer.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { try start(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { try start(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { try start(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { try start(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { try start(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { try start(); writer.writeInteger(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        guard let level = try? start() else { return KeyedEncodingContainer(KeyedWriter<NestedKey>(writer: writer, level: nil)) }
        return writer.nested(keyedBy: keyType, in: level)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        guard let level = try? start() else { return UnkeyedWriter(writer: writer, level: nil) }
        return writer.nestedUnkeyed(in: level)
    }

    mutating func superEncoder() -> any Encoder { UnsupportedEncoder() }
}

extension JSONByteWriter {
    /// A container nested in a member of the container at `level` just started: a value one level
    /// below that container, opened at once.
    func nested<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, in level: Int) -> KeyedEncodingContainer<NestedKey> {
        let saved = depth
        depth = stack[level].depth + 1
        defer { depth = saved }
        return container(keyedBy: keyType)
    }

    func nestedUnkeyed(in level: Int) -> any UnkeyedEncodingContainer {
        let saved = depth
        depth = stack[level].depth + 1
        defer { depth = saved }
        return unkeyedContainer()
    }
}

/// A single value: written where the value stands. A second value, or one beside a keyed or
/// unkeyed container of the same value, would make invalid JSON (`JSONEncoder` stops the process
/// there): it throws an `EncodingError` instead.
struct SingleValueWriter: SingleValueEncodingContainer {
    let writer: JSONByteWriter
    var codingPath: [any CodingKey] { [] }

    private func claim() throws {
        guard writer.out.count == writer.valueStart, writer.stack.last?.depth != writer.depth else {
            throw EncodingError.invalidValue((), .init(codingPath: [], debugDescription:
                "A single-value container encoded a second value, or a value beside another container of the same value."))
        }
    }

    mutating func encodeNil() throws { try claim(); writer.out.append(contentsOf: JSONByteWriter.nullBytes) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try claim()
        // A value that encodes itself through a single-value container stands where that value stands.
        writer.depth -= 1
        defer { writer.depth += 1 }
        try writer.write(value)
    }

    mutating func encode(_ value: Bool) throws { try claim(); writer.primitive(value ? JSONByteWriter.trueBytes : JSONByteWriter.falseBytes) }
    mutating func encode(_ value: String) throws { try claim(); writer.writeString(value) }
    mutating func encode(_ value: Double) throws { try claim(); try writer.writeFloat(value) }
    mutating func encode(_ value: Float) throws { try claim(); try writer.writeFloat(value) }
    mutating func encode(_ value: Int) throws { try claim(); writer.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { try claim(); writer.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { try claim(); writer.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { try claim(); writer.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { try claim(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { try claim(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { try claim(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { try claim(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { try claim(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { try claim(); writer.writeInteger(value) }
}

/// What `superEncoder()` returns: every use throws, so the value goes to `JSONEncoder`.
struct UnsupportedEncoder: Encoder {
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedWriter<Key>(writer: JSONByteWriter(sortedKeys: false), level: nil))
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { UnkeyedWriter(writer: JSONByteWriter(sortedKeys: false), level: nil) }
    func singleValueContainer() -> any SingleValueEncodingContainer { FailingSingleValue() }
}

struct FailingSingleValue: SingleValueEncodingContainer {
    var codingPath: [any CodingKey] { [] }
    mutating func encodeNil() throws { throw StreamingJSONEncoder.Unsupported(reason: "super encoder") }
    mutating func encode<T: Encodable>(_ value: T) throws { throw StreamingJSONEncoder.Unsupported(reason: "super encoder") }
}
