import HTTPTypes
import MCPCore

extension ParameterHeaders {
    /// Checks a modern client's `Mcp-Param-<Name>` headers against the arguments they repeat, as the tool's
    /// `x-mcp-header` annotations require: present together, and equal.
    static func check(schema: JSONValue?, arguments: JSONValue?, headers: HTTPFields) -> String? {
        guard case .object(let properties)? = schema?["properties"] else { return nil }
        // Arguments passed through as bytes are parsed here once, and only for a tool that marks some.
        lazy var fields = arguments?.objectValue
        for (argument, property) in properties.sorted(by: { $0.key < $1.key }) {
            guard let header = property["x-mcp-header"]?.stringValue,
                let name = HTTPField.Name(MCPProtocol.Header.paramPrefix + header)
            else { continue }
            let display = MCPProtocol.Header.paramPrefix + header
            let sent = headers[name].flatMap(MCPProtocol.decodeHeaderValue)
            let value = fields?[argument]
            switch (sent, value) {
            case (nil, nil):
                continue
            case (nil, _?):
                return "\(display) header is missing but the request body's '\(argument)' argument is present"
            case (_?, nil):
                return "\(display) header is present but the request body's '\(argument)' argument is absent"
            case (let text?, let value?):
                if !matches(text, value) {
                    return "\(display) header does not match the request body's '\(argument)' argument"
                }
            }
        }
        return nil
    }

    private static func matches(_ header: String, _ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): header == text
        case .int(let number): Int64(header.trimmingCharacters(in: .whitespaces)) == number
        case .double(let number): Double(header.trimmingCharacters(in: .whitespaces)) == number
        case .bool(let flag): header.lowercased() == (flag ? "true" : "false")
        default: true
        }
    }
}
