import Foundation
@testable import MediaService
import PlexusKit

/// Real images made by libvips (`vips`), and hand-built metadata to put in them.
enum Samples {
    /// A `width`×`height` image in the format of `ext`, made by `vips`.
    static func image(width: Int, height: Int, ext: String) async throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-samples-\(RandomToken.hex(bytes: 6))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("sample.\(ext)")
        let tools = Thumbnailer(vips: "vips")
        // a gradient with colour, so that encoders have something to encode
        let png = directory.appendingPathComponent("source.png")
        var rows: [UInt8] = []
        for y in 0..<height {
            rows.append(0)
            for x in 0..<width { rows += [UInt8(x * 255 / max(1, width - 1)), UInt8(y * 255 / max(1, height - 1)), 128] }
        }
        try Data(PNGWriter.encode(width: width, height: height, rgbRows: rows)).write(to: png)
        try await tools.run("vips", in: directory, ["copy", png.path, output.path + "[strip]"])
        return Array(try Data(contentsOf: output))
    }

    /// What `vipsheader` says of `bytes` (`…: 40x20 uchar, 3 bands, …`).
    static func header(of bytes: [UInt8], ext: String) async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-samples-\(RandomToken.hex(bytes: 6))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("in.\(ext)")
        try Data(bytes).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["vipsheader", file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self)
    }

    /// A PNG signature and IHDR claiming `width`×`height` (no pixels follow).
    static func pngHeader(width: Int, height: Int) -> [UInt8] {
        var ihdr = PNGWriter.be32(UInt32(width)) + PNGWriter.be32(UInt32(height))
        ihdr += [8, 2, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + PNGWriter.chunk("IHDR", ihdr) + PNGWriter.chunk("IDAT", [0x78, 0x01])
    }

    /// `jpeg` with an EXIF block (after SOI) holding an orientation, a camera maker and a GPS
    /// sub-IFD whose latitude reference is the text `GPS-SECRET` (little-endian TIFF).
    static func withExif(_ jpeg: [UInt8], orientation: Int) -> [UInt8] {
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func le32(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }
        let maker = Array("CameraMaker\0".utf8)
        let secret = Array("GPS-SECRET\0".utf8)
        // IFD0 at 8: 3 entries (12 bytes each) + next-IFD (4) = 2 + 36 + 4 = 42 → data at 50
        let makerOffset = 50
        let gpsIFD = makerOffset + maker.count
        let secretOffset = gpsIFD + 2 + 12 + 4
        var tiff: [UInt8] = [0x49, 0x49, 0x2A, 0x00] + le32(8)
        tiff += le16(3)
        tiff += le16(0x010F) + le16(2) + le32(maker.count) + le32(makerOffset)        // Make
        tiff += le16(0x0112) + le16(3) + le32(1) + le16(orientation) + [0, 0]         // Orientation
        tiff += le16(0x8825) + le16(4) + le32(1) + le32(gpsIFD)                       // GPS IFD
        tiff += le32(0)
        tiff += maker
        tiff += le16(1) + le16(0x0001) + le16(2) + le32(secret.count) + le32(secretOffset) + le32(0)
        tiff += secret
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let segment: [UInt8] = [0xFF, 0xE1] + [UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        return Array(jpeg[0..<2]) + segment + Array(jpeg[2...])
    }

    static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
