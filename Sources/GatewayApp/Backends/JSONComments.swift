/// Lets the backends file carry `//` and `/* */` comments (as `backends.reference.jsonc` does): they become spaces
/// before the JSON is parsed, newlines kept, so positions in error messages stay right. Text inside strings is
/// never touched. An unterminated block comment is left in place for the parser to refuse.
enum JSONComments {
    static func strip(_ bytes: [UInt8]) -> [UInt8] {
        let slash = UInt8(ascii: "/"), star = UInt8(ascii: "*"), quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        let newline = UInt8(ascii: "\n"), space = UInt8(ascii: " ")
        var output = bytes
        var index = 0
        var inString = false
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == backslash {
                    index += 2
                    continue
                }
                if byte == quote { inString = false }
                index += 1
                continue
            }
            if byte == quote {
                inString = true
                index += 1
                continue
            }
            guard byte == slash, index + 1 < bytes.count else {
                index += 1
                continue
            }
            if bytes[index + 1] == slash {
                while index < bytes.count, bytes[index] != newline {
                    output[index] = space
                    index += 1
                }
            } else if bytes[index + 1] == star {
                var end = index + 2
                while end + 1 < bytes.count, !(bytes[end] == star && bytes[end + 1] == slash) { end += 1 }
                guard end + 1 < bytes.count else { return output }
                for position in index...(end + 1) where bytes[position] != newline { output[position] = space }
                index = end + 2
            } else {
                index += 1
            }
        }
        return output
    }
}
