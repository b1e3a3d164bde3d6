import Foundation

extension MemberBackendService {
    /// A command backend's sandbox from `input`: a member's has no network or the proxied one, and sees only paths
    /// below those the operator lets members bind; the operator's may also have the host's network.
    func applySandbox(_ input: BackendInput, to backend: inout MemberBackend, viewer: Viewer) throws(MemberBackendError) {
        guard let sandbox = input.sandbox else { return }
        guard case .stdio = backend.transport else {
            throw MemberBackendError(.invalid, "sandbox is for command (stdio) backends")
        }
        let isMember = if case .member = viewer { true } else { false }
        if let network = sandbox.network {
            let allowed = isMember ? ["none", "proxy"] : ["none", "proxy", "host"]
            guard allowed.contains(network) else {
                throw MemberBackendError(
                    isMember && network == "host" ? .forbidden : .invalid,
                    isMember && network == "host"
                        ? "only the operator's command backends may share the host's network"
                        : "sandbox.network must be \(allowed.joined(separator: ", "))")
            }
            backend.commandAccess.network = network
        }
        if let binds = sandbox.binds {
            guard binds.count <= 20 else { throw MemberBackendError(.limit, "at most 20 sandbox.binds") }
            var paths: [String] = []
            for path in binds {
                let normalized = try Self.bindablePath(path)
                if isMember, !limits.memberBindablePaths.contains(where: { Self.isWithin(normalized, $0) }) {
                    throw MemberBackendError(
                        .forbidden,
                        limits.memberBindablePaths.isEmpty
                            ? "members' command backends see no host paths here"
                            : "\(normalized) is not below a path members may bind (\(limits.memberBindablePaths.joined(separator: ", ")))"
                    )
                }
                paths.append(normalized)
            }
            backend.commandAccess.binds = paths
        }
    }

    /// An absolute path without `.` or `..` parts, below `/`, that exists.
    static func bindablePath(_ path: String) throws(MemberBackendError) -> String {
        let normalized = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        guard normalized.hasPrefix("/"), normalized != "/", normalized.utf8.count <= 1024,
            !normalized.split(separator: "/").contains(where: { $0 == ".." || $0 == "." })
        else {
            throw MemberBackendError(.invalid, "sandbox.binds: \"\(path.prefix(200))\" must be an absolute path below /")
        }
        guard FileManager.default.fileExists(atPath: normalized) else {
            throw MemberBackendError(.invalid, "sandbox.binds: \(normalized) does not exist")
        }
        return normalized
    }

    static func isWithin(_ path: String, _ root: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }
}
