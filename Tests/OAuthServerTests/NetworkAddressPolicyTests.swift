import Testing

@testable import OAuthServer

@Suite struct NetworkAddressPolicyTests {
    @Test(arguments: [
        ("10.1.2.3", NetworkAddressPolicy.Kind.restricted), ("172.16.0.1", .restricted), ("172.31.255.255", .restricted),
        ("192.168.1.1", .restricted), ("169.254.169.254", .restricted), ("100.64.0.1", .restricted), ("0.0.0.0", .restricted),
        ("224.0.0.1", .restricted), ("127.0.0.1", .loopback), ("127.9.9.9", .loopback), ("::1", .loopback), ("[::1]", .loopback),
        ("fc00::1", .restricted), ("fd12:3456::1", .restricted), ("fe80::1", .restricted), ("::ffff:10.0.0.1", .restricted),
        ("::ffff:127.0.0.1", .loopback), ("::", .restricted), ("8.8.8.8", .global), ("172.32.0.1", .global),
        ("2606:4700::1111", .global), ("::ffff:8.8.8.8", .global),
    ])
    func literals(_ address: String, _ kind: NetworkAddressPolicy.Kind) {
        #expect(NetworkAddressPolicy.classify(literal: address) == kind)
    }

    @Test func namesAreNotLiterals() {
        #expect(NetworkAddressPolicy.classify(literal: "claude.ai") == nil)
    }

    @Test func localhostResolvesToLoopback() {
        let kinds = NetworkAddressPolicy.resolveAndClassify(host: "localhost")
        #expect(!kinds.isEmpty && kinds.allSatisfy { $0 == .loopback })
    }
}
