import Foundation
import PlexusKit

/// A real SMTP server process (`aiosmtpd`, installed by `.ci/run`) for tests: STARTTLS with a
/// self-signed certificate, AUTH PLAIN/LOGIN for `user`/`secret`, and every accepted message written
/// as JSON (`from`, `to`, raw `content`) to a directory.
public final class SMTPTestServer: Sendable {
    /// The port it listens on (127.0.0.1).
    public let port: Int
    let process: Process
    let directory: URL

    /// A received message.
    public struct Received: Codable, Sendable {
        /// Envelope sender.
        public var from: String
        /// Envelope recipients.
        public var to: [String]
        /// The message as received (after SMTP dot-unstuffing).
        public var content: String
    }

    /// Starts the server and waits until it accepts connections.
    public init() async throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("plexus-smtp-\(RandomToken.hex(bytes: 4))")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("mail"), withIntermediateDirectories: true)
        let script = directory.appendingPathComponent("smtp_server.py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        port = try EmbeddedPostgres.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, String(port), directory.path, String(ProcessInfo.processInfo.processIdentifier)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.runWithDefaultSignalMask()
        let ready = Task.detached { output.fileHandleForReading.availableData }
        let line = String(decoding: await ready.value, as: UTF8.self)
        guard line.contains("READY") else { throw ServerDidNotStart(output: line) }
    }

    struct ServerDidNotStart: Error { var output: String }

    /// Messages received so far, oldest first.
    public func received() throws -> [Received] {
        let files = try FileManager.default.contentsOfDirectory(at: directory.appendingPathComponent("mail"), includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try files.map { try JSONDecoder().decode(Received.self, from: Data(contentsOf: $0)) }
    }

    /// Stops the server.
    public func stop() {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: directory)
    }

    static let script = #"""
    import asyncio, json, os, signal, ssl, subprocess, sys, threading, time
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    port, base, parent = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    cert, key = os.path.join(base, "cert.pem"), os.path.join(base, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=localhost"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            name = os.path.join(base, "mail", "%d.json" % time.time_ns())
            with open(name + ".tmp", "w") as f:
                json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                           "content": envelope.original_content.decode("utf-8", "replace")}, f)
            os.rename(name + ".tmp", name)
            return "250 OK stored"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"user" and auth_data.password == b"secret"
        return AuthResult(success=ok, handled=False)

    controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=False,
                            authenticator=authenticator, auth_require_tls=True, auth_exclude_mechanism=["CRAM-MD5"])
    controller.start()
    print("READY", flush=True)
    def watch():
        while True:
            try:
                os.kill(parent, 0)
            except OSError:
                os._exit(0)
            time.sleep(1)
    threading.Thread(target=watch, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    while True:
        time.sleep(3600)
    """#
}
