import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// Where and how to submit mail.
public struct SMTPConfiguration: Sendable {
    /// How the connection is secured.
    public enum Security: String, Sendable {
        /// Plain text (local relays only).
        case none
        /// Upgrade with STARTTLS after EHLO (port 587); refused if the server does not offer it.
        case startTLS = "starttls"
        /// TLS from the first byte (port 465).
        case tls
    }

    /// Server host.
    public var host: String
    /// Server port.
    public var port: Int
    /// Connection security.
    public var security: Security
    /// AUTH user name, if the server needs it.
    public var username: String?
    /// AUTH password.
    public var password: String?
    /// Name sent in EHLO.
    public var heloName: String
    /// Deadline for the whole conversation.
    public var timeout: Duration
    /// Verify the server certificate (turn off only for test servers with self-signed certificates).
    public var verifyCertificates: Bool

    /// Creates a configuration.
    public init(host: String, port: Int, security: Security = .startTLS, username: String? = nil, password: String? = nil,
                heloName: String = "plexus.local", timeout: Duration = .seconds(30), verifyCertificates: Bool = true) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.heloName = heloName
        self.timeout = timeout
        self.verifyCertificates = verifyCertificates
    }
}

/// An SMTP failure, with the server's reply when there was one.
public enum SMTPError: Error, CustomStringConvertible, Equatable {
    /// The server answered with an unexpected code.
    case unexpectedReply(command: String, code: Int, text: String)
    /// STARTTLS was required but not offered.
    case startTLSUnavailable
    /// AUTH was configured but no supported mechanism is offered.
    case authUnavailable
    /// An address would allow command or header injection.
    case unsafeAddress(String)
    /// The connection closed mid-conversation.
    case connectionClosed

    /// `true` for 5xx replies: retrying the same message will not help.
    public var isPermanent: Bool {
        if case .unexpectedReply(_, let code, _) = self { return code >= 500 }
        return self == .authUnavailable || self == .startTLSUnavailable
    }

    /// A readable description.
    public var description: String {
        switch self {
        case .unexpectedReply(let command, let code, let text): "SMTP \(command) answered \(code) \(text)"
        case .startTLSUnavailable: "the SMTP server does not offer STARTTLS"
        case .authUnavailable: "the SMTP server offers no AUTH mechanism Plexus supports (PLAIN, LOGIN)"
        case .unsafeAddress(let address): "unsafe e-mail address \(address.debugDescription)"
        case .connectionClosed: "the SMTP connection closed unexpectedly"
        }
    }
}

/// A small SMTP client: EHLO, STARTTLS, AUTH PLAIN/LOGIN, MAIL/RCPT/DATA with dot-stuffing, QUIT.
/// One connection per message: notification volumes do not justify pooling.
public struct SMTPClient: Sendable {
    let configuration: SMTPConfiguration
    let group: any EventLoopGroup

    /// Creates a client.
    public init(configuration: SMTPConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.group = group
    }

    /// Delivers `message` to every recipient, or throws.
    public func send(_ message: MailMessage, logger: Logger) async throws {
        for address in [message.from] + message.to where !address.isSafe { throw SMTPError.unsafeAddress(address.email) }
        let configuration = self.configuration
        let group = self.group
        try await withDeadline(configuration.timeout) {
            let session = try await SMTPSession.connect(configuration: configuration, group: group)
            do {
                try await session.deliver(message)
                await session.close()
            } catch {
                await session.close()
                throw error
            }
        }
    }
}
