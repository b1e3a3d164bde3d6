import Testing

@testable import OAuthServer

@Suite struct PasswordHasherTests {
    @Test func hashVerifiesOnlyTheSamePassword() throws {
        let hash = try PasswordHasher.hash("correct horse battery", logN: 10)
        #expect(hash.hasPrefix("scrypt:10:8:1:"))
        #expect(PasswordHasher.isWellFormed(hash))
        #expect(PasswordHasher.verify("correct horse battery", against: hash))
        #expect(!PasswordHasher.verify("correct horse batterY", against: hash))
        #expect(!PasswordHasher.verify("", against: hash))
    }

    @Test func saltsDiffer() throws {
        #expect(try PasswordHasher.hash("same password!", logN: 10) != PasswordHasher.hash("same password!", logN: 10))
    }

    @Test(arguments: [
        "", "plain", "scrypt:15:8:1:salt", "scrypt:99:8:1:salt:AAAAAAAAAAAAAAAAAAAAAA==",
        "bcrypt:15:8:1:s:AAAAAAAAAAAAAAAAAAAAAA==",
    ])
    func malformedHashesAreRecognised(_ hash: String) {
        #expect(!PasswordHasher.isWellFormed(hash))
        #expect(!PasswordHasher.verify("anything at all", against: hash))
    }
}
