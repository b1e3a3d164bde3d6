/// Where a sealed secret lives: the row and the field it was written to. It is bound to the
/// ciphertext as associated data, so a value copied into another row or field no longer opens.
public struct SealContext: Sendable, Hashable {
    public var rowID: String
    public var field: String

    public init(rowID: String, field: String) {
        self.rowID = rowID
        self.field = field
    }

    static let label = "mcp-gateway.sealed.v1"

    /// The label, then each part as a 4-byte big-endian length and its UTF-8 bytes. Length prefixes
    /// keep the encoding unambiguous whatever the parts contain: ("a", "bc") and ("ab", "c") differ.
    var associatedData: [UInt8] {
        var bytes = Array(Self.label.utf8)
        for part in [rowID, field] {
            let utf8 = Array(part.utf8)
            let length = UInt32(utf8.count)
            bytes += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            bytes += utf8
        }
        return bytes
    }
}
