import GRDB

/// Versioned schema changes; a migration, once released, is never edited, only followed by a new one.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-oauth") { db in
            try db.execute(
                sql: """
                    CREATE TABLE operator_settings (
                        key TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    );
                    CREATE TABLE oauth_clients (
                        id TEXT PRIMARY KEY NOT NULL,
                        kind TEXT NOT NULL,
                        name TEXT,
                        redirect_uris TEXT NOT NULL,
                        auth_method TEXT NOT NULL,
                        secret_hash TEXT,
                        metadata TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        first_token_at REAL,
                        last_used_at REAL
                    );
                    CREATE TABLE consent_transactions (
                        id TEXT PRIMARY KEY NOT NULL,
                        csrf_hash TEXT NOT NULL,
                        client_id TEXT NOT NULL,
                        redirect_uri TEXT NOT NULL,
                        scope TEXT NOT NULL,
                        state TEXT,
                        code_challenge TEXT NOT NULL,
                        resource TEXT NOT NULL,
                        expires_at REAL NOT NULL
                    );
                    CREATE TABLE oauth_grants (
                        id TEXT PRIMARY KEY NOT NULL,
                        client_id TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
                        scope TEXT NOT NULL,
                        resource TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        revoked_at REAL
                    );
                    CREATE INDEX oauth_grants_client ON oauth_grants(client_id);
                    CREATE TABLE authorization_codes (
                        code_hash TEXT PRIMARY KEY NOT NULL,
                        grant_id TEXT NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
                        client_id TEXT NOT NULL,
                        redirect_uri TEXT NOT NULL,
                        scope TEXT NOT NULL,
                        code_challenge TEXT NOT NULL,
                        resource TEXT NOT NULL,
                        expires_at REAL NOT NULL,
                        used_at REAL
                    );
                    CREATE INDEX authorization_codes_grant ON authorization_codes(grant_id);
                    CREATE TABLE oauth_tokens (
                        token_hash TEXT PRIMARY KEY NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
                        grant_id TEXT NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
                        client_id TEXT NOT NULL,
                        scope TEXT NOT NULL,
                        resource TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        expires_at REAL NOT NULL,
                        revoked_at REAL,
                        rotated_at REAL
                    );
                    CREATE INDEX oauth_tokens_grant ON oauth_tokens(grant_id);
                    CREATE INDEX oauth_tokens_expiry ON oauth_tokens(expires_at);
                    """)
        }
        migrator.registerMigration("v2-audit") { db in
            try db.execute(
                sql: """
                    CREATE TABLE audit_events (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        time REAL NOT NULL,
                        client_id TEXT,
                        backend TEXT NOT NULL,
                        tool TEXT NOT NULL,
                        duration_ms INTEGER NOT NULL,
                        outcome TEXT NOT NULL,
                        detail TEXT,
                        arguments TEXT NOT NULL
                    );
                    CREATE INDEX audit_events_time ON audit_events(time);
                    CREATE INDEX audit_events_backend_tool ON audit_events(backend, tool);
                    """)
        }
        migrator.registerMigration("v3-audit-result") { db in
            try db.execute(
                sql: """
                    ALTER TABLE audit_events ADD COLUMN result TEXT;
                    ALTER TABLE audit_events ADD COLUMN upstream_status INTEGER;
                    """)
        }
        migrator.registerMigration("v4-personal-tokens") { db in
            try db.execute(
                sql: """
                    CREATE TABLE personal_tokens (
                        id TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        token_hash TEXT NOT NULL UNIQUE,
                        scope TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        expires_at REAL,
                        last_used_at REAL,
                        revoked_at REAL
                    );
                    CREATE UNIQUE INDEX personal_tokens_live_name ON personal_tokens(name) WHERE revoked_at IS NULL;
                    """)
        }
        // Tokens with the mcp scope may be limited to some backends: their names, space-separated; NULL is all.
        migrator.registerMigration("v5-personal-token-backends") { db in
            try db.execute(sql: "ALTER TABLE personal_tokens ADD COLUMN backends TEXT")
        }
        // Members sign in with Discord: grants belong to a subject (the operator's, 'operator', is every older grant)
        // and may be limited to a selection (a JSON array of choice ids; NULL is everything the subject may reach).
        migrator.registerMigration("v6-accounts") { db in
            try db.execute(
                sql: """
                    ALTER TABLE oauth_grants ADD COLUMN subject TEXT NOT NULL DEFAULT 'operator';
                    ALTER TABLE oauth_grants ADD COLUMN selection TEXT;
                    CREATE INDEX oauth_grants_subject ON oauth_grants(subject);
                    ALTER TABLE consent_transactions ADD COLUMN subject TEXT;
                    ALTER TABLE consent_transactions ADD COLUMN sign_in_state_hash TEXT;
                    ALTER TABLE consent_transactions ADD COLUMN sign_in_verifier TEXT;
                    CREATE TABLE users (
                        id TEXT PRIMARY KEY NOT NULL,
                        discord_id TEXT UNIQUE,
                        name TEXT NOT NULL,
                        avatar TEXT,
                        key_salt BLOB NOT NULL,
                        first_seen_at REAL NOT NULL,
                        last_seen_at REAL NOT NULL
                    );
                    INSERT INTO users (id, name, key_salt, first_seen_at, last_seen_at)
                        VALUES ('operator', 'operator', randomblob(32), CAST(strftime('%s', 'now') AS REAL), CAST(strftime('%s', 'now') AS REAL));
                    """)
        }
        // Member backends: definitions owned by a user, visible by their scope, with sealed secrets; members' own
        // values for a backend's member headers; and whose call or change each audit event was.
        migrator.registerMigration("v7-member-backends") { db in
            try db.execute(
                sql: """
                    CREATE TABLE member_backends (
                        id TEXT PRIMARY KEY NOT NULL,
                        owner_id TEXT NOT NULL,
                        scope TEXT NOT NULL,
                        name_scope TEXT NOT NULL,
                        name TEXT NOT NULL,
                        transport TEXT NOT NULL,
                        sealed_headers TEXT NOT NULL,
                        sealed_environment TEXT NOT NULL,
                        member_headers TEXT NOT NULL,
                        timeout_seconds INTEGER NOT NULL,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        updated_by TEXT NOT NULL,
                        UNIQUE (name_scope, name)
                    );
                    CREATE INDEX member_backends_owner ON member_backends(owner_id);
                    CREATE TABLE member_backend_credentials (
                        backend_id TEXT NOT NULL REFERENCES member_backends(id) ON DELETE CASCADE,
                        user_id TEXT NOT NULL,
                        header TEXT NOT NULL,
                        sealed TEXT NOT NULL,
                        PRIMARY KEY (backend_id, user_id, header)
                    );
                    ALTER TABLE audit_events ADD COLUMN subject TEXT;
                    """)
        }
        // Members' sign-ins at OAuth-protected upstream backends (tokens sealed under each member's key), and the
        // clients the gateway registered at those upstreams' authorization servers.
        migrator.registerMigration("v8-upstream-oauth") { db in
            try db.execute(
                sql: """
                    CREATE TABLE upstream_grants (
                        backend TEXT NOT NULL,
                        user_id TEXT NOT NULL,
                        sealed_access_token TEXT NOT NULL,
                        sealed_refresh_token TEXT,
                        expires_at REAL,
                        scope TEXT,
                        resource TEXT NOT NULL,
                        obtained_at REAL NOT NULL,
                        PRIMARY KEY (backend, user_id)
                    );
                    CREATE INDEX upstream_grants_user ON upstream_grants(user_id);
                    CREATE TABLE upstream_clients (
                        backend TEXT PRIMARY KEY NOT NULL,
                        issuer TEXT NOT NULL,
                        client_id TEXT NOT NULL,
                        sealed_client_secret TEXT,
                        auth_method TEXT NOT NULL,
                        registered_at REAL NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v9-member-oauth-backends") { db in
            try db.execute(sql: "ALTER TABLE member_backends ADD COLUMN oauth TEXT")
        }
        return migrator
    }
}
