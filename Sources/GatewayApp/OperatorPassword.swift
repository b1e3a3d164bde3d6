import Foundation
import Logging
import OAuthServer
import OperatorPages
import Storage

/// The operator password: given by the settings, or kept (as a hash) in the database, where a first start
/// generates one and where `/admin` and `mcp-gateway password set` change it.
public struct OperatorPassword: Sendable {
    let settings: GatewaySettings
    let database: GatewayDatabase

    public init(settings: GatewaySettings, database: GatewayDatabase) {
        self.settings = settings
        self.database = database
    }

    /// At start: the check every password prompt uses. With no password configured and none stored, one is
    /// generated, its hash stored, and the password itself written to the initial password file (0600) and handed
    /// to `announce`. A configured password makes that file meaningless, so it is removed.
    func prepare(announce: (_ password: String, _ file: String?) -> Void, logger: Logger) async throws
        -> OperatorPasswordCheck
    {
        if let hash = settings.passwordHash { return removingInitialFile(.fixed(hash), logger: logger) }
        if let password = settings.password {
            return removingInitialFile(.fixed(try PasswordHasher.hash(password)), logger: logger)
        }
        if try await database.operatorPasswordHash() == nil {
            let generated = Self.generatePassword()
            try await database.setOperatorPasswordHash(try PasswordHasher.hash(generated))
            var written: String?
            do {
                try PrivateFile.write(generated, to: settings.initialPasswordFile)
                written = URL(fileURLWithPath: settings.initialPasswordFile).standardizedFileURL.path
            } catch {
                logger.warning(
                    "could not keep the generated password in a file; it is shown only in this log",
                    metadata: ["file": "\(settings.initialPasswordFile)", "error": "\(error)"])
            }
            announce(generated, written)
        }
        let database = self.database
        return OperatorPasswordCheck {
            guard let hash = try await database.operatorPasswordHash() else { throw PasswordChangeError.noPassword }
            return hash
        }
    }

    private func removingInitialFile(_ check: OperatorPasswordCheck, logger: Logger) -> OperatorPasswordCheck {
        if PrivateFile.remove(settings.initialPasswordFile) {
            logger.notice(
                "removed the initial password file: the password now comes from the settings",
                metadata: ["file": "\(settings.initialPasswordFile)"])
        }
        return check
    }

    public struct ChangeOutcome: Sendable, Equatable {
        /// Grants (connected applications' tokens) revoked with the change, when asked for.
        public var revokedGrants: Int
    }

    /// Changes the stored password after checking the current one. Every `/admin` session signed in with the old
    /// password ends (they are bound to it); connected applications keep their tokens unless `revokeGrants`, which
    /// revokes every grant, so each application must be approved again with the new password. The initial password
    /// file, if any, is removed.
    public func change(current: String, new: String, revokeGrants: Bool, now: Date = Date()) async throws
        -> ChangeOutcome
    {
        if settings.passwordIsConfigured { throw PasswordChangeError.configured }
        guard new.count >= PasswordHasher.minimumLength else { throw PasswordChangeError.tooShort }
        guard new != current else { throw PasswordChangeError.unchanged }
        if let hash = try await database.operatorPasswordHash() {
            guard await OperatorPasswordCheck.fixed(hash).verify(current) else { throw PasswordChangeError.wrongPassword }
        }
        let newHash = try PasswordHasher.hash(new)
        let revoked = try await database.changeOperatorPasswordHash(newHash, revokingGrantsAt: revokeGrants ? now : nil)
        _ = PrivateFile.remove(settings.initialPasswordFile)
        return ChangeOutcome(revokedGrants: revoked)
    }

    /// 20 characters from an alphabet without look-alikes: about 115 bits.
    static func generatePassword(length: Int = 20) -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}

/// A file only the gateway's user may read: the generated first password, the generated master key.
enum PrivateFile {
    /// Writes `text` and a newline; with `exclusive`, refuses to replace a file that is there.
    static func write(_ text: String, to path: String, exclusive: Bool = false) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Created 0600 from the start: never readable by others, not even for a moment.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | (exclusive ? O_EXCL : O_TRUNC), 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        fchmod(descriptor, 0o600)
        try handle.write(contentsOf: Data((text + "\n").utf8))
    }

    /// Removes the file; true when there was one.
    @discardableResult
    static func remove(_ path: String) -> Bool {
        (try? FileManager.default.removeItem(atPath: path)) != nil
    }
}

extension OperatorPassword: OperatorPasswordChanger {
    public var passwordState: OperatorPasswordState {
        if settings.passwordIsConfigured { return .configured }
        return FileManager.default.fileExists(atPath: settings.initialPasswordFile)
            ? .generated(file: settings.initialPasswordFile) : .stored
    }

    public func changePassword(current: String, new: String, revokeGrants: Bool, now: Date) async throws -> Int {
        try await change(current: current, new: new, revokeGrants: revokeGrants, now: now).revokedGrants
    }
}
