import Foundation
import MCPBackends
import MCPCore

/// A command backend's `"sandbox"` setting: `false` (the operator's own backends only), absent or `true` (the
/// default profile), or an object that changes the profile:
/// `{"network": "none"|"proxy"|"host", "binds": ["/path"], "memory_mb": 2048, "cpu_seconds": 600, "processes": 64,
/// "open_files": 256, "tmp_mb": 64, "message_mb": 16, "output_mb_per_minute": 256}`.
enum SandboxSettings {
    struct Problem: Error {
        var field: String
        var message: String
    }

    static let fields: Set<String> = [
        "network", "binds", "memory_mb", "cpu_seconds", "processes", "open_files", "tmp_mb", "message_mb",
        "output_mb_per_minute",
    ]

    /// The profile `value` asks for; nil for `false`.
    static func profile(_ value: JSONValue?) throws(Problem) -> SandboxProfile? {
        switch value {
        case nil, .bool(true)?: return SandboxProfile()
        case .bool(false)?: return nil
        case .object(let settings)?: return try profile(settings)
        default: throw Problem(field: "sandbox", message: "must be true, false or an object of sandbox settings")
        }
    }

    private static func profile(_ settings: [String: JSONValue]) throws(Problem) -> SandboxProfile {
        if let unknown = settings.keys.sorted().first(where: { !fields.contains($0) }) {
            throw Problem(
                field: "sandbox.\(unknown)", message: "is not a sandbox setting (\(fields.sorted().joined(separator: ", ")))")
        }
        var profile = SandboxProfile()
        if let network = settings["network"] {
            guard let name = network.stringValue, let value = SandboxProfile.Network(rawValue: name) else {
                throw Problem(field: "sandbox.network", message: "must be \"none\", \"proxy\" or \"host\"")
            }
            profile.network = value
        }
        if let binds = settings["binds"] {
            guard let paths = binds.arrayValue?.compactMap(\.stringValue), paths.count == binds.arrayValue?.count else {
                throw Problem(field: "sandbox.binds", message: "must be a list of absolute paths")
            }
            profile.readOnlyPaths = try paths.map { path throws(Problem) in try bindable(path) }
        }
        let mebibyte: UInt64 = 1 << 20
        if let value = try number(settings, "memory_mb", 64...1_048_576) { profile.limits.memoryBytes = value * mebibyte }
        if let value = try number(settings, "cpu_seconds", 1...86_400) { profile.limits.cpuSeconds = value }
        if let value = try number(settings, "processes", 1...4096) { profile.limits.processes = value }
        if let value = try number(settings, "open_files", 16...65_536) { profile.limits.openFiles = value }
        if let value = try number(settings, "tmp_mb", 1...65_536) { profile.limits.tmpBytes = value * mebibyte }
        if let value = try number(settings, "message_mb", 1...256) { profile.limits.messageBytes = Int(value * mebibyte) }
        if let value = try number(settings, "output_mb_per_minute", 1...65_536) {
            profile.limits.outputBytesPerMinute = Int(value * mebibyte)
        }
        return profile
    }

    /// A path a sandbox may have bound read-only: absolute, without `..`, not the root, and there.
    static func bindable(_ path: String) throws(Problem) -> String {
        let normalized = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        guard normalized.hasPrefix("/"), normalized != "/",
            !normalized.split(separator: "/").contains(where: { $0 == ".." || $0 == "." })
        else {
            throw Problem(field: "sandbox.binds", message: "\"\(path)\" must be an absolute path below / without . or ..")
        }
        guard FileManager.default.fileExists(atPath: normalized) else {
            throw Problem(field: "sandbox.binds", message: "\(normalized) does not exist")
        }
        return normalized
    }

    private static func number(_ settings: [String: JSONValue], _ field: String, _ range: ClosedRange<UInt64>)
        throws(Problem) -> UInt64?
    {
        guard let value = settings[field] else { return nil }
        guard case .int(let number) = value, number >= 0, range.contains(UInt64(number)) else {
            throw Problem(
                field: "sandbox.\(field)", message: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return UInt64(number)
    }
}
