import Accounts
import Foundation
import Logging

/// The master key that every backend secret is sealed under: `GATEWAY_MASTER_KEY`, else the data directory's
/// `master-key` file, made (0600) on first start. A database sealed under another key refuses to start: a missing or
/// wrong key must never make the gateway seal new secrets under a second key or show the old ones as broken.
enum MasterKeySetup {
    /// The sealer, its key checked against the database's; a new database stores the key's check.
    static func sealer(settings: GatewaySettings, store: any MemberBackendStore, logger: Logger) async throws(SettingsError)
        -> SecretSealer
    {
        let stored: String?
        do {
            stored = try await store.sealingKeyCheck()
        } catch {
            throw SettingsError(GatewaySettings.Name.databasePath, "cannot read the sealing key check: \(error)")
        }
        // A database that has sealed secrets never gets a new key made for it: that key could not open them.
        if stored != nil, try existingKey(settings: settings) == nil {
            throw SettingsError(
                GatewaySettings.Name.masterKey,
                "this database's secrets were sealed under a master key that is not here: restore \(settings.masterKeyFile) "
                    + "(check \(GatewaySettings.Name.dataDirectory)) or set \(GatewaySettings.Name.masterKey) to it")
        }
        let sealer = SecretSealer(masterKey: try masterKey(settings: settings, logger: logger))
        if let stored {
            guard sealer.verifies(keyCheck: stored) else {
                let source =
                    settings.masterKey != nil
                    ? GatewaySettings.Name.masterKey : "the key file \(settings.masterKeyFile)"
                throw SettingsError(
                    GatewaySettings.Name.masterKey,
                    "\(source) is not the key this database's secrets were sealed with; set \(GatewaySettings.Name.masterKey) "
                        + "to the original key (or restore \(settings.masterKeyFile)); to change keys use `mcp-gateway keys rotate`"
                )
            }
        } else {
            do {
                try await store.setSealingKeyCheck(sealer.keyCheck())
            } catch {
                throw SettingsError(GatewaySettings.Name.databasePath, "cannot store the sealing key check: \(error)")
            }
        }
        return sealer
    }

    static func masterKey(settings: GatewaySettings, logger: Logger) throws(SettingsError) -> MasterKey {
        if let existing = try existingKey(settings: settings) { return existing }
        let key = MasterKey.generate()
        let path = settings.masterKeyFile
        do {
            try PrivateFile.write(key.base64, to: path, exclusive: true)
        } catch {
            throw SettingsError(
                GatewaySettings.Name.masterKey,
                "cannot write a new master key to \(path) (\(error)); set \(GatewaySettings.Name.masterKey) or make the data directory writable"
            )
        }
        logger.notice(
            "generated the master key that backend secrets are sealed under; back it up with the database",
            metadata: ["file": "\(URL(fileURLWithPath: path).standardizedFileURL.path)"])
        return key
    }

    /// The configured key, or the key file's; nil when there is neither.
    static func existingKey(settings: GatewaySettings) throws(SettingsError) -> MasterKey? {
        if let configured = settings.masterKey {
            do {
                return try MasterKey(base64: configured)
            } catch {
                throw SettingsError(GatewaySettings.Name.masterKey, error.description)
            }
        }
        let path = settings.masterKeyFile
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            do {
                return try MasterKey(base64: text)
            } catch {
                throw SettingsError(GatewaySettings.Name.masterKey, "\(path) does not hold a master key: \(error.description)")
            }
        }
        return nil
    }
}
