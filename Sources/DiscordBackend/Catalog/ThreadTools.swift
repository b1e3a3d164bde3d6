import MCPCore

enum ThreadTools {
    static let all: [DiscordTool] = [createThread, listActiveThreads, archiveThread, createForumPost]

    static let archiveDurations = [60, 1440, 4320, 10080]

    static func archiveDuration(_ arguments: ToolArguments) throws(ToolFailure) -> Int? {
        guard let minutes = try arguments.int("auto_archive_minutes") else { return nil }
        guard archiveDurations.contains(minutes) else {
            throw ToolFailure("auto_archive_minutes must be 60, 1440, 4320 or 10080, not \(minutes)")
        }
        return minutes
    }

    static let archiveProperty = InputSchema.integer(
        "Minutes of inactivity before the thread archives itself: 60, 1440, 4320 or 10080.")

    static let createThread = DiscordTool(
        "create_thread", title: "Create thread", effect: .write,
        description: "Starts a thread in a text channel, from a message or on its own (private=true for a private thread).",
        properties: [
            "channel": InputSchema.channel, "guild": InputSchema.guild,
            "name": InputSchema.string("The thread's name (1-100 characters).", maxLength: 100),
            "message_id": InputSchema.string("Start the thread from this message."),
            "private": InputSchema.boolean("A private thread (only without message_id)."),
            "auto_archive_minutes": archiveProperty,
        ],
        required: ["channel", "name"]
    ) { arguments, context throws(ToolFailure) in
        let channel = try await context.channel(arguments)
        let name = try arguments.requiredString("name")
        guard (1...100).contains(name.count) else { throw ToolFailure("name must be 1 to 100 characters") }
        var body: [String: JSONValue] = ["name": .string(name)]
        if let minutes = try archiveDuration(arguments) { body["auto_archive_duration"] = .int(Int64(minutes)) }
        let path: String
        var plan = "start the thread \"\(name)\" in \(channel.label)"
        if let message = try arguments.snowflake("message_id") {
            guard try arguments.bool("private") != true else { throw ToolFailure("a thread from a message cannot be private") }
            path = "/channels/\(channel.id)/messages/\(message)/threads"
            plan += " from message \(message)"
        } else {
            path = "/channels/\(channel.id)/threads"
            let isPrivate = try arguments.bool("private") == true
            body["type"] = isPrivate ? 12 : 11
            if isPrivate { plan = "start the private thread \"\(name)\" in \(channel.label)" }
        }
        let payload = JSONValue.object(body)
        return .planned(
            PlannedWrite(plan) { () throws(ToolFailure) in
                let response = try await context.write("POST", path, body: payload, action: "start a thread in \(channel.label)")
                return ToolOutput(
                    "Started \(DiscordFormat.channel(response.body ?? .null)).", ["thread": response.body ?? .null],
                    discordStatus: response.status)
            })
    }

    static let listActiveThreads = DiscordTool(
        "list_active_threads", title: "List active threads", effect: .read,
        description: "Lists a server's active (not archived) threads and forum posts, with their parent channels.",
        properties: ["guild": InputSchema.guild]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let answer = try await context.get("/guilds/\(guild.id)/threads/active", action: "list active threads")
        let threads = (answer["threads"]?.arrayValue ?? []).filter { thread in
            context.policy.allowsChannel(thread["id"]?.stringValue ?? "")
                && context.policy.allowsChannel(thread["parent_id"]?.stringValue ?? "")
        }
        let lines = threads.map { "\(DiscordFormat.channel($0)) in \($0["parent_id"]?.stringValue ?? "?")" }
        return .done(
            ToolOutput(
                DiscordFormat.list("Active threads in \(guild.label)", lines, empty: "No active threads."),
                ["threads": .array(threads)]))
    }

    static let archiveThread = DiscordTool(
        "archive_thread", title: "Archive thread", effect: .write, idempotent: true,
        description: "Archives a thread (or forum post); lock=true also stops members from unarchiving it.",
        properties: [
            "channel": InputSchema.string("The thread: its id or name."), "guild": InputSchema.guild,
            "lock": InputSchema.boolean("Lock it too."),
        ],
        required: ["channel"]
    ) { arguments, context throws(ToolFailure) in
        let thread = try await context.channel(arguments)
        guard DiscordContext.isThread(thread.object ?? .null) else { throw ToolFailure("\(thread.label) is not a thread") }
        let lock = try arguments.bool("lock") == true
        let body: JSONValue = lock ? ["archived": true, "locked": true] : ["archived": true]
        return .planned(
            PlannedWrite("archive\(lock ? " and lock" : "") the thread \(thread.label)") { () throws(ToolFailure) in
                let response = try await context.write(
                    "PATCH", "/channels/\(thread.id)", body: body, action: "archive \(thread.label)")
                return ToolOutput(
                    "Archived\(lock ? " and locked" : "") \(thread.label).", ["thread": response.body ?? .null],
                    discordStatus: response.status)
            })
    }

    static let createForumPost = DiscordTool(
        "create_forum_post", title: "Create forum post", effect: .write,
        description: "Opens a post (a thread with a first message) in a forum channel, optionally with the forum's tags.",
        properties: [
            "channel": InputSchema.string("The forum channel: id, #name or name."), "guild": InputSchema.guild,
            "title": InputSchema.string("The post's title (1-100 characters).", maxLength: 100),
            "content": InputSchema.content, "embeds": InputSchema.embeds,
            "tags": InputSchema.list("Names of the forum's tags to apply (up to 5)."),
            "auto_archive_minutes": archiveProperty,
        ],
        required: ["channel", "title"]
    ) { arguments, context throws(ToolFailure) in
        let forum = try await context.channel(arguments)
        guard [15, 16].contains(DiscordFormat.int(forum.object?["type"]) ?? -1) else {
            throw ToolFailure("\(forum.label) is not a forum channel")
        }
        let title = try arguments.requiredString("title")
        guard (1...100).contains(title.count) else { throw ToolFailure("title must be 1 to 100 characters") }
        var message = try MessageBody.make(arguments)
        message["allowed_mentions"] = ["parse": ["users", "roles"]]
        var body: [String: JSONValue] = ["name": .string(title), "message": .object(message)]
        if let minutes = try archiveDuration(arguments) { body["auto_archive_duration"] = .int(Int64(minutes)) }
        let available = forum.object?["available_tags"]?.arrayValue ?? []
        var tagIDs: [JSONValue] = []
        for tag in try arguments.stringList("tags") ?? [] {
            guard
                let match = available.first(where: {
                    $0["name"]?.stringValue?.lowercased() == tag.lowercased() || $0["id"]?.stringValue == tag
                }),
                let id = match["id"]?.stringValue
            else {
                throw ToolFailure(NameMatching.notFound("tag", tag, candidates: available.compactMap { $0["name"]?.stringValue }))
            }
            tagIDs.append(.string(id))
        }
        guard tagIDs.count <= 5 else { throw ToolFailure("a post takes at most 5 tags") }
        if !tagIDs.isEmpty { body["applied_tags"] = .array(tagIDs) }
        let payload = JSONValue.object(body)
        return .planned(
            PlannedWrite("open the post \"\(title)\" in \(forum.label) with \(MessageBody.preview(message))") {
                () throws(ToolFailure) in
                let response = try await context.write(
                    "POST", "/channels/\(forum.id)/threads", body: payload, action: "open a post in \(forum.label)")
                return ToolOutput(
                    "Opened \(DiscordFormat.channel(response.body ?? .null)).", ["thread": response.body ?? .null],
                    discordStatus: response.status)
            })
    }
}
