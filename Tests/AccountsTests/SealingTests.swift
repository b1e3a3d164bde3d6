import Crypto
import Foundation
import Testing

@testable import Accounts

@Suite struct SealingTests {
    let masterKey = MasterKey(bytes: Array(0..<32))
    let salt = SecretSealer.newOwnerSalt()
    let context = SealContext(rowID: "backend-42", field: "credential")
    var sealer: SecretSealer { SecretSealer(masterKey: masterKey) }

    // MARK: Known answers

    /// RFC 5869 Appendix A.1, A.2 and A.3 (the SHA-256 cases), through the function that derives owner keys.
    @Test(arguments: [
        (
            ikm: hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), salt: hex("000102030405060708090a0b0c"),
            info: hex("f0f1f2f3f4f5f6f7f8f9"), length: 42,
            okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        ),
        (
            ikm: Array(UInt8(0x00)...0x4f), salt: Array(UInt8(0x60)...0xaf), info: Array(UInt8(0xb0)...0xff), length: 82,
            okm: "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
                + "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
                + "cc30c58179ec3e87c14c01d5c1f3434f1d87"
        ),
        (
            ikm: hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), salt: [], info: [], length: 42,
            okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
        ),
    ])
    func hkdfMatchesRFC5869(vector: (ikm: [UInt8], salt: [UInt8], info: [UInt8], length: Int, okm: String)) {
        let okm = SealPrimitives.hkdfSHA256(
            inputKeyMaterial: SymmetricKey(data: vector.ikm), salt: vector.salt, info: vector.info,
            outputByteCount: vector.length)
        #expect(okm.withUnsafeBytes { hex($0) } == vector.okm)
    }

    /// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", Appendix B, Test Case 16:
    /// AES-256, 96-bit IV, 60-byte plaintext, 20 bytes of additional data.
    @Test func aesGCMMatchesTheGCMSpecificationTestCase16() throws {
        let key = SymmetricKey(data: hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"))
        let nonce = hex("cafebabefacedbaddecaf888")
        let plaintext = hex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
        let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let expectedCiphertext =
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
            + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"

        let (ciphertext, tag) = SealPrimitives.encrypt(plaintext, key: key, nonce: nonce, associatedData: aad)
        #expect(hex(ciphertext) == expectedCiphertext)
        #expect(hex(tag) == "76fc6ece0f4e1768cddf8853bb2d551b")

        let opened = SealPrimitives.decrypt(
            ciphertext: hex(expectedCiphertext), tag: hex("76fc6ece0f4e1768cddf8853bb2d551b"), key: key,
            nonce: nonce, associatedData: aad)
        #expect(opened == plaintext)
        #expect(
            SealPrimitives.decrypt(ciphertext: ciphertext, tag: tag, key: key, nonce: nonce, associatedData: [])
                == nil)
    }

    /// The whole format against an independent implementation (Python's `cryptography`: HKDF-SHA256,
    /// AESGCM, the length-prefixed associated data), so the layout is pinned, not only the primitives.
    @Test func sealedFormatMatchesAnIndependentImplementation() throws {
        let sealed = sealer.seal(
            "sk-test-1234 ✓", ownerSalt: Array(0x20..<0x40), context: context, nonce: Array(0x40..<0x4c))
        #expect(sealed == "v1:QEFCQ0RFRkdISUpLjDaDJ-E44q14kNehA55KwZujCI6w7QIpmc3w8ZTd6Ms")
        #expect(
            sealer.ownerKey(salt: Array(0x20..<0x40)).withUnsafeBytes { hex($0) }
                == "2548381483b2e78cda2b480ffa01d8220655e514706b33cd19e90c3e3e5b5dc7")
        #expect(try sealer.open(sealed, ownerSalt: Array(0x20..<0x40), context: context) == "sk-test-1234 ✓")
    }

    // MARK: Sealing and opening

    @Test(arguments: ["", "hunter2", "pässwörd 🔑 日本語 \u{0} end"])
    func roundTrips(plaintext: String) throws {
        let sealed = sealer.seal(plaintext, ownerSalt: salt, context: context)
        #expect(sealed.hasPrefix("v1:"))
        #expect(!sealed.contains(plaintext) || plaintext.isEmpty)
        #expect(try sealer.open(sealed, ownerSalt: salt, context: context) == plaintext)
    }

    @Test func roundTripsALongSecret() throws {
        let plaintext = String(repeating: "-----BEGIN PRIVATE KEY----- ", count: 1000)
        let sealed = sealer.seal(plaintext, ownerSalt: salt, context: context)
        #expect(sealed.utf8.count == 3 + ((12 + plaintext.utf8.count + 16) * 4 + 2) / 3)
        #expect(try sealer.open(sealed, ownerSalt: salt, context: context) == plaintext)
    }

    @Test func everySealDrawsAFreshNonce() throws {
        var nonces = Set<[UInt8]>()
        var sealedTexts = Set<String>()
        for _ in 0..<1000 {
            let sealed = sealer.seal("the same secret", ownerSalt: salt, context: context)
            let bytes = try #require(Base64URL.decodeStrict(String(sealed.dropFirst(3))))
            nonces.insert(Array(bytes.prefix(12)))
            sealedTexts.insert(sealed)
        }
        #expect(nonces.count == 1000)
        #expect(sealedTexts.count == 1000)
    }

    @Test func opensOnlyWhereItWasSealed() {
        let sealed = sealer.seal("secret", ownerSalt: salt, context: context)
        let otherSealer = SecretSealer(masterKey: .generate())
        let attempts: [(SecretSealer, [UInt8], SealContext)] = [
            (sealer, salt, SealContext(rowID: "backend-43", field: "credential")),
            (sealer, salt, SealContext(rowID: "backend-42", field: "headers")),
            (sealer, SecretSealer.newOwnerSalt(), context),
            (otherSealer, salt, context),
        ]
        for (sealer, salt, context) in attempts {
            #expect(throws: SealError.authenticationFailed) { try sealer.open(sealed, ownerSalt: salt, context: context) }
        }
    }

    @Test func associatedDataIsUnambiguous() {
        #expect(
            SealContext(rowID: "a", field: "bc").associatedData != SealContext(rowID: "ab", field: "c").associatedData)
        #expect(
            SealContext(rowID: "a\u{0}b", field: "c").associatedData
                != SealContext(rowID: "a", field: "b\u{0}c").associatedData)
    }

    @Test func aFlippedByteAnywhereFails() throws {
        let sealed = sealer.seal("secret value", ownerSalt: salt, context: context)
        let bytes = try #require(Base64URL.decodeStrict(String(sealed.dropFirst(3))))
        for index in bytes.indices {
            var damaged = bytes
            damaged[index] ^= 0x01
            #expect(throws: SealError.authenticationFailed) {
                try sealer.open("v1:" + Base64URL.encode(damaged), ownerSalt: salt, context: context)
            }
        }
    }

    @Test func malformedValuesAreRefused() throws {
        let sealed = sealer.seal("secret", ownerSalt: salt, context: context)
        let bytes = try #require(Base64URL.decodeStrict(String(sealed.dropFirst(3))))
        let malformed = [
            "", "v1", "v1:", "secret", ":abc", "V1:" + sealed.dropFirst(3),
            "v1:" + Base64URL.encode(bytes.prefix(27)),  // shorter than nonce and tag
            "v1:" + sealed.dropFirst(3) + "=",  // padding is not part of the format
            "v1:" + sealed.dropFirst(3).replacingOccurrences(of: "-", with: "+") + "+/",  // standard alphabet
            "v1:" + String(repeating: "A", count: 41),  // a length base64 cannot have
            "v1:not base64!",
            " " + sealed,
        ]
        for text in malformed {
            #expect(throws: SealError.malformed, "\(text)") { try sealer.open(text, ownerSalt: salt, context: context) }
        }
        // Long enough to parse but cut short: the tag no longer matches.
        #expect(throws: SealError.authenticationFailed) {
            try sealer.open("v1:" + Base64URL.encode(bytes.dropLast(3)), ownerSalt: salt, context: context)
        }
    }

    @Test func unknownVersionsAreNamedAsSuch() {
        let body = sealer.seal("secret", ownerSalt: salt, context: context).dropFirst(3)
        for version in ["v2", "v0", "v10"] {
            #expect(throws: SealError.unsupportedVersion) {
                try sealer.open(version + ":" + body, ownerSalt: salt, context: context)
            }
        }
    }

    @Test func errorMessagesSayWhatHappened() {
        #expect(SealError.authenticationFailed.description.contains("GATEWAY_MASTER_KEY"))
        #expect(SealError.malformed.description.contains("v1:"))
        #expect(SealError.unsupportedVersion.description.contains("version"))
    }

    // MARK: Master key

    @Test func masterKeyAcceptsTheFormsPeoplePaste() throws {
        // 0xfb 0xff… encodes with '+' and '/' in standard base64, '-' and '_' in base64url.
        let bytes: [UInt8] = [0xfb, 0xff, 0xbf] + Array(repeating: 0xfe, count: 29)
        let padded = Data(bytes).base64EncodedString()
        #expect(padded.contains("+") && padded.contains("/") && padded.hasSuffix("="))
        let forms = [
            padded,
            String(padded.dropLast()),
            padded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"),
            String(padded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").dropLast()),
            "  \(padded)\n",
            "\(padded)\r\n",
        ]
        for form in forms {
            let key = try MasterKey(base64: form)
            #expect(key.base64 == padded, "\(form)")
        }
    }

    @Test func masterKeyRefusesWrongLengthsAndGarbage() {
        let cases: [(String, String)] = [
            (Data(repeating: 7, count: 31).base64EncodedString(), "this is 31 bytes"),
            (Data(repeating: 7, count: 33).base64EncodedString(), "this is 33 bytes"),
            (Data(repeating: 7, count: 16).base64EncodedString(), "this is 16 bytes"),
            ("correct horse battery staple", "not base64"),
            ("!!!!" + String(repeating: "A", count: 40), "not base64"),
            (Data(repeating: 7, count: 32).base64EncodedString() + "===", "not base64"),
            ("   \n", "empty"),
        ]
        for (text, expected) in cases {
            do {
                _ = try MasterKey(base64: text)
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.description.contains("GATEWAY_MASTER_KEY must be 32 random bytes in base64"))
                #expect(error.description.contains("openssl rand -base64 32"))
                #expect(error.description.contains(expected), "\(error.description)")
                #expect(text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || !error.description.contains(text))
            }
        }
    }

    @Test func masterKeyKeepsItsBytesOutOfDescriptions() {
        let key = MasterKey.generate()
        #expect(key.description == "MasterKey(…)")
        #expect(!String(describing: key).contains(key.base64))
        #expect(!String(reflecting: key).contains(key.base64))
        #expect(!"\([key])".contains(key.base64))
    }

    @Test func generatedMasterKeysRoundTripAndDiffer() throws {
        let key = MasterKey.generate()
        #expect(try MasterKey(base64: key.base64).base64 == key.base64)
        #expect(MasterKey.generate().base64 != key.base64)
        #expect(SecretSealer.newOwnerSalt().count == 32)
        #expect(SecretSealer.newOwnerSalt() != SecretSealer.newOwnerSalt())
    }

    // MARK: Key check

    @Test func keyCheckVerifiesOnlyUnderTheSameKey() throws {
        let check = sealer.keyCheck()
        #expect(sealer.verifies(keyCheck: check))
        #expect(SecretSealer(masterKey: try MasterKey(base64: masterKey.base64)).verifies(keyCheck: check))
        #expect(!SecretSealer(masterKey: .generate()).verifies(keyCheck: check))
        #expect(!sealer.verifies(keyCheck: "v1:garbage"))
        #expect(sealer.keyCheck() != check)
    }
}
