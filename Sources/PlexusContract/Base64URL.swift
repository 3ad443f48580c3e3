import Foundation

extension Data {
    /// Base64url without padding (RFC 4648 §5), as used in JWTs and cursors.
    public func base64URLEncodedString() -> String {
        var bytes = Array(base64EncodedString().utf8)
        var end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: "=") { end -= 1 }
        for index in 0..<end {
            if bytes[index] == UInt8(ascii: "+") { bytes[index] = UInt8(ascii: "-") } else if bytes[index] == UInt8(ascii: "/") { bytes[index] = UInt8(ascii: "_") }
        }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    /// Decodes base64url with or without padding. Works on bytes: this runs for every bearer token,
    /// and Foundation's string replacement is several times slower.
    public init?<S: StringProtocol>(base64URLEncoded string: S) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(string.utf8.count + 3)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "-"): bytes.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): bytes.append(UInt8(ascii: "/"))
            default: bytes.append(byte)
            }
        }
        while bytes.count % 4 != 0 { bytes.append(UInt8(ascii: "=")) }
        self.init(base64Encoded: Data(bytes))
    }
}
