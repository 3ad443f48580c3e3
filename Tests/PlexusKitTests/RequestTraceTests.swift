import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
@testable import PlexusKit
import Testing

@Suite struct RequestTraceTests {
    @Test("new ids: request ids are 24 hex digits, traces valid W3C, and none repeats")
    func newIDs() {
        var requestIDs = Set<String>()
        var traceIDs = Set<String>()
        for _ in 0..<20_000 {
            let id = RequestTrace.newRequestID()
            #expect(id.utf8.count == 24 && id.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
            requestIDs.insert(id)
            let trace = RequestTrace(requestID: id, continuing: nil)
            #expect(RequestTrace.isValid(trace.traceparent) && trace.traceparent.hasSuffix("-01"))
            traceIDs.insert(trace.traceID)
        }
        #expect(requestIDs.count == 20_000)
        #expect(traceIDs.count == 20_000)
    }

    @Test("a valid parent is continued (same trace id and flags, a new span); anything else starts a new trace", arguments: [
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true),
        ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false), // upper case
        ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", false), // zero trace id
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false), // zero span id
        ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false), // unknown version
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736x00f067aa0ba902b7-01", false),
        ("00-4bf92f3577b34da6a3ce929d0e0e47é-00f067aa0ba902b7-01", false),  // 55 bytes, not hex
        ("", false),
    ])
    func continuing(parent: String, valid: Bool) {
        #expect(RequestTrace.isValid(parent) == valid)
        let child = RequestTrace(requestID: "r", continuing: parent)
        #expect(RequestTrace.isValid(child.traceparent))
        if valid {
            #expect(child.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
            #expect(child.traceparent.suffix(3) == parent.suffix(3))
            #expect(child.traceparent != parent)
        } else {
            #expect(child.traceID != "4bf92f3577b34da6a3ce929d0e0e4736")
        }
    }

    @Test("lines logged while a request runs carry its ids without the logger being changed; a caller's id is kept and echoed")
    func idsOnLogLines() async throws {
        let router = Router(context: PlexusContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.get("/seen") { _, _ in
            let provided = RequestTrace.metadataProvider.get()
            return "\(provided["requestId"] ?? "-") \(provided["traceId"] ?? "-")"
        }
        #expect(RequestTrace.metadataProvider.get().isEmpty)
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/seen", method: .get, headers: [.requestID: "caller-id-1",
                                                                           HTTPField.Name("traceparent")!: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]) {
                #expect($0.headers[.requestID] == "caller-id-1")
                #expect(String(buffer: $0.body) == "caller-id-1 4bf92f3577b34da6a3ce929d0e0e4736")
            }
            try await client.execute(uri: "/seen", method: .get, headers: [.requestID: "bad id <script>"]) {
                let id = try #require($0.headers[.requestID])
                #expect(id.utf8.count == 24 && String(buffer: $0.body).hasPrefix(id + " "))
            }
        }
    }
}
