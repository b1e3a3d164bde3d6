import Testing

@testable import OAuthServer

@Suite struct PKCETests {
    // RFC 7636 Appendix B.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    @Test func s256MatchesTheRFCExample() {
        #expect(PKCE.challenge(for: verifier) == challenge)
        #expect(PKCE.verify(verifier: verifier, challenge: challenge))
    }

    @Test func aDifferentVerifierFails() {
        #expect(!PKCE.verify(verifier: String(verifier.reversed()), challenge: challenge))
    }

    @Test func verifierLengthAndAlphabetAreEnforced() {
        #expect(!PKCE.isValidVerifier(String(repeating: "a", count: 42)))
        #expect(PKCE.isValidVerifier(String(repeating: "a", count: 43)))
        #expect(PKCE.isValidVerifier(String(repeating: "a", count: 128)))
        #expect(!PKCE.isValidVerifier(String(repeating: "a", count: 129)))
        #expect(!PKCE.isValidVerifier(String(repeating: "a", count: 42) + "+"))
        // A short verifier never verifies, even against its own challenge.
        let short = "abc"
        #expect(!PKCE.verify(verifier: short, challenge: PKCE.challenge(for: short)))
    }

    @Test func challengeMustBeABase64URLSHA256() {
        #expect(PKCE.isValidChallenge(challenge))
        #expect(!PKCE.isValidChallenge(String(challenge.dropLast())))
        #expect(!PKCE.isValidChallenge(challenge + "A"))
        #expect(!PKCE.isValidChallenge(String(challenge.dropLast()) + "="))
        #expect(!PKCE.isValidChallenge(String(challenge.dropLast()) + "/"))
        #expect(!PKCE.isValidChallenge(String(repeating: "~", count: 43)))
    }
}
