extension UInt8 {
    /// The byte with A–Z lowered: header tokens (media types, schemes) are compared this way, without building strings.
    public var asciiLowercased: UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self) ? self + 32 : self
    }
}
