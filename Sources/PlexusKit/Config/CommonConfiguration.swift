import Foundation

/// Settings every service reads the same way.
///
/// | key | meaning |
/// | --- | --- |
/// | `PLEXUS_MODE` | `production` (default for `serve`) or `development` |
/// | `PLEXUS_<SERVICE>_HOST`, `PLEXUS_<SERVICE>_PORT` | where the service listens (127.0.0.1, its default port) |
/// | `PLEXUS_<SERVICE>_DATABASE_URL` | its database; else `PLEXUS_DATABASE_URL` with the database name `plexus_<service>` |
/// | `PLEXUS_<SERVICE>_URL` | how other services reach it (`http://127.0.0.1:<port>`) |
/// | `PLEXUS_<SERVICE>_SERVICE_KEY` | this service's Ed25519 private key (base64url), signs its service tokens |
/// | `PLEXUS_SERVICE_PUBLIC_KEYS` | `service:base64url,…`, the public keys of the services allowed to call this one |
/// | `PLEXUS_REVOCATION_POLL_INTERVAL_MS` | milliseconds between polls of identity's revocation feed (2000) |
/// | `PLEXUS_PUBLIC_URL` | the gateway's public URL, used in e-mail links |
/// | `PLEXUS_LOG_LEVEL` | `trace` … `critical` (info) |
public struct CommonConfiguration: Sendable {
    /// Which service this is.
    public var service: ServiceName
    /// Development or production.
    public var mode: RuntimeMode
    /// Listen host.
    public var host: String
    /// Listen port.
    public var port: Int
    /// The service's own database (nil for the gateway).
    public var databaseURL: DatabaseURL?
    /// This service's key and its callers' public keys.
    public var serviceKeys: ServiceKeys?
    /// How often identity's revocation feed is polled: the worst-case delay before a logout or a
    /// password change stops an access token here.
    public var revocationPollInterval: Duration = .seconds(2)
    /// Proxies whose `X-Forwarded-For` entries are believed (`PLEXUS_TRUSTED_PROXIES`, addresses or
    /// CIDRs): none at the gateway by default (the socket peer is the client), loopback behind it
    /// (the gateway on the same machine).
    public var trustedProxies: [IPNetwork] = []
    /// The public base URL of the gateway.
    public var publicURL: String
    /// Base URLs of the other services.
    public var serviceURLs: [ServiceName: String]
    /// Log level name.
    public var logLevel: String

    /// Creates a configuration directly (tests).
    public init(service: ServiceName, mode: RuntimeMode, host: String = "127.0.0.1", port: Int, databaseURL: DatabaseURL?,
                serviceKeys: ServiceKeys?, publicURL: String, serviceURLs: [ServiceName: String] = [:], logLevel: String = "info") {
        self.service = service
        self.mode = mode
        self.host = host
        self.port = port
        self.databaseURL = databaseURL
        self.serviceKeys = serviceKeys
        self.publicURL = publicURL
        self.serviceURLs = serviceURLs
        self.logLevel = logLevel
        self.trustedProxies = service == .gateway ? [] : IPNetwork.loopback
    }

    /// Reads the common keys for `service`; missing ones are collected in `reader`.
    public init(service: ServiceName, needsDatabase: Bool = true, reader: inout ConfigReader) {
        let prefix = service.environmentPrefix
        self.service = service
        self.mode = RuntimeMode(rawValue: reader.string("PLEXUS_MODE", default: "production")) ?? .production
        self.host = reader.string(prefix + "HOST", default: "127.0.0.1")
        self.port = reader.int(prefix + "PORT", default: service.defaultPort)
        self.logLevel = reader.string("PLEXUS_LOG_LEVEL", default: "info")
        if needsDatabase {
            if let own = reader.optional(prefix + "DATABASE_URL") {
                self.databaseURL = DatabaseURL(own)
                if databaseURL == nil { _ = reader.require(prefix + "DATABASE_URL (not a postgres:// URL)") }
            } else if let base = reader.optional("PLEXUS_DATABASE_URL") {
                self.databaseURL = DatabaseURL(base)?.with(database: service.databaseName)
                if databaseURL == nil { _ = reader.require("PLEXUS_DATABASE_URL (not a postgres:// URL)") }
            } else {
                _ = reader.require(prefix + "DATABASE_URL or PLEXUS_DATABASE_URL")
                self.databaseURL = nil
            }
        } else {
            self.databaseURL = nil
        }
        self.serviceKeys = nil
        let privateKey = reader.require(prefix + "SERVICE_KEY")
        do {
            let publicKeys = reader.string("PLEXUS_SERVICE_PUBLIC_KEYS", default: "")
            if !privateKey.isEmpty { self.serviceKeys = try ServiceKeys(service: service, encodedPrivateKey: privateKey, encodedPublicKeys: publicKeys) }
        } catch {
            reader.reportMalformed(String(describing: error))
        }
        self.revocationPollInterval = .milliseconds(max(100, reader.int("PLEXUS_REVOCATION_POLL_INTERVAL_MS", default: 2000)))
        let defaultProxies = service == .gateway ? [] : IPNetwork.loopback
        if let listed = reader.optional("PLEXUS_TRUSTED_PROXIES") {
            if let networks = IPNetwork.list(listed) { self.trustedProxies = networks } else {
                reader.reportMalformed("PLEXUS_TRUSTED_PROXIES (comma-separated addresses or CIDRs)")
                self.trustedProxies = defaultProxies
            }
        } else {
            self.trustedProxies = defaultProxies
        }
        self.publicURL = reader.string("PLEXUS_PUBLIC_URL", default: "http://localhost:8080")
        var urls: [ServiceName: String] = [:]
        for other in ServiceName.allCases {
            urls[other] = reader.string(other.environmentPrefix + "URL", default: "http://127.0.0.1:\(other.defaultPort)")
        }
        self.serviceURLs = urls
        // The signing keys every token is checked against come from identity: in production they
        // travel over HTTPS, over loopback, or over a network the operator vouches for.
        if mode == .production, service != .identity, let identity = urls[.identity], !Self.isProtected(identity),
           !reader.bool("PLEXUS_ALLOW_PLAIN_HTTP_INTERNAL", default: false) {
            reader.reportMalformed("PLEXUS_IDENTITY_URL (use https, a loopback address, or set PLEXUS_ALLOW_PLAIN_HTTP_INTERNAL=true for a private cluster network)")
        }
    }

    /// Whether `url` is HTTPS or points at this machine.
    static func isProtected(_ url: String) -> Bool {
        guard let components = URLComponents(string: url), let host = components.host else { return false }
        return components.scheme == "https" || host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// The service token issuer/verifier, which every service but the gateway has after a successful `finish()`.
    public var tokens: ServiceTokens {
        guard let serviceKeys else { preconditionFailure("\(service) has no service key configured") }
        return ServiceTokens(keys: serviceKeys)
    }

    /// The database URL, which every service but the gateway has after a successful `finish()`.
    public var database: DatabaseURL {
        guard let databaseURL else { preconditionFailure("\(service) has no database configured") }
        return databaseURL
    }
}
