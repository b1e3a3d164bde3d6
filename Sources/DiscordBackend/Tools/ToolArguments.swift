import MCPCore

/// A tool call's arguments, read with type checks whose errors name the argument.
struct ToolArguments: Sendable {
    let values: [String: JSONValue]

    init(_ values: [String: JSONValue]) {
        self.values = values
    }

    func has(_ key: String) -> Bool {
        if let value = values[key], !value.isNull { return true }
        return false
    }

    func string(_ key: String) throws(ToolFailure) -> String? {
        switch values[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case .int(let number)?: return String(number)  // ids given as numbers
        default: throw ToolFailure("\(key) must be a string")
        }
    }

    func requiredString(_ key: String) throws(ToolFailure) -> String {
        guard let text = try string(key), !text.isEmpty else { throw ToolFailure("\(key) is required") }
        return text
    }

    /// A Discord id; refused before sending when it is not shaped like one.
    func snowflake(_ key: String) throws(ToolFailure) -> String? {
        guard let text = try string(key) else { return nil }
        do throws(DiscordLimits.Violation) {
            try DiscordLimits.checkSnowflake(text, field: key)
        } catch {
            throw ToolFailure(error)
        }
        return text
    }

    func requiredSnowflake(_ key: String) throws(ToolFailure) -> String {
        guard let id = try snowflake(key) else { throw ToolFailure("\(key) is required") }
        return id
    }

    func int(_ key: String, in range: ClosedRange<Int>? = nil) throws(ToolFailure) -> Int? {
        let number: Int
        switch values[key] {
        case nil, .null?: return nil
        case .int(let value)?: number = Int(value)
        case .double(let value)? where value.rounded() == value && abs(value) < 1e15: number = Int(value)
        default: throw ToolFailure("\(key) must be a whole number")
        }
        if let range {
            do throws(DiscordLimits.Violation) {
                try DiscordLimits.checkLimit(number, range: range, field: key)
            } catch {
                throw ToolFailure(error)
            }
        }
        return number
    }

    func bool(_ key: String) throws(ToolFailure) -> Bool? {
        switch values[key] {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        default: throw ToolFailure("\(key) must be true or false")
        }
    }

    func stringList(_ key: String) throws(ToolFailure) -> [String]? {
        switch values[key] {
        case nil, .null?: return nil
        case .array(let items)?:
            var texts: [String] = []
            for item in items {
                switch item {
                case .string(let text): texts.append(text)
                case .int(let number): texts.append(String(number))
                default: throw ToolFailure("\(key) must be a list of strings")
                }
            }
            return texts
        default: throw ToolFailure("\(key) must be a list of strings")
        }
    }

    func object(_ key: String) throws(ToolFailure) -> [String: JSONValue]? {
        switch values[key] {
        case nil, .null?: return nil
        case .object(let fields)?: return fields
        default: throw ToolFailure("\(key) must be an object")
        }
    }

    func list(_ key: String) throws(ToolFailure) -> [JSONValue]? {
        switch values[key] {
        case nil, .null?: return nil
        case .array(let items)?: return items
        default: throw ToolFailure("\(key) must be a list")
        }
    }

    /// A string from a fixed set, compared without regard to case.
    func choice(_ key: String, _ choices: [String]) throws(ToolFailure) -> String? {
        guard let text = try string(key)?.lowercased() else { return nil }
        guard choices.contains(text) else {
            throw ToolFailure("\(key) must be one of \(choices.joined(separator: ", ")), not \"\(text.prefix(40))\"")
        }
        return text
    }
}
