import ArgumentParser
import GatewayApp

@main
struct MCPGatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp-gateway",
        abstract: "One OAuth-protected MCP endpoint in front of several MCP backends.",
        // BuildInfo is generated at build time (Plugins/BuildInfo): the commit the binary was built from.
        version: "mcp-gateway \(GatewayVersion.current) (\(BuildInfo.commit))",
        subcommands: [
            ServeCommand.self, HashPasswordCommand.self, CheckConfigCommand.self, ClientsCommand.self, TokensCommand.self,
            AuditCommand.self, PasswordCommand.self, KeysCommand.self, BackendsCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )
}
