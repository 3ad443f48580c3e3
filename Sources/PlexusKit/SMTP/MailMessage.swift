import Foundation

/// An e-mail address with an optional display name.
public struct MailAddress: Sendable, Equatable, Codable {
    /// `user@example.com`.
    public var email: String
    /// Display name.
    public var name: String?

    /// Creates an address.
    public init(_ email: String, name: String? = nil) {
        self.email = email
        self.name = name
    }

    /// `true` when the address can go into an SMTP command and header without injection: one `@`,
    /// no spaces, angle brackets or control characters.
    public var isSafe: Bool {
        let forbidden = CharacterSet(charactersIn: "<>\r\n\t ,;\"").union(.controlCharacters)
        return email.rangeOfCharacter(from: forbidden) == nil && email.split(separator: "@").count == 2
            && (name ?? "").rangeOfCharacter(from: CharacterSet(charactersIn: "\r\n")) == nil
    }

    /// The header form: `"Name" <email>` or `email`.
    var header: String {
        guard let name, !name.isEmpty else { return email }
        return "\(MIME.encodeHeaderWord(name)) <\(email)>"
    }
}

/// A message with a plain-text and an optional HTML body.
public struct MailMessage: Sendable, Equatable {
    /// Sender.
    public var from: MailAddress
    /// Recipients.
    public var to: [MailAddress]
    /// Subject (non-ASCII is encoded per RFC 2047).
    public var subject: String
    /// Plain-text body.
    public var text: String
    /// HTML body.
    public var html: String?

    /// Creates a message.
    public init(from: MailAddress, to: [MailAddress], subject: String, text: String, html: String? = nil) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
    }

    /// The RFC 5322 message with MIME parts (multipart/alternative when there is HTML), CRLF line
    /// endings, quoted-printable bodies. Dot-stuffing is the transport's job.
    public func rendered(date: Date = Date(), messageID: String = UUID().uuidString.lowercased(), domain: String = "plexus.local") -> String {
        var lines = [
            "From: \(from.header)",
            "To: \(to.map(\.header).joined(separator: ", "))",
            "Subject: \(MIME.encodeHeaderWord(subject.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: " ")))",
            "Date: \(MIME.rfc5322Date(date))",
            "Message-ID: <\(messageID)@\(domain)>",
            "MIME-Version: 1.0",
        ]
        if let html {
            let boundary = "plexus-\(messageID)"
            lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("--\(boundary)")
            lines += MIME.part(contentType: "text/plain; charset=utf-8", body: text)
            lines.append("--\(boundary)")
            lines += MIME.part(contentType: "text/html; charset=utf-8", body: html)
            lines.append("--\(boundary)--")
        } else {
            lines += MIME.part(contentType: "text/plain; charset=utf-8", body: text)
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}

/// MIME helpers: RFC 2047 words, quoted-printable, dates.
public enum MIME {
    static func part(contentType: String, body: String) -> [String] {
        ["Content-Type: \(contentType)", "Content-Transfer-Encoding: quoted-printable", "", quotedPrintable(body)]
    }

    /// `=?UTF-8?B?…?=` when `text` is not plain ASCII, otherwise `text`.
    public static func encodeHeaderWord(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        return "=?UTF-8?B?\(Data(text.utf8).base64EncodedString())?="
    }

    /// Quoted-printable (RFC 2045) with CRLF line breaks and soft breaks before 76 characters.
    public static func quotedPrintable(_ text: String) -> String {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        return normalized.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            var output = "", current = ""
            let bytes = Array(line.utf8)
            for (index, byte) in bytes.enumerated() {
                let isLast = index == bytes.count - 1
                let token: String
                if (byte >= 33 && byte <= 126 && byte != 61) || ((byte == 32 || byte == 9) && !isLast) {
                    token = String(UnicodeScalar(byte))
                } else {
                    token = String(format: "=%02X", byte)
                }
                if current.count + token.count > 75 {
                    output += current + "=\r\n"
                    current = ""
                }
                current += token
            }
            return output + current
        }.joined(separator: "\r\n")
    }

    /// `Tue, 25 Nov 2026 10:00:00 +0000`.
    public static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }

    /// SMTP dot-stuffing (RFC 5321 §4.5.2): a line starting with `.` gets another `.`.
    public static func dotStuffed(_ message: String) -> String {
        message.split(separator: "\r\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }
            .joined(separator: "\r\n")
    }
}
