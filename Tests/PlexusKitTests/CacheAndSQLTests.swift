import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PlexusKitTesting
import PostgresNIO
@testable import PlexusKit
import Testing

@Suite("Kit: caches, slugs, SQL building, strict bodies")
struct CacheAndSQLTests {
    @Test("the TTL cache expires entries, bounds its size and evicts the least recently used")
    func ttlCache() async throws {
        let cache = TTLCache<Int, String>(capacity: 8, ttl: .milliseconds(200))
        for key in 0..<8 { cache.set(key, "v\(key)") }
        _ = cache.get(0) // recently used: survives eviction
        cache.set(8, "v8")
        #expect(cache.count <= 8)
        #expect(cache.get(0) == "v0")
        #expect(cache.get(1) == nil)
        try await Task.sleep(for: .milliseconds(250))
        #expect(cache.get(0) == nil)
        let off = TTLCache<Int, String>(capacity: 0, ttl: .seconds(60))
        off.set(1, "x")
        #expect(off.get(1) == nil)
        cache.set(1, "a")
        cache.removeAll { _, value in value == "a" }
        #expect(cache.get(1) == nil)
    }

    @Test("slugs", arguments: [("Café & Bar!", "cafe-bar"), ("  Wireless  Headphones ", "wireless-headphones"), ("Ann's", "ann-s"), ("---", ""), ("Ünïcödé 2", "unicode-2")])
    func slugs(text: String, slug: String) {
        #expect(Slug.make(from: text) == slug)
        #expect(Slug.isValid(slug) == !slug.isEmpty)
    }

    @Test("a slug is valid exactly when it is what make(from:) makes of it", arguments: [
        "cafe-bar", "a", "9", "a-b-c", "-a", "a-", "a--b", "Cafe", "café", "ｃａｆｅ", "a b", "a_b", "", "-", "ａ", "a\u{301}",
        String(repeating: "a", count: 80), String(repeating: "a", count: 81), String(repeating: "ab-", count: 26) + "ab",
    ])
    func slugValidity(candidate: String) {
        let canonical = !candidate.isEmpty && candidate.utf8.count <= Slug.maximumLength && Slug.make(from: candidate) == candidate
        #expect(Slug.isValid(candidate) == canonical)
    }

    @Test("SQL builder binds values and never inlines them")
    func sqlBuilder() {
        var sql = SQLBuilder("SELECT 1 WHERE a = ")
        let placeholder = sql.bind("'; DROP TABLE x; --")
        sql.append(placeholder + " AND b = \(sql.bind(5))")
        #expect(sql.query.sql == "SELECT 1 WHERE a = $1 AND b = $2")
        #expect(sql.binds.count == 2)
    }

    @Test("equal data always gives the same ETag (canonical key order)")
    func stableTags() throws {
        let tags = try (0..<20).map { index in
            var value: [String: [String: Int]] = [:]
            for key in (0..<12).map({ "k\($0)" }).shuffled() { value[key] = ["a": index % 1, "b": 2, "c": 3] }
            return try CachedBody(json: value).etag
        }
        #expect(Set(tags).count == 1)
    }

    @Test("If-None-Match matching")
    func etags() {
        #expect(CachedBody.matches("\"abc\"", "\"abc\""))
        #expect(CachedBody.matches("W/\"abc\", \"x\"", "\"abc\""))
        #expect(CachedBody.matches("*", "\"abc\""))
        #expect(!CachedBody.matches("\"abd\"", "\"abc\""))
    }

    struct Line: PlexusKit.RequestBody {
        static let allowedKeys: Set<String> = ["lines", "price"]
        static let nestedKeys: [String: Set<String>] = ["lines[]": ["id", "money"], "lines[].money": moneyKeys, "price": moneyKeys]
        struct Money: Decodable { var amount: Int; var currency: String }
        struct Item: Decodable { var id: Int; var money: Money? }
        var lines: [Item]
        var price: Money?
    }

    @Test("strict bodies refuse unknown nested keys, fractions where whole numbers belong, and NUL characters", arguments: [
        (#"{"lines":[{"id":1},{"id":2,"admin":true}]}"#, "lines[1].admin"),
        (#"{"lines":[{"id":1,"money":{"amount":1,"currency":"USD","fx":2}}]}"#, "lines[0].money.fx"),
        (#"{"lines":[],"price":{"amount":1,"currency":"USD","total":3}}"#, "price.total"),
        (#"{"lines":[{"id":1.5}]}"#, "lines[0].id"),
        (#"{"lines":[],"price":{"amount":1,"currency":"US\u0000D"}}"#, "price.currency"),
        (#"{"lines":[],"price":{"amount":1,"currency":"USD\u0000"}}"#, "price.currency"),
        (#"{"lines":[{"id":1,"money":{"amount":1,"currency":"USD"},"\u0000":1}]}"#, "lines[0].\u{0}"),
    ])
    func strictBodies(json: String, field: String) {
        do {
            _ = try JSONBodyDecoder.decode(Line.self, from: Data(json.utf8))
            Issue.record("accepted \(json)")
        } catch let problem as ProblemError {
            #expect(problem.status == .badRequest)
            #expect(problem.errors?.map(\.field).contains(field) == true, "\(problem)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("a well-formed nested body passes")
    func nestedValid() throws {
        let body = try JSONBodyDecoder.decode(Line.self, from: Data(#"{"lines":[{"id":1,"money":{"amount":2,"currency":"USD"}}],"price":{"amount":3,"currency":"USD"}}"#.utf8))
        #expect(body.lines.count == 1 && body.price?.amount == 3)
        // the text "\u0000" (an escaped backslash before it) is no NUL character
        let text = try JSONBodyDecoder.decode(Line.self, from: Data(#"{"lines":[],"price":{"amount":3,"currency":"\\u0000"}}"#.utf8))
        #expect(text.price?.currency == #"\u0000"#)
    }
}

@Suite("Kit: database refusals are client errors")
struct DatabaseRefusalTests {
    @Test("an out-of-range value the database refuses is a 400, a unique violation a 409, never a 500")
    func mapping() async throws {
        let url = try await TestPostgres.shared.makeDatabase([])
        let database = Database(url: url, logger: testLogger())
        try await database.client.withRunning { client in
            try await client.query("CREATE TABLE t (n integer UNIQUE)", logger: testLogger())
            do {
                try await client.query("INSERT INTO t VALUES (\(99_999_999_999))", logger: testLogger())
                Issue.record("accepted")
            } catch {
                #expect(ProblemMiddleware.problem(for: error).status == .badRequest)
            }
            try await client.query("INSERT INTO t VALUES (1)", logger: testLogger())
            do {
                try await client.query("INSERT INTO t VALUES (1)", logger: testLogger())
                Issue.record("accepted")
            } catch {
                #expect(ProblemMiddleware.problem(for: error).status == .conflict)
            }
        }
    }
}
