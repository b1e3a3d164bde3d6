/// A sealed marker stored once, so that a server started with another master key than the one
/// its secrets were sealed under refuses to start instead of failing on every secret later.
extension SecretSealer {
    static let keyCheckMarker = "mcp-gateway master key check"
    static let keyCheckSalt = Array("mcp-gateway key check salt v1".utf8)
    static let keyCheckContext = SealContext(rowID: "gateway", field: "master_key_check")

    /// The marker sealed under a fixed salt and context and a fresh nonce; store it beside the data.
    public func keyCheck() -> String {
        seal(Self.keyCheckMarker, ownerSalt: Self.keyCheckSalt, context: Self.keyCheckContext)
    }

    /// True when `keyCheck` was made with this sealer's master key.
    public func verifies(keyCheck: String) -> Bool {
        (try? open(keyCheck, ownerSalt: Self.keyCheckSalt, context: Self.keyCheckContext)) == Self.keyCheckMarker
    }
}
