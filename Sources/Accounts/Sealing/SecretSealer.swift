import Crypto

/// Seals secrets at rest (backend credentials) so that a copy of the database alone reveals
/// nothing: AES-256-GCM under a key per owner, derived by HKDF-SHA256 from the master key and
/// the owner's salt, a fresh random nonce every time, and the row and field as associated data.
///
/// Sealed text is `v1:` + base64url-no-padding(nonce ‖ ciphertext ‖ tag). The version prefix
/// leaves room to change the scheme and re-seal rows lazily.
public struct SecretSealer: Sendable {
    static let version = "v1"
    static let ownerKeyInfo = Array("mcp-gateway owner key v1".utf8)
    static let ownerSaltByteCount = 32

    private let masterKey: MasterKey

    public init(masterKey: MasterKey) {
        self.masterKey = masterKey
    }

    /// A new owner's salt, stored beside the owner in clear: it separates owners' keys, it is not secret.
    public static func newOwnerSalt() -> [UInt8] {
        SecureBytes.random(count: ownerSaltByteCount)
    }

    public func seal(_ plaintext: String, ownerSalt: [UInt8], context: SealContext) -> String {
        seal(plaintext, ownerSalt: ownerSalt, context: context, nonce: SecureBytes.random(count: SealPrimitives.nonceByteCount))
    }

    /// With a chosen nonce, for known-answer tests only: reusing a nonce under one key breaks GCM.
    func seal(_ plaintext: String, ownerSalt: [UInt8], context: SealContext, nonce: [UInt8]) -> String {
        let (ciphertext, tag) = SealPrimitives.encrypt(
            Array(plaintext.utf8), key: ownerKey(salt: ownerSalt), nonce: nonce,
            associatedData: context.associatedData)
        return Self.version + ":" + Base64URL.encode(nonce + ciphertext + tag)
    }

    public func open(_ sealed: String, ownerSalt: [UInt8], context: SealContext) throws(SealError) -> String {
        guard let colon = sealed.firstIndex(of: ":") else { throw .malformed }
        let version = sealed[..<colon]
        guard version == Self.version else {
            throw Self.looksLikeVersion(version) ? .unsupportedVersion : .malformed
        }
        guard let bytes = Base64URL.decodeStrict(String(sealed[sealed.index(after: colon)...])),
            bytes.count >= SealPrimitives.nonceByteCount + SealPrimitives.tagByteCount
        else { throw .malformed }
        let nonce = Array(bytes.prefix(SealPrimitives.nonceByteCount))
        let ciphertext = Array(bytes.dropFirst(SealPrimitives.nonceByteCount).dropLast(SealPrimitives.tagByteCount))
        let tag = Array(bytes.suffix(SealPrimitives.tagByteCount))
        guard
            let plaintext = SealPrimitives.decrypt(
                ciphertext: ciphertext, tag: tag, key: ownerKey(salt: ownerSalt), nonce: nonce,
                associatedData: context.associatedData)
        else { throw .authenticationFailed }
        // What we sealed was a String, so authentic bytes are UTF-8; anything else was forged with the key.
        guard let text = String(validating: plaintext, as: UTF8.self) else { throw .malformed }
        return text
    }

    func ownerKey(salt: [UInt8]) -> SymmetricKey {
        SealPrimitives.hkdfSHA256(
            inputKeyMaterial: masterKey.key, salt: salt, info: Self.ownerKeyInfo, outputByteCount: 32)
    }

    /// "v" and digits: a version of this format, as opposed to text that was never sealed.
    private static func looksLikeVersion(_ prefix: Substring) -> Bool {
        prefix.count > 1 && prefix.first == "v" && prefix.dropFirst().allSatisfy { ("0"..."9").contains($0) }
    }
}
