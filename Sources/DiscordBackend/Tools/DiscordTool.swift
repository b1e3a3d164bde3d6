import MCPCore

/// One tool of the Discord backend: what it is called, what it does to a server, and how it runs.
struct DiscordTool: Sendable {
    enum Effect: Sendable {
        /// Reads only.
        case read
        /// Changes something that is easy to see and undo (a message, a reaction, a thread): runs at once, with an
        /// optional `dry_run`.
        case write
        /// Deletes, bans, permission and role changes and the like: planned first, then confirmed.
        case destructive
    }

    typealias Prepare = @Sendable (ToolArguments, DiscordContext) async throws(ToolFailure) -> ToolStep

    let name: String
    let title: String
    let description: String
    let effect: Effect
    /// Doing it twice leaves the server as doing it once.
    let idempotent: Bool
    /// The tool's own arguments; `reason`, `dry_run` and `confirmation` are added for writes.
    let properties: KeyValuePairs<String, JSONValue>
    let required: [String]
    let prepare: Prepare

    init(
        _ name: String, title: String, effect: Effect, idempotent: Bool = false, description: String,
        properties: KeyValuePairs<String, JSONValue> = [:], required: [String] = [], prepare: @escaping Prepare
    ) {
        self.name = name
        self.title = title
        self.effect = effect
        self.idempotent = idempotent || effect == .read
        self.description = description
        self.properties = properties
        self.required = required
        self.prepare = prepare
    }

    var isWrite: Bool { effect != .read }

    /// The argument names the tool accepts.
    var argumentNames: Set<String> {
        var names = Set(properties.map(\.key))
        if isWrite { names.formUnion(["reason", "dry_run"]) }
        if effect == .destructive { names.insert("confirmation") }
        return names
    }

    /// The entry of `tools/list`.
    func definition(confirmationRequired: Bool) -> JSONValue {
        var schema = InputSchema.object(properties, required: required)
        if case .object(var fields) = schema, case .object(var properties)? = fields["properties"] {
            if isWrite {
                properties["reason"] = InputSchema.reason
                properties["dry_run"] = InputSchema.dryRun
            }
            if effect == .destructive && confirmationRequired { properties["confirmation"] = InputSchema.confirmation }
            fields["properties"] = .object(properties)
            schema = .object(fields)
        }
        var text = description
        if effect == .destructive && confirmationRequired {
            text +=
                " Destructive: the first call only returns the plan and a confirmation token (or asks the user); call again with `confirmation` to run it."
        }
        return [
            "name": .string(name),
            "title": .string(title),
            "description": .string(text),
            "inputSchema": schema,
            "annotations": [
                "title": .string(title),
                "readOnlyHint": .bool(effect == .read),
                "destructiveHint": .bool(effect == .destructive),
                "idempotentHint": .bool(idempotent),
                "openWorldHint": true,
            ],
        ]
    }
}

/// What preparing a call produced: a finished read, or a write planned and ready to run.
enum ToolStep: Sendable {
    case done(ToolOutput)
    case planned(PlannedWrite)
}

/// A write with everything checked and resolved: the plan in plain words, and the request that carries it out.
struct PlannedWrite: Sendable {
    typealias Perform = @Sendable () async throws(ToolFailure) -> ToolOutput

    /// What will happen, e.g. "delete the channel #old-news (123…) in Test Guild".
    let plan: String
    let perform: Perform

    init(_ plan: String, perform: @escaping Perform) {
        self.plan = plan
        self.perform = perform
    }
}
