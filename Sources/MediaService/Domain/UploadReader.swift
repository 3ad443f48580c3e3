import Foundation
import Hummingbird
import MultipartKit
import NIOCore
import PlexusKit

/// The refusals of the media routes.
enum MediaProblems {
    static func tooLarge(_ limit: Int) -> ProblemError {
        ProblemError(.contentTooLarge, code: "payload_too_large", detail: "The file exceeds \(limit) bytes.")
    }

    static let unsupported = ProblemError(.unsupportedMediaType, code: "unsupported_image",
                                          detail: "Upload a JPEG, PNG, WebP or GIF image; the type is read from the file itself.")

    static func pixels(_ probe: ImageProbe, limit: Int) -> ProblemError {
        ProblemError(.unprocessableContent, code: "image_too_large",
                     detail: "The image is \(probe.width)×\(probe.height) pixels; at most \(limit) pixels are accepted.")
    }

    static let busy = ProblemError.unavailable("As many uploads as this service takes at once are under way; try again in a moment.",
                                               code: "uploads_busy", retryAfter: 2)

    static func quota(retryAfter: Int) -> ProblemError {
        var headers = HTTPFields()
        headers[.retryAfter] = String(retryAfter)
        return ProblemError(.tooManyRequests, code: "upload_quota", detail: "Today's upload quota is used up; try again in \(retryAfter) seconds.",
                            headers: headers)
    }
}

/// The file of a `multipart/form-data` upload, read as it arrives: the size limit is enforced while
/// reading (the rest of an oversized body is never read), other parts are skipped, and the client's
/// file name is kept only as cleaned metadata.
struct UploadReader {
    /// Room for the multipart framing and small fields beside the file.
    static let framing = 16 << 10

    struct Upload {
        var bytes: [UInt8]
        var filename: String?
    }

    /// The parameters after the first `;` of a header value (`name="file"; filename="a.jpg"`), names
    /// lower-cased, values without their quotes.
    static func parameters(_ value: some StringProtocol) -> [String: String] {
        var found: [String: String] = [:]
        for parameter in value.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            var text = Substring(pair[1])
            if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = text.dropFirst().dropLast() }
            found[pair[0].lowercased()] = String(text)
        }
        return found
    }

    /// The boundary of a `multipart/form-data` content type.
    static func boundary(_ contentType: String?) -> String? {
        guard let contentType, contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "multipart/form-data",
              let boundary = parameters(contentType)["boundary"], (1...70).contains(boundary.count) else { return nil }
        return boundary
    }

    /// `name` and `filename` of a `Content-Disposition: form-data; name="file"; filename="a.jpg"`.
    static func disposition(_ value: String) -> (name: String?, filename: String?) {
        let found = parameters(value)
        return (found["name"], found["filename"])
    }

    /// The client's file name made harmless: its last path component, letters, digits, spaces and
    /// `.-_()+,` only, no leading dots, at most 100 characters; nil when nothing is left.
    static func cleanFilename(_ raw: String?) -> String? {
        guard let raw else { return nil }
        let last = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: " .-_()+,"))
        var cleaned = String(String.UnicodeScalarView(last.precomposedStringWithCanonicalMapping.unicodeScalars.filter { allowed.contains($0) }))
        while cleaned.hasPrefix(".") || cleaned.hasPrefix(" ") { cleaned.removeFirst() }
        cleaned = String(cleaned.prefix(100)).trimmingCharacters(in: .whitespaces)
        return cleaned.isEmpty ? nil : cleaned
    }

    /// Reads the `file` part of `request`, refusing (413) as soon as more than `limit` bytes of
    /// file (or of body) have arrived.
    static func read(_ request: Request, limit: Int) async throws -> Upload {
        guard let boundary = boundary(request.headers[.contentType]) else {
            throw ProblemError(.unsupportedMediaType, code: "unsupported_media_type",
                               detail: "Send multipart/form-data with the image in the part named file.")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit + framing { throw MediaProblems.tooLarge(limit) }

        final class State {
            var headers: [(String, String)] = []
            var inFile = false
            var sawFile = false
            var file: [UInt8] = []
            var filename: String?
            var fileComplete = false
            var tooLarge = false
            /// Whether the current part's headers have been looked at.
            var started = false

            /// At a part's first body bytes (or its end, when it is empty): whether it is the file.
            func start() {
                guard !started else { return }
                started = true
                let found = headers.first { $0.0.lowercased() == "content-disposition" }.map { UploadReader.disposition($0.1) }
                if found?.name == "file", !sawFile {
                    inFile = true
                    sawFile = true
                    filename = found?.filename
                }
            }
        }
        let state = State()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in state.headers.append((name, value)) }
        parser.onBody = { buffer in
            state.start()
            guard state.inFile else { return }
            if state.file.count + buffer.readableBytes > limit {
                state.tooLarge = true
                return
            }
            state.file.append(contentsOf: buffer.readableBytesView)
        }
        parser.onPartComplete = {
            state.start()
            if state.inFile { state.fileComplete = true }
            state.headers = []
            state.inFile = false
            state.started = false
        }

        var total = 0
        do {
            for try await chunk in request.body {
                total += chunk.readableBytes
                if total > limit + framing { throw MediaProblems.tooLarge(limit) }
                try parser.execute(chunk)
                if state.tooLarge { throw MediaProblems.tooLarge(limit) }
            }
        } catch let problem as ProblemError {
            throw problem
        } catch is HTTPError {
            throw MediaProblems.tooLarge(limit)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // the parser's syntax error, or a body that ended early
            throw ProblemError.badRequest("invalid_multipart", "The multipart body is malformed or incomplete.")
        }
        guard state.sawFile else {
            throw ProblemError.validation([FieldError(field: "file", code: "required", message: "Send the image in the part named file.")])
        }
        guard state.fileComplete else {
            // the body ended inside the file part (no closing boundary): what arrived is not the whole file
            throw ProblemError.badRequest("invalid_multipart", "The multipart body ended before the file did.")
        }
        guard !state.file.isEmpty else {
            throw ProblemError.validation([FieldError(field: "file", code: "empty", message: "The file is empty.")])
        }
        return Upload(bytes: state.file, filename: cleanFilename(state.filename))
    }
}
