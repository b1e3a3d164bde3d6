import Testing

@testable import OAuthServer

@Suite struct FormBodyTests {
    @Test func decodesPercentAndPlus() {
        let form = FormBody("grant_type=authorization_code&redirect_uri=https%3A%2F%2Fa.example%2Fcb&note=a+b&empty=")
        #expect(form["grant_type"] == "authorization_code")
        #expect(form["redirect_uri"] == "https://a.example/cb")
        #expect(form["note"] == "a b")
        #expect(form["empty"] == nil)
        #expect(form.repeated.isEmpty)
    }

    @Test func repeatedParametersAreReported() {
        #expect(FormBody("code=a&code=b").repeated == ["code"])
    }
}
