import Testing

@testable import GatewayApp

/// Where a member's backend may connect: public addresses, pinned; private and internal ones refused; the operator's
/// named hosts as they are.
@Suite struct MemberAddressPolicyTests {
    let policy = MemberAddressPolicy(allowedHosts: ["LAN-Server.example", "10.1.2.3"])

    @Test(arguments: [
        "http://127.0.0.1:8080/mcp", "http://[::1]/mcp", "http://169.254.169.254/latest", "http://10.0.0.1/",
        "http://192.168.1.20/mcp", "http://172.16.0.5/", "http://100.64.1.1/", "http://[fd00::1]/", "http://0.0.0.0/",
        "http://localhost:9000/mcp", "http://[::ffff:127.0.0.1]/", "http://127.1/",
    ])
    func privateAndInternalAddressesAreRefused(url: String) async {
        guard case .refused(let reason) = await policy.destination(for: url) else {
            Issue.record("\(url) was not refused")
            return
        }
        #expect(reason.contains("private or internal") || reason.contains("resolve"), "\(reason)")
    }

    @Test func aPublicAddressIsPinnedToWhatWasChecked() async {
        #expect(
            await policy.destination(for: "https://93.184.216.34/mcp") == .pinned(host: "93.184.216.34", address: "93.184.216.34")
        )
        #expect(
            await policy.destination(for: "https://[2606:2800:220:1:248:1893:25c8:1946]/mcp")
                == .pinned(host: "2606:2800:220:1:248:1893:25c8:1946", address: "2606:2800:220:1:248:1893:25c8:1946"))
    }

    @Test func hostsTheOperatorNamesAreReachedAsTheyAre() async {
        #expect(await policy.destination(for: "http://lan-server.example:8080/mcp") == .allowedHost)
        #expect(await policy.destination(for: "http://10.1.2.3/mcp") == .allowedHost)
        #expect(await policy.refusal(for: "http://10.1.2.4/mcp") != nil)
    }

    @Test func aURLWithoutAHostIsRefused() async {
        #expect(await policy.refusal(for: "not a url") != nil)
    }
}
