import Foundation
import HTTPTypes
import PlexusKit
import Testing

@Suite struct CircuitBreakerTests {
    @Test func opensAfterThresholdAndProbesAfterWait() {
        // setup
        var breaker = CircuitBreaker(failureThreshold: 3, openDuration: .seconds(10))
        let start = ContinuousClock.now
        // act
        for _ in 0..<3 { breaker.record(success: false, now: start) }
        // assert
        let refused = breaker.allow(now: start + .seconds(1))
        #expect(refused == false)
        #expect(breaker.retryAfter(now: start + .seconds(1)) >= 9)
        let probe = breaker.allow(now: start + .seconds(11))
        let second = breaker.allow(now: start + .seconds(11))
        #expect(probe == true, "the probe")
        #expect(second == false, "only one probe at a time")
        breaker.record(success: true, now: start + .seconds(12))
        #expect(breaker.state == .closed(failures: 0))
    }

    @Test func failedProbeReopens() {
        var breaker = CircuitBreaker(failureThreshold: 1, openDuration: .seconds(5))
        let start = ContinuousClock.now
        breaker.record(success: false, now: start)
        let probe = breaker.allow(now: start + .seconds(6))
        #expect(probe)
        breaker.record(success: false, now: start + .seconds(6))
        let after = breaker.allow(now: start + .seconds(7))
        #expect(after == false)
    }

    @Test func aProbeWithoutAnOutcomeGivesItsPlaceBack() {
        var breaker = CircuitBreaker(failureThreshold: 1, openDuration: .seconds(5))
        let start = ContinuousClock.now
        breaker.record(success: false, now: start)
        let probe = breaker.allow(now: start + .seconds(6))
        let second = breaker.allow(now: start + .seconds(6))
        #expect(probe && !second, "one probe at a time")
        // act: the probe's caller leaves before the upstream answers
        breaker.release(now: start + .seconds(7))
        // expect: the next call is the probe; a released closed breaker is unchanged
        let next = breaker.allow(now: start + .seconds(7))
        #expect(next)
        var closed = CircuitBreaker(failureThreshold: 2, openDuration: .seconds(5))
        closed.record(success: false, now: start)
        closed.release(now: start)
        #expect(closed.state == .closed(failures: 1))
    }

    @Test func successResetsTheCount() {
        var breaker = CircuitBreaker(failureThreshold: 2, openDuration: .seconds(5))
        let now = ContinuousClock.now
        breaker.record(success: false, now: now)
        breaker.record(success: true, now: now)
        breaker.record(success: false, now: now)
        let allowed = breaker.allow(now: now)
        #expect(allowed)
    }
}

@Suite struct BackoffTests {
    @Test(arguments: [(1, 2000), (2, 4000), (3, 8000), (12, 3_600_000), (40, 3_600_000)])
    func ceilingGrowsAndCaps(attempt: Int, expected: Int64) {
        #expect(Backoff(base: .seconds(2), cap: .seconds(3600)).ceilingMilliseconds(afterAttempt: attempt) == expected)
    }

    @Test func jitterStaysWithinHalfToFullCeiling() {
        let backoff = Backoff(base: .seconds(2), cap: .seconds(60))
        for attempt in 1...8 {
            let ceiling = backoff.ceilingMilliseconds(afterAttempt: attempt)
            for _ in 0..<50 {
                let delay = backoff.delay(afterAttempt: attempt).milliseconds
                #expect(delay >= ceiling / 2 && delay <= ceiling)
            }
        }
    }
}

@Suite struct SQLScriptTests {
    @Test func splitsOnTopLevelSemicolonsOnly() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT 'a;b');
            /* block; comment */ CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
            INSERT INTO a VALUES ('it''s; fine')
            """
        let statements = SQLScript.statements(script)
        #expect(statements.count == 3)
        #expect(statements[0] == "CREATE TABLE a (x text DEFAULT 'a;b')")
        #expect(statements[1].hasSuffix("$$ SELECT 1; $$ LANGUAGE sql"))
        #expect(statements[2] == "INSERT INTO a VALUES ('it''s; fine')")
    }
}

@Suite struct ConfigReaderTests {
    @Test func listsEveryMissingKeyAtOnce() {
        var reader = ConfigReader(["PLEXUS_PORT": "abc"])
        _ = reader.require("PLEXUS_A")
        _ = reader.require("PLEXUS_B")
        _ = reader.int("PLEXUS_PORT", default: 1)
        #expect(throws: ConfigurationError.self) { try reader.finish() }
        do { try reader.finish() } catch let error as ConfigurationError {
            #expect(error.missing == ["PLEXUS_A", "PLEXUS_B"])
            #expect(error.malformed.count == 1)
            #expect(!error.description.contains("abc"), "values are never printed")
        } catch {}
    }

    @Test func commonConfigurationRequiresAServiceKeyAndADatabase() throws {
        var missing = ConfigReader([:])
        _ = CommonConfiguration(service: .identity, reader: &missing)
        let error = try #require(throws: ConfigurationError.self) { try missing.finish() }
        #expect(error.missing.contains { $0.contains("DATABASE_URL") })
        #expect(error.missing.contains("PLEXUS_IDENTITY_SERVICE_KEY"))
        var malformed = ConfigReader(["PLEXUS_DATABASE_URL": "postgres://u@h/x", "PLEXUS_IDENTITY_SERVICE_KEY": "short",
                                      "PLEXUS_SERVICE_PUBLIC_KEYS": "catalog:nope"])
        _ = CommonConfiguration(service: .identity, reader: &malformed)
        let refused = try #require(throws: ConfigurationError.self) { try malformed.finish() }
        #expect(refused.malformed.contains { $0.contains("PLEXUS_IDENTITY_SERVICE_KEY") })
        #expect(!refused.description.contains("short"), "values are never printed")
    }

    @Test func databaseURLFallsBackToBaseWithServiceDatabase() throws {
        var reader = ConfigReader(["PLEXUS_DATABASE_URL": "postgres://u:p%40ss@db.example:5433/x?sslmode=require",
                                   "PLEXUS_IDENTITY_SERVICE_KEY": ServiceKeys.generatePrivateKey()])
        let common = CommonConfiguration(service: .identity, reader: &reader)
        try reader.finish()
        #expect(common.database.database == "plexus_identity")
        #expect(common.database.password == "p@ss")
        #expect(common.database.port == 5433)
        #expect(!common.database.description.contains("p@ss"))
    }
}

@Suite struct JSONBodyTests {
    struct Body: RequestBody {
        var name: String
        var count: Int
        static let allowedKeys: Set<String> = ["name", "count"]
        func validate() -> [FieldError] { count < 0 ? [FieldError(field: "count", code: "negative", message: "no")] : [] }
    }

    @Test func refusesUnknownFields() {
        #expect(throws: ProblemError.self) { try JSONBodyDecoder.decode(Body.self, from: Data(#"{"name":"a","count":1,"role":"admin"}"#.utf8)) }
        do { _ = try JSONBodyDecoder.decode(Body.self, from: Data(#"{"name":"a","count":1,"role":"admin"}"#.utf8)) } catch let problem as ProblemError {
            #expect(problem.status == .badRequest)
            #expect(problem.code == "unknown_field")
            #expect(problem.errors?.first?.field == "role")
        } catch {}
    }

    @Test(arguments: [#"{"name":"a"}"#, #"{"name":1,"count":1}"#, "not json", "[]", ""])
    func malformedBodiesAre400(body: String) {
        do { _ = try JSONBodyDecoder.decode(Body.self, from: Data(body.utf8)); Issue.record("accepted \(body)") } catch let problem as ProblemError {
            #expect(problem.status == .badRequest)
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func validationFailuresAre422() {
        do { _ = try JSONBodyDecoder.decode(Body.self, from: Data(#"{"name":"a","count":-1}"#.utf8)) } catch let problem as ProblemError {
            #expect(problem.status == .unprocessableContent)
            #expect(problem.errors?.first?.code == "negative")
        } catch {}
    }
}

@Suite struct ModelTests {
    @Test func uuidV7IsTimeOrderedAndVersioned() {
        let first = UUID.v7(now: Date(timeIntervalSince1970: 1_700_000_000))
        let second = UUID.v7(now: Date(timeIntervalSince1970: 1_700_000_001))
        #expect(first.lowercased < second.lowercased)
        #expect(first.lowercased[first.lowercased.index(first.lowercased.startIndex, offsetBy: 14)] == "7")
    }

    @Test func moneyRefusesMixedCurrenciesAndOverflow() {
        #expect(Money(amount: 100, currency: "usd").adding(Money(amount: 1, currency: "EUR")) == nil)
        #expect(Money(amount: Int.max, currency: "USD").times(2) == nil)
        #expect(Money(amount: 1999, currency: "USD").times(3) == Money(amount: 5997, currency: "USD"))
        #expect(Money(amount: -1, currency: "US").validate(field: "price").count == 2)
    }

    @Test func requestIDsFromCallersAreSanitized() {
        #expect(RequestIDMiddleware.accept("abc-123_x.y:z") == "abc-123_x.y:z")
        #expect(RequestIDMiddleware.accept("bad\nid") == nil)
        #expect(RequestIDMiddleware.accept(String(repeating: "a", count: 200)) == nil)
    }
}

@Suite struct MIMETests {
    @Test func dotStuffingDoublesLeadingDots() {
        #expect(MIME.dotStuffed("a\r\n.b\r\n..c\r\n.") == "a\r\n..b\r\n...c\r\n..")
    }

    @Test func quotedPrintableKeepsLinesShortAndEncodesSpecials() {
        let encoded = MIME.quotedPrintable(String(repeating: "é", count: 60) + "\n= trailing ")
        for line in encoded.components(separatedBy: "\r\n") { #expect(line.count <= 76) }
        #expect(encoded.contains("=3D"))
        #expect(encoded.hasSuffix("trailing=20"))
    }

    @Test func messageHasBothPartsAndEncodedSubject() {
        let message = MailMessage(from: MailAddress("a@example.com", name: "Plexus"), to: [MailAddress("b@example.com")],
                                  subject: "Grüße", text: "hello", html: "<p>hello</p>")
        let rendered = message.rendered()
        #expect(rendered.contains("Subject: =?UTF-8?B?"))
        #expect(rendered.contains("multipart/alternative"))
        #expect(rendered.contains("text/plain") && rendered.contains("text/html"))
        #expect(MailAddress("x@y.z\r\nBcc: evil@example.com").isSafe == false)
    }
}

@Suite struct StrictBodyTests {
    struct Priced: RequestBody {
        var amount: Int
        var note: String?
        static let allowedKeys: Set<String> = ["amount", "note"]
    }

    @Test func amountsMustBeWholeNumbersInTheText() throws {
        for text in [#"{"amount": 19.999999999999999}"#, #"{"amount": 2000.0}"#, #"{"amount": 2e3}"#, #"{"amount": 1E2}"#] {
            let error = try #require(throws: ProblemError.self) { try JSONBodyDecoder.decode(Priced.self, from: Data(text.utf8)) }
            #expect(error.status == .badRequest && error.errors?.first?.code == "not_whole_number", "\(text)")
        }
        #expect(try JSONBodyDecoder.decode(Priced.self, from: Data(#"{"amount": -2000}"#.utf8)).amount == -2000)
        #expect(try JSONBodyDecoder.decode(Priced.self, from: Data(#"{"amount": 5, "note": "1.5e3 \" 2.5"}"#.utf8)).amount == 5,
                "numbers inside strings are text")
    }

    @Test func onlyUTF8JSONIsAccepted() throws {
        #expect(JSONBodyDecoder.acceptsContentType("application/json"))
        #expect(JSONBodyDecoder.acceptsContentType("application/json; charset=UTF-8"))
        #expect(!JSONBodyDecoder.acceptsContentType(nil))
        #expect(!JSONBodyDecoder.acceptsContentType("text/plain"))
        #expect(!JSONBodyDecoder.acceptsContentType("application/json; charset=latin1"))
        let latin1 = Data([0x7B, 0x22, 0x61, 0x6D, 0x6F, 0x75, 0x6E, 0x74, 0x22, 0x3A, 0x31, 0x2C, 0x22, 0xE9, 0x22, 0x3A, 0x31, 0x7D])
        let error = try #require(throws: ProblemError.self) { try JSONBodyDecoder.decode(Priced.self, from: latin1) }
        #expect(error.status == .unsupportedMediaType)
    }
}
