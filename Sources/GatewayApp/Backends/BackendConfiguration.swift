import DiscordBackend
import Foundation

/// All configured backends: those of the backends file, then those of `MCP_BACKEND_<NAME>` variables.
public enum BackendConfiguration {
    public static let environmentPrefix = "MCP_BACKEND_"
    public static let defaultFile = "./backends.json"

    /// `environment` is what `${VAR}` references expand from (the process environment merged over `.env`).
    public static func load(settings: GatewaySettings, environment: [String: String]) throws(SettingsError) -> [BackendDefinition]
    {
        var definitions: [BackendDefinition] = []
        if let path = try filePath(settings: settings) {
            let bytes: [UInt8]
            do {
                bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw SettingsError(GatewaySettings.Name.backendsFile, "cannot read \(path): \(error.localizedDescription)")
            }
            do {
                definitions = try BackendsFile.parse(bytes, source: path, environment: environment)
            } catch {
                throw error.settingsError
            }
        }
        for definition in try environmentBackends(environment) + (try discordBackend(environment, besides: definitions)) {
            if let existing = definitions.first(where: { $0.name == definition.name }) {
                throw SettingsError(
                    definition.source,
                    "names backend \"\(definition.name)\", which \(existing.source) already defines; rename one")
            }
            definitions.append(definition)
        }
        return definitions
    }

    /// The file named by `BACKENDS_FILE` (which must exist), else `./backends.json`, else `<data dir>/backends.json`,
    /// whichever exists first.
    static func filePath(settings: GatewaySettings) throws(SettingsError) -> String? {
        guard let path = settings.backendsFile else {
            return [defaultFile, settings.dataDirectory + "/backends.json"].first { FileManager.default.fileExists(atPath: $0) }
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SettingsError(
                GatewaySettings.Name.backendsFile,
                "\(path) does not exist: create it (from backends.example.json, or {\"backends\": {}} for none), "
                    + "or unset \(GatewaySettings.Name.backendsFile)")
        }
        if isDirectory.boolValue {
            throw SettingsError(
                GatewaySettings.Name.backendsFile,
                "\(path) is a folder, not a file (Docker creates one when a file it should mount is missing): remove it, "
                    + "create the file (from backends.example.json), and mount the folder that holds it")
        }
        return path
    }

    /// `DISCORD_BOT_TOKEN` alone adds the built-in Discord backend `discord`, set up by the other `DISCORD_*`
    /// variables, unless the backends file already has a Discord entry (which then uses the variables it names).
    static func discordBackend(_ environment: [String: String], besides definitions: [BackendDefinition]) throws(SettingsError)
        -> [BackendDefinition]
    {
        guard let fields = DiscordBackendSettings.fields(fromEnvironment: environment) else { return [] }
        if definitions.contains(where: { if case .discord = $0.transport { true } else { false } }) { return [] }
        let settings: DiscordBackendSettings
        do throws(DiscordBackendSettings.Problem) {
            settings = try DiscordBackendSettings(fields: fields)
        } catch {
            let variable = DiscordBackendSettings.variables.first { $0.key == error.field }?.value ?? error.field
            throw SettingsError(variable, error.message)
        }
        return [
            BackendDefinition(
                name: "discord", prefix: "discord", transport: .discord(settings), headers: [:],
                timeoutSeconds: BackendDefinition.defaultTimeoutSeconds, enabled: true, allowedTools: [], deniedTools: [],
                source: "DISCORD_BOT_TOKEN")
        ]
    }

    /// `MCP_BACKEND_DOCS=https://…` adds the Streamable HTTP backend `docs`.
    static func environmentBackends(_ environment: [String: String]) throws(SettingsError) -> [BackendDefinition] {
        var definitions: [BackendDefinition] = []
        for key in environment.keys.sorted() where key.hasPrefix(environmentPrefix) && key.count > environmentPrefix.count {
            let name = BackendNames.normalized(String(key.dropFirst(environmentPrefix.count)))
            let url = environment[key]!.trimmingCharacters(in: .whitespaces)
            guard BackendNames.isValid(name) else {
                throw SettingsError(key, "the part after \(environmentPrefix) must make a backend name of a-z, 0-9 and -")
            }
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
                scheme == "http" || scheme == "https", components.host?.isEmpty == false
            else {
                throw SettingsError(key, "must be the backend's absolute http(s) MCP URL (got \"\(url)\")")
            }
            definitions.append(
                BackendDefinition(
                    name: name, prefix: name, transport: .streamableHTTP(url: url), headers: [:],
                    timeoutSeconds: BackendDefinition.defaultTimeoutSeconds, enabled: true, allowedTools: [], deniedTools: [],
                    source: key))
        }
        return definitions
    }
}
