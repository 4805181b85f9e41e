//! The device database's schema and its upgrades. The version lives in `schema_version`; a
//! database written by an older app is upgraded step by step in one transaction, and one written
//! by a newer app is refused (never half-understood). Steps are append-only, like migrations.

use super::error::ClientError;
use rusqlite::{Connection, OptionalExtension};

/// The schema version this build writes.
pub const CURRENT_VERSION: u32 = 3;

/// Version 1: accounts (one per server, utility and username: the store is partitioned by user), the
/// signed-in session, tokens apart from the account (so an app can move them to secure storage),
/// the actors each account writes with, documents with the heads the server acknowledged, the
/// intents log, and per-account sync state.
const V1: &str = "
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE accounts (
    id           INTEGER PRIMARY KEY,
    server_url   TEXT NOT NULL,
    username     TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    display_name TEXT NOT NULL,
    utility      TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    device_name  TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (server_url, utility, username)
);
CREATE TABLE session (
    only       INTEGER PRIMARY KEY CHECK (only = 1),
    account_id INTEGER NOT NULL REFERENCES accounts (id)
);
CREATE TABLE tokens (
    account_id   INTEGER PRIMARY KEY REFERENCES accounts (id),
    access_token TEXT NOT NULL,
    expires_at   INTEGER NOT NULL,
    valid        INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE actors (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    actor      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER,
    registered INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, actor)
);
CREATE TABLE documents (
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    order_id    TEXT NOT NULL,
    doc         BLOB NOT NULL,
    heads       BLOB NOT NULL,
    acked_heads BLOB NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, order_id)
) WITHOUT ROWID;
CREATE TABLE intents (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    order_id    TEXT NOT NULL,
    action      TEXT NOT NULL,
    context     TEXT NOT NULL,
    change_hash TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX intents_by_order ON intents (account_id, order_id, id);
CREATE TABLE sync_state (
    account_id   INTEGER PRIMARY KEY REFERENCES accounts (id),
    cursor       INTEGER,
    last_sync_at INTEGER,
    last_error   TEXT
);
INSERT INTO schema_version (version) VALUES (1);
";

/// Version 2: the user's role (what the handheld may show: hidden limits), and the changes the
/// server rejected, kept until the reset that replays them (issue 5).
const V2: &str = "
ALTER TABLE accounts ADD COLUMN role TEXT NOT NULL DEFAULT 'reader';
CREATE TABLE rejections (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    order_id    TEXT NOT NULL,
    hashes      TEXT NOT NULL,
    code        TEXT NOT NULL,
    message     TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (account_id, order_id, hashes, code)
);
UPDATE schema_version SET version = 2;
";

/// Version 3: the account's refresh token (device-bound, rotated on every use), so an expired
/// access token is renewed without a password.
const V3: &str = "
ALTER TABLE tokens ADD COLUMN refresh_token TEXT;
UPDATE schema_version SET version = 3;
";

/// The SQL of each step: `STEPS[n]` takes a database from version `n` to `n + 1`.
const STEPS: [&str; CURRENT_VERSION as usize] = [V1, V2, V3];

/// The schema version of the database (0 when it is empty).
pub fn version(conn: &Connection) -> Result<u32, ClientError> {
    let has_table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version')",
        [],
        |row| row.get(0),
    )?;
    if !has_table {
        return Ok(0);
    }
    let version: Option<u32> = conn
        .query_row("SELECT version FROM schema_version", [], |row| row.get(0))
        .optional()?;
    Ok(version.unwrap_or(0))
}

/// Brings a database at `version` up to [`CURRENT_VERSION`]. Run inside one write transaction.
pub fn upgrade_from(conn: &Connection, version: u32) -> Result<(), ClientError> {
    if version > CURRENT_VERSION {
        return Err(ClientError::Storage(format!(
            "the device database has schema {version}, newer than this app's {CURRENT_VERSION}: update the app"
        )));
    }
    for step in &STEPS[version as usize..] {
        conn.execute_batch(step)?;
    }
    Ok(())
}
