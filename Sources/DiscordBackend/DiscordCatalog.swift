/// Every tool of the Discord backend, in the order they are listed.
enum DiscordCatalog {
    static let all: [DiscordTool] =
        GuildTools.all + ChannelTools.all + MessageTools.all + ReactionAndPinTools.all + ThreadTools.all + RoleTools.all
        + MemberTools.all + WebhookTools.all + InviteTools.all + EventTools.all + ModerationTools.all + [ResolveTool.tool]

    /// The tools a policy lets a client see: no writes when read-only, no `send_dm` unless DMs are on.
    static func visible(under policy: DiscordPolicy) -> [DiscordTool] {
        all.filter { tool in
            if policy.readOnly && tool.isWrite { return false }
            if tool.name == ModerationTools.sendDM.name && !policy.allowDirectMessages { return false }
            return true
        }
    }
}
