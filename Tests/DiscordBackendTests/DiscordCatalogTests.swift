import MCPCore
import Testing

@testable import DiscordBackend

@Suite struct DiscordCatalogTests {
    /// The tools the issue asks for, by name: none may go missing.
    static let expected: Set<String> = [
        "list_guilds", "get_guild", "list_channels", "get_channel", "create_channel", "edit_channel", "delete_channel",
        "set_channel_permissions", "delete_channel_permissions", "read_messages", "get_message", "send_message",
        "edit_message", "delete_message", "bulk_delete_messages", "search_messages", "add_reaction", "remove_reaction",
        "list_reactions", "list_pins", "pin_message", "unpin_message", "create_thread", "list_active_threads",
        "archive_thread", "create_forum_post", "list_roles", "create_role", "edit_role", "delete_role", "add_member_role",
        "remove_member_role", "list_members", "get_member", "search_members", "set_nickname", "timeout_member",
        "remove_timeout", "kick_member", "ban_member", "unban_member", "list_bans", "list_webhooks", "create_webhook",
        "edit_webhook", "delete_webhook", "execute_webhook", "list_invites", "create_invite", "get_invite", "delete_invite",
        "list_events", "get_event", "create_event", "edit_event", "delete_event", "list_event_users", "read_audit_log",
        "list_emojis", "list_automod_rules", "send_dm", "resolve",
    ]

    /// Deletes, bans, kicks, timeouts, permission and role changes, webhook and invite creation and deletion, event deletion.
    static let mustConfirm: Set<String> = [
        "delete_channel", "set_channel_permissions", "delete_channel_permissions", "delete_message", "bulk_delete_messages",
        "create_role", "edit_role", "delete_role", "add_member_role", "remove_member_role", "timeout_member", "kick_member",
        "ban_member", "unban_member", "create_webhook", "delete_webhook", "create_invite", "delete_invite", "delete_event",
    ]

    @Test func theCatalogHasEveryToolOnce() {
        let names = DiscordCatalog.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(Set(names) == Self.expected)
    }

    @Test func destructiveToolsAreExactlyTheOnesThatNeedConfirmation() {
        let destructive = Set(DiscordCatalog.all.filter { $0.effect == .destructive }.map(\.name))
        #expect(destructive == Self.mustConfirm)
    }

    @Test func everyDefinitionIsCompleteAndAnnotated() throws {
        for tool in DiscordCatalog.all {
            let definition = tool.definition(confirmationRequired: true)
            let name = try #require(definition["name"]?.stringValue)
            // With the default prefix "discord__" the exposed name stays within MCP's 64 characters.
            #expect(("discord__" + name).count <= 64)
            #expect((definition["description"]?.stringValue?.count ?? 0) > 20, "\(name) needs a description a model can act on")
            let schema = try #require(definition["inputSchema"])
            #expect(schema["type"] == "object")
            #expect(schema["additionalProperties"] == false)
            let properties = try #require(schema["properties"]?.objectValue)
            for required in schema["required"]?.arrayValue ?? [] {
                #expect(properties[required.stringValue ?? ""] != nil, "\(name) requires an argument it does not describe")
            }
            #expect(Set(properties.keys) == tool.argumentNames, "\(name): schema and accepted arguments differ")
            let annotations = try #require(definition["annotations"])
            #expect(annotations["readOnlyHint"] == .bool(tool.effect == .read))
            #expect(annotations["destructiveHint"] == .bool(tool.effect == .destructive))
            #expect(annotations["openWorldHint"] == true)
            #expect(annotations["idempotentHint"]?.boolValue != nil)
            if tool.isWrite {
                #expect(properties["reason"] != nil && properties["dry_run"] != nil)
            }
            #expect((properties["confirmation"] != nil) == (tool.effect == .destructive))
        }
    }

    @Test func readOnlyListsNoWriteAndDirectMessagesNeedTheirSwitch() {
        var policy = DiscordPolicy()
        #expect(!DiscordCatalog.visible(under: policy).contains { $0.name == "send_dm" })
        policy.allowDirectMessages = true
        #expect(DiscordCatalog.visible(under: policy).contains { $0.name == "send_dm" })
        policy.readOnly = true
        let visible = DiscordCatalog.visible(under: policy)
        #expect(!visible.isEmpty && visible.allSatisfy { $0.effect == .read })
    }

    @Test func webhookSecretsAreScrubbedAtAnyDepth() {
        let webhook: JSONValue = [
            "id": "123456789012345678", "token": "secret-token", "url": "https://discord.com/api/webhooks/1/secret-token",
            "name": "hook",
        ]
        let scrubbed = DiscordSecrets.scrub(["webhooks": [webhook], "note": "https://discord.com/api/webhooks/1/secret-token"])
        let text = scrubbed.serializedString
        #expect(!text.contains("secret-token"))
        #expect(scrubbed["webhooks"]?.arrayValue?.first?["name"] == "hook")
    }

    @Test func closeMatchesFindTyposAndParts() {
        let channels = ["general", "support", "support-archive", "announcements", "off-topic"]
        #expect(NameMatching.closeMatches(for: "suport", in: channels).first == "support")
        #expect(NameMatching.closeMatches(for: "announce", in: channels) == ["announcements"])
        #expect(NameMatching.closeMatches(for: "zzzzzz", in: channels).isEmpty)
        #expect(NameMatching.notFound("channel", "#suport", candidates: channels).contains("close matches: support"))
    }

    @Test func permissionNamesBecomeDiscordsDecimalStrings() throws {
        #expect(try DiscordPermissions.value(["VIEW_CHANNEL", "send messages"], field: "allow") == String(1 << 10 | 1 << 11))
        #expect(DiscordPermissions.names(String(1 << 10 | 1 << 40)) == ["MODERATE_MEMBERS", "VIEW_CHANNEL"])
        #expect(throws: ToolFailure.self) { try DiscordPermissions.value(["SEND_MESAGES"], field: "allow") }
    }
}
