import Testing

@testable import OAuthServer

@Suite struct TokenCryptoTests {
    @Test func tokensAre32RandomBytesInBase64URL() {
        let tokens = (0..<200).map { _ in TokenCrypto.generateToken() }
        #expect(Set(tokens).count == tokens.count)
        for token in tokens {
            #expect(token.count == 43)
            #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        }
    }

    @Test func hashIsHexSHA256() {
        #expect(TokenCrypto.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(TokenCrypto.hash("abc") != TokenCrypto.hash("abd"))
        #expect(TokenCrypto.hash(TokenCrypto.generateToken()).count == 64)
    }

    @Test func constantTimeEquality() {
        #expect(TokenCrypto.constantTimeEquals("secret", "secret"))
        #expect(!TokenCrypto.constantTimeEquals("secret", "secreT"))
        #expect(!TokenCrypto.constantTimeEquals("secret", "secret2"))
        #expect(TokenCrypto.constantTimeEquals("", ""))
    }
}
