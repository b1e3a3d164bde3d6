import Foundation
import PackagePlugin

/// Records the commit the binary is built from (for `mcp-gateway --version`) in a generated source file.
/// A prebuild command runs before every build; the script rewrites its output only when the commit changed.
@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let directory = context.pluginWorkDirectoryURL.appending(path: "generated")
        let output = directory.appending(path: "BuildInfo.swift")
        var environment: [String: String] = [:]
        if let commit = ProcessInfo.processInfo.environment["MCP_GATEWAY_COMMIT"] {
            environment["MCP_GATEWAY_COMMIT"] = commit
        }
        return [
            .prebuildCommand(
                displayName: "Recording the build's commit",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [
                    context.package.directoryURL.appending(path: "scripts/build-info.sh").path,
                    context.package.directoryURL.path, output.path,
                ],
                environment: environment,
                outputFilesDirectory: directory)
        ]
    }
}
