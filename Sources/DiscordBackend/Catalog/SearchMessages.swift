import MCPCore

/// `search_messages`: Discord's guild search when the bot may use it, otherwise a bounded scan of recent history.
enum SearchMessages {
    /// How far the scan reaches: messages per channel and channels per search.
    static let scanPerChannel = 300
    static let scanChannels = 8

    static let tool = DiscordTool(
        "search_messages", title: "Search messages", effect: .read,
        description:
            "Finds messages containing some text, optionally in one channel and/or by one member. Uses Discord's server search; where that is unavailable, scans the most recent messages (up to 300 per channel).",
        properties: [
            "guild": InputSchema.guild, "query": InputSchema.string("Text to look for (case does not matter).", maxLength: 1024),
            "channel": InputSchema.channel, "author": InputSchema.member,
            "limit": InputSchema.integer("At most this many results (default 25).", range: 1...25),
        ],
        required: ["query"]
    ) { arguments, context throws(ToolFailure) in
        let query = try arguments.requiredString("query")
        let limit = try arguments.int("limit", in: 1...25) ?? 25
        let channel = try await arguments.string("channel").asyncMap { reference throws(ToolFailure) in
            try await context.channel(reference, in: arguments)
        }
        let guildID: String
        if let channelGuild = channel?.guildID {
            guildID = channelGuild
        } else {
            guildID = try await context.guild(arguments).id
        }
        let author = try await arguments.string("author").asyncMap { reference throws(ToolFailure) in
            try await context.member(reference, guild: guildID)
        }
        var found: [JSONValue]
        var method = "Discord's search"
        if let results = try await guildSearch(
            query, guild: guildID, channel: channel, author: author, limit: limit, context: context)
        {
            found = results
        } else {
            method = "a scan of recent messages"
            found = try await scan(query, guild: guildID, channel: channel, author: author, limit: limit, context: context)
        }
        found = found.filter { context.policy.allowsChannel($0["channel_id"]?.stringValue ?? "") }
        let lines = found.map { "in \($0["channel_id"]?.stringValue ?? "?"): " + DiscordFormat.message($0) }
        return .done(
            ToolOutput(
                DiscordFormat.list(
                    "Messages matching \"\(query)\" (\(method))", lines, empty: "No message matches \"\(query)\" (\(method))."),
                ["messages": .array(found), "method": .string(method == "Discord's search" ? "search" : "scan")]))
    }

    /// Discord's own search; nil when it cannot be used (no access, or the index is still being built).
    static func guildSearch(
        _ text: String, guild: String, channel: Resolved?, author: Resolved?, limit: Int, context: DiscordContext
    ) async throws(ToolFailure) -> [JSONValue]? {
        var query = [("content", text), ("limit", String(limit))]
        if let channel { query.append(("channel_id", channel.id)) }
        if let author { query.append(("author_id", author.id)) }
        let response: DiscordRESTClient.Response
        do {
            response = try await context.rest.send(
                DiscordRoute("GET", "/guilds/\(guild)/messages/search"), query: query, action: "search the server's messages")
        } catch {
            if let status = error.status, [403, 404].contains(status) { return nil }
            throw ToolFailure(error)
        }
        // 202: Discord is still indexing the server and asks to come back later.
        guard response.status == 200, let groups = response.body?["messages"]?.arrayValue else { return nil }
        return groups.compactMap { $0.arrayValue?.first ?? ($0.objectValue != nil ? $0 : nil) }
    }

    /// Reads recent history page by page and keeps what matches.
    static func scan(
        _ text: String, guild: String, channel: Resolved?, author: Resolved?, limit: Int, context: DiscordContext
    ) async throws(ToolFailure) -> [JSONValue] {
        var channelIDs: [String]
        if let channel {
            channelIDs = [channel.id]
        } else {
            let channels =
                try await context.get("/guilds/\(guild)/channels", action: "list the server's channels").arrayValue ?? []
            channelIDs = channels.filter { [0, 5].contains(DiscordFormat.int($0["type"]) ?? -1) }
                .compactMap { $0["id"]?.stringValue }.filter(context.policy.allowsChannel).prefix(scanChannels).map { $0 }
        }
        let needle = text.lowercased()
        var found: [JSONValue] = []
        for channelID in channelIDs {
            var before: String?
            var read = 0
            while read < scanPerChannel && found.count < limit {
                var query = [("limit", "100")]
                if let before { query.append(("before", before)) }
                let page =
                    try await context.get("/channels/\(channelID)/messages", query: query, action: "read recent messages")
                    .arrayValue ?? []
                read += page.count
                for message in page where (message["content"]?.stringValue ?? "").lowercased().contains(needle) {
                    if let author, message["author"]?["id"]?.stringValue != author.id { continue }
                    found.append(message)
                }
                guard page.count == 100, let last = page.last?["id"]?.stringValue else { break }
                before = last
            }
            if found.count >= limit { break }
        }
        return Array(found.prefix(limit))
    }
}

extension Optional {
    /// `map` for an async transform with typed errors.
    func asyncMap<Mapped, Failure: Error>(_ transform: (Wrapped) async throws(Failure) -> Mapped) async throws(Failure)
        -> Mapped?
    {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
