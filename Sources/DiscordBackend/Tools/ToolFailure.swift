/// Why a tool call could not be done, in words for the model; returned as a tool error (`isError`), not a
/// protocol error, so the model can read it and try differently.
struct ToolFailure: Error, Sendable, CustomStringConvertible {
    let description: String
    /// Discord's HTTP status, when Discord refused.
    let discordStatus: Int?

    init(_ description: String, discordStatus: Int? = nil) {
        self.description = description
        self.discordStatus = discordStatus
    }

    init(_ failure: DiscordRESTClient.Failure) {
        self.init(failure.description, discordStatus: failure.status)
    }

    init(_ violation: DiscordLimits.Violation) {
        self.init(violation.description)
    }
}
