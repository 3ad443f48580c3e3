import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// One SMTP reply: a code and its (possibly multi-line) text.
struct SMTPReply: Sendable {
    var code: Int
    var lines: [String]
}

/// One SMTP conversation over a NIO channel.
final class SMTPSession: Sendable {
    let channel: any Channel
    let replies: AsyncThrowingStream<SMTPReply, any Error>
    let configuration: SMTPConfiguration

    init(channel: any Channel, replies: AsyncThrowingStream<SMTPReply, any Error>, configuration: SMTPConfiguration) {
        self.channel = channel
        self.replies = replies
        self.configuration = configuration
    }

    static func tlsHandler(_ configuration: SMTPConfiguration) throws -> NIOSSLClientHandler {
        var tls = TLSConfiguration.makeClientConfiguration()
        if !configuration.verifyCertificates { tls.certificateVerification = .none }
        let isAddress = configuration.host.first?.isNumber == true || configuration.host.contains(":")
        return try NIOSSLClientHandler(context: NIOSSLContext(configuration: tls), serverHostname: isAddress ? nil : configuration.host)
    }

    static func connect(configuration: SMTPConfiguration, group: any EventLoopGroup) async throws -> SMTPSession {
        let (stream, continuation) = AsyncThrowingStream<SMTPReply, any Error>.makeStream()
        let implicitTLS = configuration.security == .tls
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if implicitTLS { try channel.pipeline.syncOperations.addHandler(try tlsHandler(configuration)) }
                    try channel.pipeline.syncOperations.addHandler(SMTPReplyDecoder(continuation: continuation))
                }
            }
            .connect(host: configuration.host, port: configuration.port).get()
        return SMTPSession(channel: channel, replies: stream, configuration: configuration)
    }

    func deliver(_ message: MailMessage) async throws {
        var iterator = replies.makeAsyncIterator()
        func expect(_ command: String, _ codes: Set<Int>) async throws -> SMTPReply {
            guard let reply = try await iterator.next() else { throw SMTPError.connectionClosed }
            guard codes.contains(reply.code) else {
                throw SMTPError.unexpectedReply(command: command, code: reply.code, text: reply.lines.joined(separator: " "))
            }
            return reply
        }
        func command(_ line: String, _ codes: Set<Int>, redacted: String? = nil) async throws -> SMTPReply {
            try await write(line + "\r\n")
            return try await expect(redacted ?? line, codes)
        }

        _ = try await expect("greeting", [220])
        var capabilities = try await command("EHLO \(configuration.heloName)", [250]).lines
        if configuration.security == .startTLS {
            guard capabilities.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) else { throw SMTPError.startTLSUnavailable }
            _ = try await command("STARTTLS", [220])
            let channel = self.channel, configuration = self.configuration
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(try Self.tlsHandler(configuration), position: .first)
            }.get()
            capabilities = try await command("EHLO \(configuration.heloName)", [250]).lines
        }
        if let username = configuration.username, let password = configuration.password {
            let mechanisms = capabilities.first { $0.uppercased().hasPrefix("AUTH") }?.uppercased().split(separator: " ").map(String.init) ?? []
            if mechanisms.contains("PLAIN") {
                let credentials = Data("\0\(username)\0\(password)".utf8).base64EncodedString()
                _ = try await command("AUTH PLAIN \(credentials)", [235], redacted: "AUTH PLAIN")
            } else if mechanisms.contains("LOGIN") {
                _ = try await command("AUTH LOGIN", [334])
                _ = try await command(Data(username.utf8).base64EncodedString(), [334], redacted: "AUTH LOGIN user")
                _ = try await command(Data(password.utf8).base64EncodedString(), [235], redacted: "AUTH LOGIN password")
            } else {
                throw SMTPError.authUnavailable
            }
        }
        _ = try await command("MAIL FROM:<\(message.from.email)>", [250])
        for recipient in message.to { _ = try await command("RCPT TO:<\(recipient.email)>", [250, 251]) }
        _ = try await command("DATA", [354])
        try await write(MIME.dotStuffed(message.rendered()) + ".\r\n")
        _ = try await expect("end of DATA", [250])
        try await write("QUIT\r\n")
        _ = try? await iterator.next()
    }

    func write(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    func close() async {
        try? await channel.close().get()
    }
}

/// Splits the byte stream into CRLF lines and groups continuation lines (`250-…`) into replies.
final class SMTPReplyDecoder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation
    var buffer = ByteBuffer()
    var pending: [String] = []

    init(continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        while let index = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = index - buffer.readerIndex + 1
            guard var line = buffer.readString(length: length) else { break }
            line = line.trimmingCharacters(in: .newlines)
            guard line.count >= 3, let code = Int(line.prefix(3)) else { continue }
            let separator = line.dropFirst(3).first
            pending.append(String(line.dropFirst(4)))
            if separator != "-" {
                continuation.yield(SMTPReply(code: code, lines: pending))
                pending = []
            }
        }
        buffer.discardReadBytes()
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }
}
