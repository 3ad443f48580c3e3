// The anchor of `Benchmarks/path.sh`: a bare Hummingbird 2 server answering a small JSON object, with
// Hummingbird's defaults and nothing of Plexus (no middleware, no context of our own). What a
// service's cheapest route costs is compared with what this costs, built and run in the same way.
//
//   swift build -c release --product bare-hello && .build/release/bare-hello [port]   (default 18099)
import Hummingbird

struct Status: ResponseEncodable {
    let status: String
}

let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 18099
let router = Router()
router.get("/health/live") { _, _ in Status(status: "ok") }
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "bare-hello"))
try await app.runService()
