import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IP network (`10.0.0.0/8`, `fd00::/8`, or one address).
public struct IPNetwork: Sendable, Equatable {
    let bytes: [UInt8]
    let prefix: Int

    /// Parses `address` or `address/prefix`; nil when malformed.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let bytes = IPNetwork.parse(first) else { return nil }
        let prefix = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
        guard let prefix, (0...(bytes.count * 8)).contains(prefix) else { return nil }
        self.bytes = bytes
        self.prefix = prefix
    }

    /// The address's bytes (4 or 16), nil when it is not an IP address.
    static func parse(_ address: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            // An IPv4-mapped IPv6 address is its IPv4 address.
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
            return bytes
        }
        return nil
    }

    /// Whether `address` is inside this network.
    public func contains(_ address: String) -> Bool {
        guard let other = IPNetwork.parse(address), other.count == bytes.count else { return false }
        var remaining = prefix
        for index in bytes.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if bytes[index] & mask != other[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// Loopback only: the development default for services behind a gateway on the same machine.
    public static let loopback = [IPNetwork("127.0.0.0/8")!, IPNetwork("::1")!]

    /// Parses a comma-separated list, nil when an entry is malformed.
    public static func list(_ text: String) -> [IPNetwork]? {
        let entries = text.split(separator: ",").map { IPNetwork(String($0)) }
        return entries.contains(where: { $0 == nil }) ? nil : entries.compactMap { $0 }
    }
}

/// Who the client is, for per-client limits: the right-most address of `X-Forwarded-For` plus the
/// socket peer that is not a trusted proxy (a client can put anything on the left of that header,
/// never on the right of what a trusted proxy appended). IPv6 clients count per /64, the block one
/// subscriber usually gets.
public enum ClientAddress {
    /// The limiting key for a request from `peer` carrying `forwardedFor`.
    public static func resolve(peer: String?, forwardedFor: String?, trusted: [IPNetwork]) -> String {
        var chain = (forwardedFor ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let peer { chain.append(peer) }
        for hop in chain.reversed() where !trusted.contains(where: { $0.contains(hop) }) {
            return bucket(hop)
        }
        return chain.first.map(bucket) ?? "unknown"
    }

    /// `hop` itself for IPv4, its /64 for IPv6, the text for anything else.
    public static func bucket(_ hop: String) -> String {
        guard let bytes = IPNetwork.parse(hop), bytes.count == 16 else { return hop }
        return stride(from: 0, to: 8, by: 2).map { String(format: "%x", UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1])) }.joined(separator: ":") + "::/64"
    }
}
