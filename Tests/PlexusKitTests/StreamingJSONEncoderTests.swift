import Foundation
import PlexusKit
import Testing

/// The streaming encoder must say what `JSONEncoder` (the shared ``JSON`` coders) says, for every
/// shape a service answers: these values cover them, and each is compared after parsing both texts.
@Suite("Streaming JSON encoder")
struct StreamingJSONEncoderTests {
    enum Status: String, Codable { case draft, published }

    struct Line: Codable, Equatable {
        var id: UUID
        var name: String
        var price: Money
        var compareAt: Money?
        var quantity: Int
        var options: [String: String]
        var tags: [String]
        var addedAt: Date
    }

    struct Document: Codable, Equatable {
        var status: Status
        var lines: [Line]
        var empty: [Line]
        var nested: [[Int]]
        var counts: [String: Int]
        var average: Double
        var whole: Double
        var tiny: Double
        var huge: Int64
        var flag: Bool
        var note: String?
        var missing: String?
        var link: URL
        var blob: Data
        var amount: Decimal
    }

    /// A hand-written conformance: nested containers, a second `container(keyedBy:)` call on the same
    /// value, explicit nulls, a single-value wrapper and an unkeyed list of mixed values.
    struct Custom: Encodable {
        enum Keys: String, CodingKey { case a, b, inner, list, nothing, wrapped, after }
        enum Inner: String, CodingKey { case x, y }
        struct Wrapper: Encodable {
            var value: Int
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(value)
            }
        }

        func encode(to encoder: any Encoder) throws {
            var first = encoder.container(keyedBy: Keys.self)
            try first.encode("one", forKey: .a)
            var inner = first.nestedContainer(keyedBy: Inner.self, forKey: .inner)
            try inner.encode(1.5, forKey: .x)
            var deeper = inner.nestedUnkeyedContainer(forKey: .y)
            try deeper.encode(true)
            try deeper.encodeNil()
            var pair = deeper.nestedContainer(keyedBy: Inner.self)
            try pair.encode(Wrapper(value: 7), forKey: .x)
            try deeper.encode("tail")
            var list = first.nestedUnkeyedContainer(forKey: .list)
            try list.encode(Wrapper(value: 1))
            try list.encode(Money(amount: 5, currency: "EUR"))
            try first.encodeNil(forKey: .nothing)
            var second = encoder.container(keyedBy: Keys.self)
            try second.encode(2, forKey: .b)
            try second.encode(Wrapper(value: 3), forKey: .wrapped)
            try second.encode([Wrapper(value: 4)], forKey: .after)
        }
    }

    static let date = Date(timeIntervalSince1970: 1_795_000_000.125)

    static let document: Document = {
        let line = Line(id: UUID(), name: "Caf\u{E9} \"quoted\" \\ back/slash\n\t\u{01} \u{1F600}", price: Money(amount: 1999, currency: "USD"),
                        compareAt: nil, quantity: 3, options: ["size": "M", "colour": "blue"], tags: [], addedAt: date)
        var second = line
        second.compareAt = Money(amount: 2500, currency: "USD")
        second.options = [:]
        return Document(status: .published, lines: [line, second], empty: [], nested: [[1, 2], [], [3]], counts: ["b": 2, "a": 1, "c": 0],
                        average: 4.25, whole: 4, tiny: 0.1, huge: .max, flag: false, note: "n", missing: nil,
                        link: URL(string: "https://example.com/a?b=c&d=e")!, blob: Data([0, 1, 2, 250]), amount: Decimal(string: "12.345")!)
    }()

    func parsed(_ bytes: some Sequence<UInt8>) throws -> NSObject {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as? NSObject)
    }

    @Test func matchesJSONEncoder() throws {
        for sorted in [false, true] {
            let encoder = sorted ? JSON.canonicalEncoder : JSON.encoder
            let streaming = StreamingJSONEncoder(sortedKeys: sorted)
            #expect(try parsed(streaming.encode(Self.document)) == parsed(encoder.encode(Self.document)))
            #expect(try parsed(streaming.encode(Custom())) == parsed(encoder.encode(Custom())))
            #expect(try parsed(streaming.encode([Self.document])) == parsed(encoder.encode([Self.document])))
            #expect(try parsed(streaming.encode("top-level string")) == parsed(encoder.encode("top-level string")))
            #expect(try parsed(streaming.encode(Self.date)) == parsed(encoder.encode(Self.date)))
            #expect(try parsed(streaming.encode(FieldError(field: "a", code: "b", message: "c"))) == parsed(encoder.encode(FieldError(field: "a", code: "b", message: "c"))))
            // and what it writes reads back as the same value
            #expect(try JSON.decoder.decode(Document.self, from: Data(streaming.encode(Self.document))) == Self.document)
        }
    }

    @Test func sortedOutputIsJSONEncodersByteForByte() throws {
        // the same escapes ("\/", "\n", "\u0001"), the same numbers, keys in the same order
        let ours = String(decoding: try StreamingJSONEncoder(sortedKeys: true).encode(Self.document), as: UTF8.self)
        let theirs = String(decoding: try JSON.canonicalEncoder.encode(Self.document), as: UTF8.self)
        #expect(ours == theirs)
    }

    /// The values written without `JSONEncoder`'s help (strings, integers, dates, UUIDs) at their
    /// edges: escapes first, last and side by side, integer extremes, dates before 1970 and after 9999.
    @Test func primitivesAreJSONEncodersByteForByte() throws {
        struct Edges: Codable {
            var strings: [String]
            var ints: [Int]
            var int64s: [Int64]
            var uint64s: [UInt64]
            var int8s: [Int8]
            var floats: [Float]
            var dates: [Date]
            var ids: [UUID]
        }
        let edges = Edges(
            strings: ["", "\"", "/", "a\"", "\"a", "\\\\", "\u{0}\u{1F}\u{7F}", "plain ascii text", "\u{E9}\u{1F600}\u{200B}\n",
                      "</script>", String(repeating: "x", count: 300) + "\t"],
            ints: [0, 1, -1, 9, 10, -10, 99, 100, 1_000_000, .max, .min],
            int64s: [.max, .min, 42], uint64s: [0, .max, UInt64(Int64.max) + 1], int8s: [.min, .max, 0],
            floats: [0.1, 1.5, 100, 1e-7, 3.4028235e38, -2.25],
            dates: [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -1.5), Date(timeIntervalSince1970: -62_135_596_800),
                    Date(timeIntervalSince1970: 253_402_300_799.999), Date(timeIntervalSince1970: 253_402_300_800), Self.date, Date()],
            ids: (0..<50).map { _ in UUID() } + [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))])
        // byte for byte with sorted keys (JSONEncoder's unsorted order is its dictionary's)
        let ours = String(decoding: try StreamingJSONEncoder(sortedKeys: true).encode(edges), as: UTF8.self)
        #expect(ours == String(decoding: try JSON.canonicalEncoder.encode(edges), as: UTF8.self))
        #expect(try parsed(StreamingJSONEncoder().encode(edges)) == parsed(JSON.encoder.encode(edges)))
        // and the dates are UTC, milliseconds cut (not rounded), years as they are
        #expect(edges.dates.dropLast(2).map(RFC3339.string(from:)) == [
            "1970-01-01T00:00:00.000Z", "1969-12-31T23:59:58.500Z", "0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z",
            "10000-01-01T00:00:00.000Z",
        ])
    }

    /// What `JSONEncoder` stops the process for (a single-value container used twice, or beside a
    /// keyed container of the same value) is an `EncodingError` here, never invalid JSON.
    @Test func aMisusedSingleValueContainerThrows() throws {
        struct Twice: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(1)
                try container.encode(2)
            }
        }
        struct Beside: Encodable {
            enum Keys: CodingKey { case a }
            func encode(to encoder: any Encoder) throws {
                var keyed = encoder.container(keyedBy: Keys.self)
                try keyed.encode(1, forKey: .a)
                var single = encoder.singleValueContainer()
                try single.encode("x")
            }
        }
        #expect(throws: EncodingError.self) { try JSON.bytes(Twice()) }
        #expect(throws: EncodingError.self) { try JSON.bytes(["list": [Twice()]]) }
        #expect(throws: EncodingError.self) { try JSON.bytes(Beside()) }
    }

    @Test func sortedKeysAreSortedAtEveryLevelAndStable() throws {
        let bytes = try StreamingJSONEncoder(sortedKeys: true).encode(Custom())
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"a":"one","after":[4],"b":2,"inner":{"x":1.5,"y":[true,null,{"x":7},"tail"]},"list":[1,{"amount":5,"currency":"EUR"}],"nothing":null,"wrapped":3}"#))
        #expect(try StreamingJSONEncoder(sortedKeys: true).encode(Self.document) == StreamingJSONEncoder(sortedKeys: true).encode(Self.document))
    }

    @Test func whatItCannotWriteGoesToJSONEncoder() throws {
        class Base: Encodable { var base = 1 }
        final class Derived: Base {
            enum Keys: CodingKey { case own }
            override func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(2, forKey: .own)
                try super.encode(to: container.superEncoder())
            }
        }
        #expect(throws: StreamingJSONEncoder.Unsupported.self) { try StreamingJSONEncoder().encode(Derived()) }
        #expect(try parsed(JSON.bytes(Derived())) == parsed(JSON.encoder.encode(Derived())))
        // a container written to after its parent went on: JSONEncoder still puts the member inside it
        struct Stale: Encodable {
            enum Keys: CodingKey { case a, b, c }
            func encode(to encoder: any Encoder) throws {
                var outer = encoder.container(keyedBy: Keys.self)
                var inner = outer.nestedContainer(keyedBy: Keys.self, forKey: .a)
                try outer.encode(1, forKey: .b)
                try inner.encode(2, forKey: .c)
            }
        }
        #expect(throws: StreamingJSONEncoder.Unsupported.self) { try StreamingJSONEncoder().encode(Stale()) }
        #expect(try parsed(JSON.bytes(Stale())) == parsed(JSON.encoder.encode(Stale())))
        #expect(throws: StreamingJSONEncoder.Unsupported.self) { try StreamingJSONEncoder().encode([Double.nan]) }
        #expect(throws: EncodingError.self) { try JSON.bytes([Double.nan]) }
    }
}
