import Foundation

/// The image formats accepted, decided from the first bytes, never from a declared type or name.
enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg, png, webp, gif

    var contentType: String { "image/\(rawValue)" }
    var fileExtension: String { self == .jpeg ? "jpg" : rawValue }

    init?(contentType: String) {
        guard let format = Self.allCases.first(where: { $0.contentType == contentType }) else { return nil }
        self = format
    }
}

/// What the header of an image says: its format, size and (JPEG) EXIF orientation. Read from the
/// bytes without decoding any pixels, so a decompression bomb is refused before anything decodes it.
struct ImageProbe: Sendable, Equatable {
    var format: ImageFormat
    var width: Int
    var height: Int
    /// EXIF orientation 1–8 (1: upright).
    var orientation: Int

    /// Width and height as displayed (orientations 5–8 turn the image a quarter).
    var uprightSize: (width: Int, height: Int) { orientation >= 5 ? (height, width) : (width, height) }

    /// Reads `bytes`; nil when they are not a well-formed header of an accepted format.
    static func read(_ bytes: [UInt8]) -> ImageProbe? {
        var reader = ByteReader(bytes)
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return jpeg(&reader) }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return png(&reader) }
        if bytes.starts(with: Array("GIF87a".utf8)) || bytes.starts(with: Array("GIF89a".utf8)) { return gif(&reader) }
        if bytes.count >= 16, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) { return webp(&reader) }
        return nil
    }

    static func sized(_ format: ImageFormat, _ width: Int, _ height: Int, orientation: Int = 1) -> ImageProbe? {
        guard width > 0, height > 0 else { return nil }
        return ImageProbe(format: format, width: width, height: height, orientation: orientation)
    }

    static func png(_ reader: inout ByteReader) -> ImageProbe? {
        // signature, then the IHDR chunk first: length 13, "IHDR", width, height
        guard reader.bytes.count >= 24, reader.u32be(at: 8) == 13, Array(reader.bytes[12..<16]) == Array("IHDR".utf8) else { return nil }
        return sized(.png, Int(reader.u32be(at: 16)!), Int(reader.u32be(at: 20)!))
    }

    static func gif(_ reader: inout ByteReader) -> ImageProbe? {
        guard let width = reader.u16le(at: 6), let height = reader.u16le(at: 8) else { return nil }
        return sized(.gif, Int(width), Int(height))
    }

    static func webp(_ reader: inout ByteReader) -> ImageProbe? {
        let bytes = reader.bytes
        guard bytes.count >= 30 else { return nil }
        switch String(decoding: bytes[12..<16], as: UTF8.self) {
        case "VP8X":
            let width = 1 + Int(bytes[24]) | Int(bytes[25]) << 8 | Int(bytes[26]) << 16
            let height = 1 + Int(bytes[27]) | Int(bytes[28]) << 8 | Int(bytes[29]) << 16
            return sized(.webp, width, height)
        case "VP8 ":
            guard bytes[23] == 0x9D, bytes[24] == 0x01, bytes[25] == 0x2A, let w = reader.u16le(at: 26), let h = reader.u16le(at: 28) else { return nil }
            return sized(.webp, Int(w & 0x3FFF), Int(h & 0x3FFF))
        case "VP8L":
            guard bytes[20] == 0x2F else { return nil }
            let bits = UInt32(bytes[21]) | UInt32(bytes[22]) << 8 | UInt32(bytes[23]) << 16 | UInt32(bytes[24]) << 24
            return sized(.webp, Int(bits & 0x3FFF) + 1, Int((bits >> 14) & 0x3FFF) + 1)
        default: return nil
        }
    }

    static func jpeg(_ reader: inout ByteReader) -> ImageProbe? {
        var orientation: Int?
        for segment in JPEGSegments(reader.bytes) {
            switch segment.marker {
            case 0xC0...0xCF where ![0xC4, 0xC8, 0xCC].contains(segment.marker):
                // frame header: precision, height, width
                guard segment.payload.count >= 5 else { return nil }
                let height = Int(segment.payload[segment.payload.startIndex + 1]) << 8 | Int(segment.payload[segment.payload.startIndex + 2])
                let width = Int(segment.payload[segment.payload.startIndex + 3]) << 8 | Int(segment.payload[segment.payload.startIndex + 4])
                return sized(.jpeg, width, height, orientation: orientation ?? 1)
            case 0xE1:
                // the first EXIF block counts, as for every other reader
                if orientation == nil, segment.payload.starts(with: ExifOrientation.header) { orientation = ExifOrientation.read(segment.payload) ?? 1 }
            case 0xDA: return nil
            default: continue
            }
        }
        return nil
    }
}

/// The segments of a JPEG up to and including the start of scan: each marker with its payload
/// (the bytes after the length field). Iteration ends at a malformed segment.
struct JPEGSegments: Sequence, IteratorProtocol {
    struct Segment {
        var marker: UInt8
        /// Where the segment starts (its 0xFF) and ends (exclusive) in the file.
        var range: Range<Int>
        var payload: ArraySlice<UInt8>
    }

    let bytes: [UInt8]
    var offset = 2
    var done = false

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func next() -> Segment? {
        guard !done else { return nil }
        var position = offset
        guard position < bytes.count, bytes[position] == 0xFF else { done = true; return nil }
        while position < bytes.count && bytes[position] == 0xFF { position += 1 }  // fill bytes
        guard position + 2 < bytes.count else { done = true; return nil }
        let marker = bytes[position]
        if (0xD0...0xD7).contains(marker) || marker == 0x01 {
            offset = position + 1
            return Segment(marker: marker, range: (position - 1)..<(position + 1), payload: [])
        }
        let length = Int(bytes[position + 1]) << 8 | Int(bytes[position + 2])
        let end = position + 1 + length
        guard length >= 2, end <= bytes.count else { done = true; return nil }
        let segment = Segment(marker: marker, range: offset..<end, payload: bytes[(position + 3)..<end])
        offset = end
        if marker == 0xDA { done = true }
        return segment
    }
}

/// The orientation tag (0x0112) of an `Exif\0\0` APP1 payload, and a minimal payload holding only it.
enum ExifOrientation {
    static let header: [UInt8] = Array("Exif".utf8) + [0, 0]

    static func read(_ payload: ArraySlice<UInt8>) -> Int? {
        let bytes = Array(payload)
        guard bytes.starts(with: header), bytes.count >= 14 else { return nil }
        let tiff = Array(bytes[6...])
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        let reader = ByteReader(tiff)
        func u16(_ at: Int) -> Int? { (little ? reader.u16le(at: at) : reader.u16be(at: at)).map(Int.init) }
        func u32(_ at: Int) -> Int? { (little ? reader.u32le(at: at) : reader.u32be(at: at)).map(Int.init) }
        guard let ifd = u32(4), let count = u16(ifd) else { return nil }
        for index in 0..<min(count, 512) {
            let entry = ifd + 2 + index * 12
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112, let value = u16(entry + 8), (1...8).contains(value) { return value }
        }
        return nil
    }

    /// `Exif\0\0` + a big-endian TIFF with one IFD holding only the orientation.
    static func payload(_ orientation: Int) -> [UInt8] {
        header + [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8,  // TIFF header, IFD0 at 8
                  0, 1,  // one entry
                  0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, UInt8(orientation), 0, 0,  // orientation, SHORT, count 1
                  0, 0, 0, 0]  // no next IFD
    }
}

/// Bounds-checked integer reads.
struct ByteReader {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    func u16le(at offset: Int) -> UInt16? {
        guard offset >= 0, offset + 2 <= bytes.count else { return nil }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    func u16be(at offset: Int) -> UInt16? {
        guard offset >= 0, offset + 2 <= bytes.count else { return nil }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    func u32le(at offset: Int) -> UInt32? {
        guard offset >= 0, offset + 4 <= bytes.count else { return nil }
        return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    func u32be(at offset: Int) -> UInt32? {
        guard offset >= 0, offset + 4 <= bytes.count else { return nil }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
