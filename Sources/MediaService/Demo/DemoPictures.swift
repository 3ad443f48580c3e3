import Foundation
import Logging
import NIOCore
import PlexusKit

/// Pictures for the demo catalogue, drawn here: a diagonal two-colour gradient with a disc and a
/// band, a different palette each, written as PNG (stored, uncompressed deflate blocks: no zlib
/// needed) and turned into JPEG by `vips`.
enum DemoPictures {
    static let count = 24
    static let side = 640

    /// Generates, stores and records the pictures; returns their media ids.
    static func seed(owner: UUID, client: DatabaseClient, store: any BlobStore, thumbnailer: Thumbnailer, logger: Logger) async throws -> [UUID] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plexus-demo-\(RandomToken.hex(bytes: 6))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var ids: [UUID] = []
        for index in 0..<count {
            let png = directory.appendingPathComponent("\(index).png")
            let jpeg = directory.appendingPathComponent("\(index).jpg")
            try Data(picture(index)).write(to: png)
            try await thumbnailer.run(thumbnailer.vips, in: directory, ["copy", png.path, jpeg.path + "[Q=85,strip]"])
            let bytes = try Data(contentsOf: jpeg)
            let key = BlobKey.make(suffix: ".jpg")
            try await store.put(key, ByteBuffer(bytes: bytes), contentType: "image/jpeg", logger: logger)
            let id = UUID.v7()
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("""
                    INSERT INTO media (id, owner_id, content_type, size, width, height, filename, original_key, attached_at)
                    VALUES (\(id), \(owner), 'image/jpeg', \(bytes.count), \(side), \(side), \("demo-\(index + 1).jpg"), \(key), now())
                    """, logger: logger)
                try await JobQueue.enqueue(MediaJobs.process, MediaJobs.Target(mediaId: id), options: JobOptions(maxAttempts: 3), on: connection, logger: logger)
            }
            ids.append(id)
        }
        return ids
    }

    /// The RGB pixels of picture `index`, as a PNG file.
    static func picture(_ index: Int) -> [UInt8] {
        let hue = Double(index) / Double(count)
        let from = rgb(hue: hue, saturation: 0.55, value: 0.95)
        let to = rgb(hue: (hue + 0.12).truncatingRemainder(dividingBy: 1), saturation: 0.75, value: 0.55)
        let disc = rgb(hue: (hue + 0.5).truncatingRemainder(dividingBy: 1), saturation: 0.35, value: 0.98)
        var rows: [UInt8] = []
        rows.reserveCapacity(side * (side * 3 + 1))
        let centre = Double(side) / 2
        let radius = Double(side) * (0.18 + 0.12 * Double(index % 4) / 3)
        for y in 0..<side {
            rows.append(0)  // filter: none
            for x in 0..<side {
                let t = Double(x + y) / Double(2 * side)
                var colour = (0..<3).map { UInt8(Double(from[$0]) * (1 - t) + Double(to[$0]) * t) }
                let dx = Double(x) - centre, dy = Double(y) - centre * 0.9
                if dx * dx + dy * dy < radius * radius { colour = disc }
                if y > side * 4 / 5 && y < side * 4 / 5 + side / 20 { colour = colour.map { $0 / 2 } }
                rows += colour
            }
        }
        return PNGWriter.encode(width: side, height: side, rgbRows: rows)
    }

    static func rgb(hue: Double, saturation: Double, value: Double) -> [UInt8] {
        let sector = hue * 6
        let fraction = sector - sector.rounded(.down)
        let p = value * (1 - saturation), q = value * (1 - saturation * fraction), t = value * (1 - saturation * (1 - fraction))
        let (r, g, b): (Double, Double, Double) = switch Int(sector) % 6 {
        case 0: (value, t, p)
        case 1: (q, value, p)
        case 2: (p, value, t)
        case 3: (p, q, value)
        case 4: (t, p, value)
        default: (value, p, q)
        }
        return [UInt8(r * 255), UInt8(g * 255), UInt8(b * 255)]
    }
}

/// A minimal PNG encoder: 8-bit RGB, rows already prefixed with their filter byte, deflate's
/// stored blocks inside a zlib stream. Big, but valid, and only ever fed to `vips`.
enum PNGWriter {
    static func encode(width: Int, height: Int, rgbRows: [UInt8]) -> [UInt8] {
        var header: [UInt8] = []
        header += be32(UInt32(width)) + be32(UInt32(height)) + [8, 2, 0, 0, 0]
        var zlib: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65_535, rgbRows.count - offset)
            let final: UInt8 = offset + length >= rgbRows.count ? 1 : 0
            zlib += [final, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            zlib += rgbRows[offset..<(offset + length)]
            offset += length
        } while offset < rgbRows.count
        zlib += be32(adler32(rgbRows))
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", zlib) + chunk("IEND", [])
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return be32(UInt32(data.count)) + typed + be32(crc32(typed))
    }

    static func be32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return b << 16 | a
    }
}
