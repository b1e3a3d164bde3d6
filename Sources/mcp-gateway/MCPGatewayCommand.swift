import ArgumentParser

@main
struct MCPGatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp-gateway",
        abstract: "One OAuth-protected MCP endpoint in front of several MCP backends.",
        subcommands: [
            ServeCommand.self, HashPasswordCommand.self, CheckConfigCommand.self, ClientsCommand.self, TokensCommand.self,
            AuditCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )
}
