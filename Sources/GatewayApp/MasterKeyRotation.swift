import Accounts
import Foundation
import Storage

/// `mcp-gateway keys rotate`: every sealed secret re-sealed under a new master key in one transaction. With the key in
/// the data directory, the new key replaces the file (written beside it first, moved over it once the database has
/// committed); with `GATEWAY_MASTER_KEY`, the new key is handed back for the operator to set.
public enum MasterKeyRotation {
    public struct Outcome: Sendable {
        /// The new key, when the operator must put it in `GATEWAY_MASTER_KEY` themselves.
        public var keyToConfigure: String?
        /// The key file that now holds the new key, otherwise.
        public var keyFile: String?
    }

    public static func rotate(settings: GatewaySettings, database: GatewayDatabase) async throws(SettingsError) -> Outcome {
        guard let oldKey = try MasterKeySetup.existingKey(settings: settings) else {
            throw SettingsError(
                GatewaySettings.Name.masterKey,
                "there is no master key yet (\(settings.masterKeyFile) is missing and \(GatewaySettings.Name.masterKey) is unset); start the gateway once"
            )
        }
        let old = SecretSealer(masterKey: oldKey)
        let stored: String?
        let salts: [String: [UInt8]]
        do {
            stored = try await database.sealingKeyCheck()
            salts = Dictionary(try await database.users().map { ($0.id, $0.keySalt) }) { first, _ in first }
        } catch {
            throw SettingsError(GatewaySettings.Name.databasePath, "cannot read the database: \(error)")
        }
        if let stored, !old.verifies(keyCheck: stored) {
            throw SettingsError(
                GatewaySettings.Name.masterKey, "the current key is not the one this database was sealed with; nothing changed")
        }
        let newKey = MasterKey.generate()
        let new = SecretSealer(masterKey: newKey)
        let pendingFile = settings.masterKeyFile + ".new"
        if settings.masterKey == nil {
            _ = PrivateFile.remove(pendingFile)
            do {
                try PrivateFile.write(newKey.base64, to: pendingFile, exclusive: true)
            } catch {
                throw SettingsError(GatewaySettings.Name.masterKey, "cannot write \(pendingFile): \(error); nothing changed")
            }
        }
        do {
            try await database.resealAll(keyCheck: new.keyCheck()) { value in
                guard let salt = salts[value.userID] else { throw SealError.authenticationFailed }
                let plain = try old.open(value.sealed, ownerSalt: salt, context: value.context)
                return new.seal(plain, ownerSalt: salt, context: value.context)
            }
        } catch {
            _ = PrivateFile.remove(pendingFile)
            throw SettingsError(
                GatewaySettings.Name.masterKey,
                "a sealed secret does not open under the current key (\(error)); nothing changed")
        }
        guard settings.masterKey == nil else { return Outcome(keyToConfigure: newKey.base64) }
        guard rename(pendingFile, settings.masterKeyFile) == 0 else {
            throw SettingsError(
                GatewaySettings.Name.masterKey,
                "the database is sealed under the new key, but \(pendingFile) could not replace \(settings.masterKeyFile): move it there yourself"
            )
        }
        return Outcome(keyFile: settings.masterKeyFile)
    }
}
