import Foundation
import Logging

/// Runs libvips' command-line tool in a private temporary directory: `vips autorot` to turn an
/// upload upright (metadata dropped) and `vips thumbnail` for the three WebP sizes. That is the
/// operation `vipsthumbnail` wraps (shrink-on-load, orientation applied), called through `vips`
/// because only there it takes `--fail-on error`: `vipsthumbnail` turns an image whose pixel data
/// is corrupt into a black thumbnail instead of failing. Each run has a deadline and is killed when
/// it passes it.
struct Thumbnailer: Sendable {
    /// `vips` (a name looked up on `PATH`, or a path).
    var vips: String
    var timeout: Duration = .seconds(60)

    /// The sizes made, smallest first: each fits inside a square of this many pixels (never enlarged).
    static let sizes = [("small", 160), ("medium", 480), ("large", 1200)]

    /// Whether `tool` (a path, or a name on `PATH`) is an executable file.
    static func isInstalled(_ tool: String) -> Bool {
        if tool.contains("/") { return FileManager.default.isExecutableFile(atPath: tool) }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Makes the renditions of `original` (a file of `format`): the upright original when
    /// `orientation` is not 1, and the three thumbnails, as files in `directory`.
    func render(original: URL, format: ImageFormat, orientation: Int, in directory: URL) async throws -> (upright: URL?, thumbnails: [URL]) {
        var upright: URL?
        if orientation != 1 {
            let turned = directory.appendingPathComponent("upright.\(format.fileExtension)")
            try await run(vips, in: directory, ["autorot", original.path, turned.path + (format == .jpeg ? "[Q=90,strip]" : "[strip]")])
            upright = turned
        }
        // largest first, from the upload; the smaller ones from the largest (decoding 1200 pixels instead
        // of the whole upload again). Shrinks only, never enlarges; a GIF is thumbnailed from its first frame.
        var thumbnails: [URL] = []
        var source = original
        for (name, pixels) in Self.sizes.reversed() {
            let output = directory.appendingPathComponent("\(name).webp")
            try await run(vips, in: directory, ["thumbnail", source.path, output.path + "[Q=80,strip]", String(pixels), "--height", String(pixels),
                                                "--size", "down", "--fail-on", "error"])
            thumbnails.insert(output, at: 0)
            source = output
        }
        return (upright, thumbnails)
    }

    /// Runs `tool` with `arguments`; throws with its error output when it fails or overruns.
    func run(_ tool: String, in directory: URL, _ arguments: [String]) async throws {
        let process = Process()
        if tool.contains("/") {
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [tool] + arguments
        }
        // error output to a file: a pipe nobody reads while the tool runs could fill and stall it
        let log = directory.appendingPathComponent("\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let errors = try FileHandle(forWritingTo: log)
        defer { try? errors.close() }
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        // One libvips worker thread: with several, an error decoding a tile on one of them does not
        // always fail the run (libvips 8.14: a corrupt PNG passed `--fail-on error` about one run in
        // four and became a thumbnail). Jobs run side by side, so the cores stay busy anyway.
        process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin", "VIPS_WARNING": "0",
                               "VIPS_CONCURRENCY": "1"]
        let finished = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { finished.continuation.yield($0.terminationStatus); finished.continuation.finish() }
        try process.run()
        let deadline = Task {
            try await Task.sleep(for: timeout)
            if process.isRunning { process.terminate() }
        }
        var status: Int32 = -1
        for await code in finished.stream { status = code }
        deadline.cancel()
        let output = String(decoding: (FileManager.default.contents(atPath: log.path) ?? Data()).prefix(2000), as: UTF8.self)
        guard status == 0 else {
            throw Failure(description: "\(tool) failed (\(status)): \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
