import MCPCore

/// JSON Schemas for tool inputs, kept short where they are declared.
enum InputSchema {
    static func object(_ properties: KeyValuePairs<String, JSONValue>, required: [String] = []) -> JSONValue {
        var fields: [String: JSONValue] = [:]
        for (name, schema) in properties { fields[name] = schema }
        var schema: [String: JSONValue] = [
            "type": "object", "properties": .object(fields), "additionalProperties": false,
        ]
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        return .object(schema)
    }

    static func string(_ description: String, maxLength: Int? = nil, choices: [String]? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "string", "description": .string(description)]
        if let maxLength { schema["maxLength"] = .int(Int64(maxLength)) }
        if let choices { schema["enum"] = .array(choices.map { .string($0) }) }
        return .object(schema)
    }

    static func integer(_ description: String, range: ClosedRange<Int>? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "integer", "description": .string(description)]
        if let range {
            schema["minimum"] = .int(Int64(range.lowerBound))
            schema["maximum"] = .int(Int64(range.upperBound))
        }
        return .object(schema)
    }

    static func boolean(_ description: String) -> JSONValue {
        ["type": "boolean", "description": .string(description)]
    }

    static func list(_ description: String, of item: JSONValue = ["type": "string"], count: ClosedRange<Int>? = nil)
        -> JSONValue
    {
        var schema: [String: JSONValue] = ["type": "array", "description": .string(description), "items": item]
        if let count {
            schema["minItems"] = .int(Int64(count.lowerBound))
            schema["maxItems"] = .int(Int64(count.upperBound))
        }
        return .object(schema)
    }

    // The arguments most tools share.
    static let guild = string(
        "The server (guild): its id or exact name. May be left out when the bot can use only one server.")
    static let channel = string("The channel: its id, #name or name (a thread works too).")
    static let member = string("The member: their user id, @name, username, display name or nickname.")
    static let role = string("The role: its id or name.")
    static let messageID = string("The message id.")
    static let content = string("Message text, at most 2000 characters (Discord markdown).", maxLength: 2000)
    static let embeds = list(
        "Up to 10 embeds, each {title, description, url, color, fields: [{name, value, inline}], footer: {text}}.",
        of: ["type": "object"], count: 0...10)
    static let emoji = string("The emoji: a unicode emoji like 👍, or a custom one as name:id.")
    static let reason = string("Why, for the server's audit log (at most 512 characters).", maxLength: 512)
    static let dryRun = boolean("true to see what would happen without changing anything.")
    static let confirmation = string(
        "The confirmation token from a dry run of this exact call; runs the action. Leave out to get the plan first.")
}
