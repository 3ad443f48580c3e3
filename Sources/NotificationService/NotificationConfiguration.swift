import Foundation
import PlexusKit

/// Notification's configuration.
///
/// `PLEXUS_NOTIFICATION_TRANSPORT` = `mailbox` (development default: mail is stored and shown at
/// `/dev/mailbox`) or `smtp` (production default), with `PLEXUS_SMTP_HOST`, `PLEXUS_SMTP_PORT` (587),
/// `PLEXUS_SMTP_SECURITY` (`starttls` | `tls` | `none`), `PLEXUS_SMTP_USERNAME`, `PLEXUS_SMTP_PASSWORD`,
/// and `PLEXUS_MAIL_FROM` (`Plexus <no-reply@localhost>`).
public struct NotificationConfiguration: ServiceConfiguration {
    /// How mail leaves.
    public enum Transport: Sendable, Equatable {
        /// Stored in the database and shown by the dev mailbox.
        case mailbox
        /// Sent through an SMTP server.
        case smtp(SMTPConfiguration)

        /// `mailbox` or `smtp`.
        public var name: String {
            if case .smtp = self { return "smtp" }
            return "mailbox"
        }

        /// Equality by name and host (configurations are not compared field by field).
        public static func == (lhs: Transport, rhs: Transport) -> Bool { lhs.name == rhs.name }
    }

    /// Common settings.
    public var common: CommonConfiguration
    /// The transport.
    public var transport: Transport
    /// The sender.
    public var from: MailAddress

    /// Creates a configuration directly.
    public init(common: CommonConfiguration, transport: Transport, from: MailAddress = MailAddress("no-reply@localhost", name: "Plexus")) {
        self.common = common
        self.transport = transport
        self.from = from
    }

    /// Reads the configuration, listing every missing key.
    public static func load(reader: inout ConfigReader) throws -> NotificationConfiguration {
        let common = CommonConfiguration(service: .notification, reader: &reader)
        let transportName = reader.string("PLEXUS_NOTIFICATION_TRANSPORT", default: common.mode.isDevelopment ? "mailbox" : "smtp")
        let fromAddress = reader.string("PLEXUS_MAIL_FROM", default: "no-reply@localhost")
        let fromName = reader.string("PLEXUS_MAIL_FROM_NAME", default: "Plexus")
        var transport = Transport.mailbox
        if transportName == "smtp" {
            let host = reader.require("PLEXUS_SMTP_HOST")
            let port = reader.int("PLEXUS_SMTP_PORT", default: 587)
            let security = SMTPConfiguration.Security(rawValue: reader.string("PLEXUS_SMTP_SECURITY", default: "starttls")) ?? .startTLS
            transport = .smtp(SMTPConfiguration(host: host, port: port, security: security, username: reader.optional("PLEXUS_SMTP_USERNAME"),
                                                password: reader.optional("PLEXUS_SMTP_PASSWORD")))
        } else if !common.mode.isDevelopment {
            _ = reader.require("PLEXUS_NOTIFICATION_TRANSPORT=smtp (the mailbox exists only in development mode)")
        }
        try reader.finish()
        return NotificationConfiguration(common: common, transport: transport, from: MailAddress(fromAddress, name: fromName))
    }
}
