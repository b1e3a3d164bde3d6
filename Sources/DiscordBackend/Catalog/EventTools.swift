import Foundation
import MCPCore

enum EventTools {
    static let all: [DiscordTool] = [listEvents, getEvent, createEvent, editEvent, deleteEvent, listEventUsers]

    static let statusNames: [Int64: String] = [1: "scheduled", 2: "active", 3: "completed", 4: "canceled"]
    static let statusNumbers: [String: Int64] = ["scheduled": 1, "active": 2, "completed": 3, "canceled": 4]

    static func line(_ event: JSONValue) -> String {
        var text =
            "\(event["name"]?.stringValue ?? "?") (id \(event["id"]?.stringValue ?? "?")): \(event["scheduled_start_time"]?.stringValue ?? "?")"
        if let end = event["scheduled_end_time"]?.stringValue { text += " to \(end)" }
        if let location = event["entity_metadata"]?["location"]?.stringValue { text += " at \(location)" }
        if let channel = event["channel_id"]?.stringValue { text += " in channel \(channel)" }
        text += ", \(statusNames[DiscordFormat.int(event["status"]) ?? 0] ?? "unknown status")"
        if let count = DiscordFormat.int(event["user_count"]) { text += ", \(count) interested" }
        return text
    }

    /// An ISO 8601 time, as Discord wants it.
    static func time(_ arguments: ToolArguments, _ key: String) throws(ToolFailure) -> String? {
        guard let text = try arguments.string(key) else { return nil }
        guard let date = Timestamp.date(text) else {
            throw ToolFailure("\(key) must be an ISO 8601 time with zone, like 2026-12-01T18:00:00Z")
        }
        return Timestamp.string(date)
    }

    static let eventFields: KeyValuePairs<String, JSONValue> = [
        "guild": InputSchema.guild, "name": InputSchema.string("The event's name (1-100 characters).", maxLength: 100),
        "start_time": InputSchema.string("When it starts: ISO 8601, e.g. 2026-12-01T18:00:00Z."),
        "end_time": InputSchema.string("When it ends (required for events with a location)."),
        "description": InputSchema.string("What it is about (at most 1000 characters).", maxLength: 1000),
        "location": InputSchema.string("A place or link, for an event outside Discord."),
        "channel": InputSchema.string("A voice or stage channel, for an event in Discord."),
    ]

    /// The event's fields from the arguments: body and words.
    static func eventBody(_ arguments: ToolArguments, context: DiscordContext, creating: Bool) async throws(ToolFailure) -> (
        [String: JSONValue], [String]
    ) {
        var body: [String: JSONValue] = [:]
        var words: [String] = []
        if let name = try arguments.string("name") {
            guard (1...100).contains(name.count) else { throw ToolFailure("name must be 1 to 100 characters") }
            body["name"] = .string(name)
            words.append("\"\(name)\"")
        }
        if let start = try time(arguments, "start_time") {
            body["scheduled_start_time"] = .string(start)
            words.append("starting \(start)")
        }
        if let end = try time(arguments, "end_time") {
            body["scheduled_end_time"] = .string(end)
            words.append("ending \(end)")
        }
        if let description = try arguments.string("description") { body["description"] = .string(description) }
        if let location = try arguments.string("location") {
            guard (1...100).contains(location.count) else { throw ToolFailure("location must be 1 to 100 characters") }
            body["entity_type"] = 3
            body["entity_metadata"] = ["location": .string(location)]
            body["channel_id"] = .null
            words.append("at \(location)")
        } else if let reference = try arguments.string("channel") {
            let channel = try await context.channel(reference, in: arguments)
            let type = DiscordFormat.int(channel.object?["type"])
            guard type == 2 || type == 13 else { throw ToolFailure("\(channel.label) is not a voice or stage channel") }
            body["entity_type"] = type == 13 ? 1 : 2
            body["channel_id"] = .string(channel.id)
            words.append("in \(channel.label)")
        } else if creating {
            throw ToolFailure("give location (somewhere outside Discord) or channel (a voice or stage channel)")
        }
        if creating {
            guard body["name"] != nil, body["scheduled_start_time"] != nil else {
                throw ToolFailure("name and start_time are required")
            }
            if body["entity_type"] == 3 && body["scheduled_end_time"] == nil {
                throw ToolFailure("an event with a location needs end_time")
            }
            body["privacy_level"] = 2
            if body["channel_id"] == .null { body["channel_id"] = nil }
        }
        return (body, words)
    }

    static func eventID(_ arguments: ToolArguments) throws(ToolFailure) -> String {
        try arguments.requiredSnowflake("event_id")
    }

    static let listEvents = DiscordTool(
        "list_events", title: "List events", effect: .read,
        description: "Lists a server's scheduled events with times, places and how many are interested.",
        properties: ["guild": InputSchema.guild]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let events =
            try await context.get(
                "/guilds/\(guild.id)/scheduled-events", query: [("with_user_count", "true")], action: "list events"
            ).arrayValue ?? []
        return .done(
            ToolOutput(
                DiscordFormat.list("Events in \(guild.label)", events.map(line), empty: "No scheduled events."),
                ["events": .array(events)]))
    }

    static let getEvent = DiscordTool(
        "get_event", title: "Get event", effect: .read,
        description: "Shows one scheduled event.",
        properties: ["guild": InputSchema.guild, "event_id": InputSchema.string("The event's id.")], required: ["event_id"]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let id = try eventID(arguments)
        let event = try await context.get(
            "/guilds/\(guild.id)/scheduled-events/\(id)", query: [("with_user_count", "true")], action: "get event \(id)")
        var text = line(event)
        if let description = event["description"]?.stringValue { text += "\n\(description)" }
        return .done(ToolOutput(text, ["event": event]))
    }

    static let createEvent = DiscordTool(
        "create_event", title: "Create event", effect: .write,
        description: "Schedules an event, in a voice or stage channel or at a place outside Discord.",
        properties: eventFields, required: ["name", "start_time"]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let (body, words) = try await eventBody(arguments, context: context, creating: true)
        let payload = JSONValue.object(body)
        return .planned(
            PlannedWrite("schedule the event \(words.joined(separator: " ")) in \(guild.label)") { () throws(ToolFailure) in
                let response = try await context.write(
                    "POST", "/guilds/\(guild.id)/scheduled-events", body: payload, action: "schedule an event")
                return ToolOutput(
                    "Scheduled \(line(response.body ?? .null)).", ["event": response.body ?? .null],
                    discordStatus: response.status)
            })
    }

    static let editEvent = DiscordTool(
        "edit_event", title: "Edit event", effect: .write, idempotent: true,
        description:
            "Changes a scheduled event's name, times, description or place, or its status (active, completed, canceled).",
        properties: [
            "guild": InputSchema.guild, "event_id": InputSchema.string("The event's id."),
            "name": InputSchema.string("New name.", maxLength: 100), "start_time": InputSchema.string("New start (ISO 8601)."),
            "end_time": InputSchema.string("New end (ISO 8601)."),
            "description": InputSchema.string("New description.", maxLength: 1000),
            "location": InputSchema.string("New place outside Discord."),
            "channel": InputSchema.string("New voice or stage channel."),
            "status": InputSchema.string("Start, end or cancel it.", choices: ["active", "completed", "canceled"]),
        ],
        required: ["event_id"]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let id = try eventID(arguments)
        var (body, words) = try await eventBody(arguments, context: context, creating: false)
        if let status = try arguments.choice("status", ["active", "completed", "canceled"]) {
            body["status"] = .int(statusNumbers[status]!)
            words.append("status \(status)")
        }
        guard !body.isEmpty else { throw ToolFailure("nothing to change") }
        let payload = JSONValue.object(body)
        return .planned(
            PlannedWrite("change event \(id) in \(guild.label): \(words.joined(separator: ", "))") { () throws(ToolFailure) in
                let response = try await context.write(
                    "PATCH", "/guilds/\(guild.id)/scheduled-events/\(id)", body: payload, action: "edit event \(id)")
                return ToolOutput(
                    "Edited \(line(response.body ?? .null)).", ["event": response.body ?? .null], discordStatus: response.status)
            })
    }

    static let deleteEvent = DiscordTool(
        "delete_event", title: "Delete event", effect: .destructive, idempotent: true,
        description: "Deletes a scheduled event.",
        properties: ["guild": InputSchema.guild, "event_id": InputSchema.string("The event's id.")], required: ["event_id"]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let id = try eventID(arguments)
        let event = try await context.get("/guilds/\(guild.id)/scheduled-events/\(id)", action: "get event \(id)")
        return .planned(
            PlannedWrite("delete the event \(line(event))") { () throws(ToolFailure) in
                let response = try await context.write(
                    "DELETE", "/guilds/\(guild.id)/scheduled-events/\(id)", action: "delete event \(id)")
                return ToolOutput("Deleted the event \(id).", ["deleted": .string(id)], discordStatus: response.status)
            })
    }

    static let listEventUsers = DiscordTool(
        "list_event_users", title: "List interested users", effect: .read,
        description: "Lists the users interested in a scheduled event.",
        properties: [
            "guild": InputSchema.guild, "event_id": InputSchema.string("The event's id."),
            "limit": InputSchema.integer("How many (default 100).", range: 1...100),
        ],
        required: ["event_id"]
    ) { arguments, context throws(ToolFailure) in
        let guild = try await context.guild(arguments)
        let id = try eventID(arguments)
        let limit = try arguments.int("limit", in: 1...100) ?? 100
        let users =
            try await context.get(
                "/guilds/\(guild.id)/scheduled-events/\(id)/users", query: [("limit", String(limit)), ("with_member", "true")],
                action: "list interested users"
            ).arrayValue ?? []
        let lines = users.map { "\(DiscordFormat.userName($0["user"])) (id \($0["user"]?["id"]?.stringValue ?? "?"))" }
        return .done(
            ToolOutput(
                DiscordFormat.list("Interested in event \(id)", lines, empty: "No one is interested yet."),
                ["users": .array(users)]))
    }
}
