import Foundation
import PlexusKit
import Testing

@Suite struct ClientAddressTests {
    let balancer = [IPNetwork("10.0.0.0/8")!]

    @Test(arguments: [
        // (peer, X-Forwarded-For, trusted, client)
        ("203.0.113.9", nil, "", "203.0.113.9"),
        ("203.0.113.9", "1.2.3.4", "", "203.0.113.9"),                       // nobody trusted: the header is ignored
        ("10.0.0.5", "198.51.100.7", "10.0.0.0/8", "198.51.100.7"),          // behind a trusted balancer
        ("10.0.0.5", "6.6.6.6, 198.51.100.7", "10.0.0.0/8", "198.51.100.7"), // a spoofed left entry is never used
        ("10.0.0.5", "198.51.100.7, 10.0.0.9", "10.0.0.0/8", "198.51.100.7"), // two trusted hops
        ("127.0.0.1", "2001:db8:1:2:3:4:5:6", "127.0.0.0/8", "2001:db8:1:2::/64"), // IPv6 per /64
        ("::ffff:10.0.0.5", "198.51.100.7", "10.0.0.0/8", "198.51.100.7"),  // IPv4-mapped peer
    ] as [(String, String?, String, String)])
    func theRightMostUntrustedHopIsTheClient(peer: String, forwarded: String?, trusted: String, client: String) throws {
        let networks = try #require(IPNetwork.list(trusted))
        #expect(ClientAddress.resolve(peer: peer, forwardedFor: forwarded, trusted: networks) == client)
    }

    @Test func networksParseAndMatch() {
        #expect(IPNetwork("10.1.2.3/33") == nil && IPNetwork("nope") == nil && IPNetwork.list("10.0.0.0/8, x") == nil)
        #expect(IPNetwork("fd00::/8")!.contains("fd12::1") && !IPNetwork("fd00::/8")!.contains("fe80::1"))
        #expect(IPNetwork("192.168.1.0/24")!.contains("192.168.1.77") && !IPNetwork("192.168.1.0/24")!.contains("192.168.2.1"))
        #expect(ClientAddress.bucket("2001:db8::1") == ClientAddress.bucket("2001:db8::ffff"))
    }
}
