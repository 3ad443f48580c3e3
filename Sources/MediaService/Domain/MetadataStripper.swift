import Foundation

/// Removes metadata from an accepted image without re-encoding it: EXIF (with its GPS position and
/// camera serial numbers), XMP, IPTC, comments and text chunks. What changes how the pixels look is
/// kept (colour profiles, transparency, animation); a JPEG's orientation survives as a minimal EXIF
/// block holding nothing else, so the image still shows upright until processing turns the pixels.
enum MetadataStripper {
    /// The stripped bytes; nil when the structure is not what ``ImageProbe`` accepted.
    static func strip(_ bytes: [UInt8], probe: ImageProbe) -> [UInt8]? {
        switch probe.format {
        case .jpeg: jpeg(bytes, orientation: probe.orientation)
        case .png: png(bytes)
        case .webp: webp(bytes)
        case .gif: gif(bytes)
        }
    }

    static func jpeg(_ bytes: [UInt8], orientation: Int) -> [UInt8]? {
        var output: [UInt8] = [0xFF, 0xD8]
        output.reserveCapacity(bytes.count)
        if orientation != 1 {
            let payload = ExifOrientation.payload(orientation)
            output += [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        }
        var sawScan = false
        var scanStart = 0
        for segment in JPEGSegments(bytes) {
            let keep: Bool = switch segment.marker {
            case 0xE0: Array(segment.payload.prefix(5)) == Array("JFIF\0".utf8)  // JFIF only, not JFXX thumbnails
            case 0xE2: segment.payload.starts(with: Array("ICC_PROFILE\0".utf8))
            case 0xEE: true  // Adobe: how the colours are transformed
            case 0xE1, 0xE3...0xED, 0xEF, 0xFE: false  // EXIF/XMP, other application data, comments
            default: true
            }
            if keep { output += bytes[segment.range] }
            if segment.marker == 0xDA {
                sawScan = true
                scanStart = segment.range.upperBound
            }
        }
        guard sawScan else { return nil }
        output += bytes[scanStart...]
        return output
    }

    static let pngDropped: Set<String> = ["tEXt", "zTXt", "iTXt", "eXIf", "tIME"]

    static func png(_ bytes: [UInt8]) -> [UInt8]? {
        let reader = ByteReader(bytes)
        var output = Array(bytes[0..<8])
        var offset = 8
        while offset + 12 <= bytes.count {
            guard let length = reader.u32be(at: offset).map(Int.init), offset + 12 + length <= bytes.count else { return nil }
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let end = offset + 12 + length
            if !pngDropped.contains(type) { output += bytes[offset..<end] }
            offset = end
            if type == "IEND" { return output }
        }
        return nil
    }

    static func webp(_ bytes: [UInt8]) -> [UInt8]? {
        let reader = ByteReader(bytes)
        var chunks: [UInt8] = []
        var offset = 12
        var sawImage = false
        while offset + 8 <= bytes.count {
            guard let size = reader.u32le(at: offset + 4).map(Int.init) else { return nil }
            let padded = size + (size & 1)
            let end = min(bytes.count, offset + 8 + padded)
            guard offset + 8 + size <= bytes.count else { return nil }
            let type = String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self)
            switch type {
            case "EXIF", "XMP ": break
            case "VP8X":
                var header = Array(bytes[offset..<end])
                header[8] &= ~(0x08 | 0x04)  // the EXIF and XMP flags
                chunks += header
            default:
                if ["VP8 ", "VP8L", "ANMF"].contains(type) { sawImage = true }
                chunks += bytes[offset..<end]
            }
            offset = end
        }
        guard sawImage else { return nil }
        let riffSize = UInt32(chunks.count + 4)
        return Array("RIFF".utf8) + [UInt8(riffSize & 0xFF), UInt8((riffSize >> 8) & 0xFF), UInt8((riffSize >> 16) & 0xFF), UInt8(riffSize >> 24)]
            + Array("WEBP".utf8) + chunks
    }

    static func gif(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 13 else { return nil }
        var offset = 13
        if bytes[10] & 0x80 != 0 { offset += 3 << (Int(bytes[10] & 0x07) + 1) }  // global colour table
        guard offset <= bytes.count else { return nil }
        var output = Array(bytes[0..<offset])
        /// The end of the data sub-blocks starting at `start`.
        func subBlocksEnd(_ start: Int) -> Int? {
            var position = start
            while position < bytes.count {
                let length = Int(bytes[position])
                position += 1 + length
                if length == 0 { return position <= bytes.count ? position : nil }
            }
            return nil
        }
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x3B:
                return output + [0x3B]
            case 0x21:
                guard offset + 2 < bytes.count, let end = subBlocksEnd(offset + 2) else { return nil }
                let label = bytes[offset + 1]
                let application = label == 0xFF && offset + 14 <= bytes.count ? String(decoding: bytes[(offset + 3)..<(offset + 14)], as: UTF8.self) : ""
                // keep graphic control, plain text and the looping extension; drop comments and other application data (XMP)
                if label == 0xF9 || label == 0x01 || application == "NETSCAPE2.0" || application == "ANIMEXTS1.0" { output += bytes[offset..<end] }
                offset = end
            case 0x2C:
                guard offset + 10 <= bytes.count else { return nil }
                var start = offset + 10
                if bytes[offset + 9] & 0x80 != 0 { start += 3 << (Int(bytes[offset + 9] & 0x07) + 1) }  // local colour table
                guard start < bytes.count, let end = subBlocksEnd(start + 1) else { return nil }  // LZW minimum code size, then data
                output += bytes[offset..<end]
                offset = end
            default:
                return nil
            }
        }
        return nil
    }
}
