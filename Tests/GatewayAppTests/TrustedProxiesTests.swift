import Testing

@testable import GatewayApp

@Suite struct TrustedProxiesTests {
    @Test func addressesAndRangesOfBothFamilies() throws {
        let proxies = try #require(TrustedProxies(["127.0.0.1", "172.16.0.0/12", "fd7a:115c:a1e0::/48"]))
        #expect(proxies.trusts("127.0.0.1") && !proxies.trusts("127.0.0.2"))
        #expect(proxies.trusts("172.20.3.4") && proxies.trusts("172.31.255.255") && !proxies.trusts("172.32.0.1"))
        #expect(proxies.trusts("fd7a:115c:a1e0:ab12::1") && !proxies.trusts("fd7a:115c:a1e1::1"))
        #expect(proxies.trusts("::ffff:172.18.0.2"), "an IPv4-mapped peer is its IPv4 address")
        #expect(!proxies.trusts("not an address"))
    }

    @Test func mistakesAreRefused() {
        for bad in [["localhost"], ["10.0.0.0/33"], ["::1/129"], ["1.2.3.4/"], ["1.2.3"], ["10.0.0.0/-1"]] {
            #expect(TrustedProxies(bad) == nil, "\(bad)")
        }
        #expect(TrustedProxies([])?.isEmpty == true)
    }

    @Test func theClientIsTheFirstUntrustedHopFromTheRight() throws {
        let proxies = try #require(TrustedProxies(["10.0.0.0/8"]))
        // Not from a proxy: the header is whatever the sender wanted, and is ignored.
        #expect(proxies.clientAddress(peer: "203.0.113.7", forwardedFor: ["198.51.100.1"]) == "203.0.113.7")
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: ["198.51.100.1"]) == "198.51.100.1")
        // A client cannot hide behind an address it wrote itself at the left.
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: ["1.1.1.1, 198.51.100.1, 10.0.0.9"]) == "198.51.100.1")
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: ["1.1.1.1", "198.51.100.1"]) == "198.51.100.1")
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: []) == "10.0.0.2")
        #expect(proxies.clientAddress(peer: "10.0.0.2", forwardedFor: ["garbage, 10.0.0.3"]) == "10.0.0.3")
    }
}
