import Testing

@testable import GatewayApp

@Suite struct SettingsTests {
    typealias Name = GatewaySettings.Name

    func refusal(_ values: [String: String]) -> SettingsError? {
        do {
            try GatewaySettings.from(values).validate()
            return nil
        } catch {
            return error
        }
    }

    @Test func defaultsAreTheDocumentedOnes() throws {
        let settings = try GatewaySettings.from([:])
        try settings.validate()
        #expect(settings.issuerURL == "http://localhost:4444")
        #expect(settings.bindAddress == "127.0.0.1" && settings.port == 4444)
        #expect(settings.databasePath == "./data/gateway.sqlite")
        #expect(settings.accessTokenTTL == 3600 && settings.refreshTokenTTL == 2_592_000 && settings.refreshReuseGrace == 30)
    }

    @Test func valuesAreRead() throws {
        let settings = try GatewaySettings.from([
            Name.issuerURL: "https://gw.example.com/", Name.port: "8080", Name.bindAddress: "0.0.0.0",
            Name.accessTokenTTL: "2", Name.password: "a long enough password",
        ])
        try settings.validate()
        #expect(settings.normalizedIssuer == "https://gw.example.com")
        #expect(settings.port == 8080 && settings.accessTokenTTL == 2)
    }

    @Test func listsAreCommaSeparatedWithBlanksDropped() throws {
        let settings = try GatewaySettings.from([
            Name.allowedOrigins: " https://a.example.com, ,https://b.example.com ",
            Name.trustedProxies: "127.0.0.1 ,, 10.0.0.0/8",
        ])
        #expect(settings.allowedOrigins == ["https://a.example.com", "https://b.example.com"])
        #expect(settings.trustedProxies == ["127.0.0.1", "10.0.0.0/8"])
        #expect(try GatewaySettings.from([Name.trustedProxies: " "]).trustedProxies.isEmpty)
    }

    @Test func nonLoopbackBindNeedsHTTPSIssuer() {
        #expect(refusal([Name.bindAddress: "0.0.0.0"])?.setting == Name.issuerURL)
        #expect(refusal([Name.bindAddress: "0.0.0.0", Name.issuerURL: "https://gw.example.com"]) == nil)
        #expect(refusal([Name.bindAddress: "::1"]) == nil)
    }

    @Test(arguments: [
        "https://gw.example.com/?x=1", "https://gw.example.com#frag", "https://gw.example.com/base",
        "https://gw.example.com/base/",
        "gw.example.com", "ftp://gw.example.com", "https://user:pw@gw.example.com", "not a url",
    ])
    func badIssuersAreRefused(_ issuer: String) {
        #expect(refusal([Name.issuerURL: issuer])?.setting == Name.issuerURL)
    }

    @Test func shortPasswordIsRefused() {
        #expect(refusal([Name.password: "short"])?.setting == Name.password)
        #expect(refusal([Name.password: "exactly12chr"]) == nil)
    }

    @Test func passwordAndHashTogetherAreRefused() {
        #expect(
            refusal([Name.password: "a long enough password", Name.passwordHash: "scrypt:15:8:1:s:AAAAAAAAAAAAAAAAAAAAAA=="])?
                .setting == Name.password)
    }

    @Test func malformedHashIsRefused() {
        #expect(refusal([Name.passwordHash: "not-a-hash"])?.setting == Name.passwordHash)
    }

    @Test func testOnlyMetadataSettingIsRefusedOffLoopback() {
        let values = [
            Name.allowLoopbackMetadataDocumentsForTests: "true", Name.bindAddress: "0.0.0.0",
            Name.issuerURL: "https://gw.example.com",
        ]
        #expect(refusal(values)?.setting == Name.allowLoopbackMetadataDocumentsForTests)
        #expect(refusal([Name.allowLoopbackMetadataDocumentsForTests: "true"]) == nil)
    }

    @Test(arguments: [Name.port, Name.accessTokenTTL, Name.refreshTokenTTL, Name.refreshReuseGrace])
    func numbersAreChecked(_ name: String) {
        #expect(refusal([name: "many"])?.setting == name)
        #expect(refusal([name: "-1"])?.setting == name)
    }

    @Test func dotEnvParsing() {
        let values = DotEnvFile.parse(
            """
            # comment
            export OAUTH_PASSWORD="quoted value #1"
            GATEWAY_PORT=5000 # trailing comment
            EMPTY=
            broken line
            """)
        #expect(values["OAUTH_PASSWORD"] == "quoted value #1")
        #expect(values["GATEWAY_PORT"] == "5000")
        #expect(values["EMPTY"] == "")
        #expect(values.count == 3)
    }
}
