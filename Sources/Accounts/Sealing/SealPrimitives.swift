import Crypto

/// The two primitives under `SecretSealer`, apart so that known-answer tests reach exactly the
/// code the sealer runs.
enum SealPrimitives {
    static let nonceByteCount = 12
    static let tagByteCount = 16

    /// HKDF-SHA256 (RFC 5869) extract-then-expand.
    static func hkdfSHA256(
        inputKeyMaterial: SymmetricKey, salt: [UInt8], info: [UInt8], outputByteCount: Int
    ) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: inputKeyMaterial, salt: salt, info: info, outputByteCount: outputByteCount)
    }

    /// AES-GCM with a 96-bit nonce and a 128-bit tag; the key's size picks AES-128/192/256.
    static func encrypt(
        _ plaintext: [UInt8], key: SymmetricKey, nonce: [UInt8], associatedData: [UInt8]
    ) -> (ciphertext: [UInt8], tag: [UInt8]) {
        do {
            let box = try AES.GCM.seal(
                plaintext, using: key, nonce: AES.GCM.Nonce(data: nonce), authenticating: associatedData)
            return (Array(box.ciphertext), Array(box.tag))
        } catch {
            // Only a key of another size than 16, 24 or 32 bytes or a nonce of fewer than 12 bytes
            // gets here; the sealer derives 32-byte keys and draws 12-byte nonces.
            preconditionFailure("AES-GCM refused its parameters: \(error)")
        }
    }

    /// Nil when the tag does not verify under this key, nonce and associated data.
    static func decrypt(
        ciphertext: [UInt8], tag: [UInt8], key: SymmetricKey, nonce: [UInt8], associatedData: [UInt8]
    ) -> [UInt8]? {
        guard
            let gcmNonce = try? AES.GCM.Nonce(data: nonce),
            let box = try? AES.GCM.SealedBox(nonce: gcmNonce, ciphertext: ciphertext, tag: tag),
            let plaintext = try? AES.GCM.open(box, using: key, authenticating: associatedData)
        else { return nil }
        return Array(plaintext)
    }
}
