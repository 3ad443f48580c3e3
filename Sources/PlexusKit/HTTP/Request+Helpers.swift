import Foundation
import Hummingbird

extension PlexusContext {
    /// A UUID path parameter; a malformed one is a 404 (no such resource), never a 500.
    public func uuidParameter(_ name: String) throws -> UUID {
        guard let raw = parameters.get(name), let id = UUID(uuidString: raw) else { throw ProblemError.notFound() }
        return id
    }

    /// The client's address: the last `X-Forwarded-For` hop when the service sits behind the gateway
    /// (`trustForwardedFor`), otherwise the socket peer.
    public func clientAddress(_ request: Request, trustForwardedFor: Bool) -> String {
        if trustForwardedFor, let forwarded = request.headers[.xForwardedFor],
           let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty {
            return last
        }
        return peerAddress ?? "unknown"
    }
}

extension Request {
    /// Parses an `application/x-www-form-urlencoded` body (small HTML forms only).
    public func formFields(context: PlexusContext) async throws -> [String: String] {
        var request = self
        let buffer = try await request.collectBody(upTo: 64 * 1024)
        var fields: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if let key = parts.first { fields[key] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }
}

/// Minimal HTML escaping for server-rendered pages.
public func htmlEscape(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.count)
    for character in text {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&#39;"
        default: result.append(character)
        }
    }
    return result
}
