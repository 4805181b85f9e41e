//! The device database: schema upgrades from the previous version, WAL and refusal of a newer
//! schema.

use crate::support::tempdir::Dir;
use fieldline_core::client::schema::{self, CURRENT_VERSION};
use fieldline_core::client::{ClientError, DATABASE_FILE, FieldClient};

/// The schema as version 1 of the app created it, frozen here: if this stops upgrading, an
/// upgrade step (or a landed step) was changed.
const VERSION_1_SQL: &str = "
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

/// A store directory holding a version-1 database with one signed-in account and one order.
fn version_1_store() -> Dir {
    let dir = Dir::new();
    let conn = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).expect("open");
    conn.execute_batch(VERSION_1_SQL).expect("create v1");
    let doc = crate::support::order("order-1", "rita");
    conn.execute_batch(
        "INSERT INTO accounts (id, server_url, username, user_id, display_name, utility,
                               device_id, device_name, created_at)
         VALUES (1, 'http://127.0.0.1:9', 'rita', 'id-rita', 'Rita', 'riverton', 'dev-1', 'h', 0);
         INSERT INTO session (only, account_id) VALUES (1, 1);
         INSERT INTO tokens (account_id, access_token, expires_at) VALUES (1, 't', 0);",
    )
    .expect("account");
    conn.execute(
        "INSERT INTO documents (account_id, order_id, doc, heads, acked_heads, updated_at)
         VALUES (1, 'order-1', ?1, x'', x'', 0)",
        [doc.save()],
    )
    .expect("document");
    dir
}

#[test]
fn a_version_1_store_is_upgraded_and_keeps_its_account_and_orders() {
    let dir = version_1_store();
    let client = FieldClient::open(dir.path()).expect("open upgrades");

    let conn = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).expect("open");
    assert_eq!(schema::version(&conn).expect("version"), CURRENT_VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .expect("journal mode");
    assert_eq!(mode, "wal");

    let status = client.status().expect("status");
    let account = status.account.expect("the account survived");
    assert_eq!(account.username, "rita");
    assert_eq!(
        account.role, "reader",
        "v2's role column defaults to the narrowest view"
    );
    assert!(status.rejections.is_empty(), "v2's rejections table exists");
    let orders = client.orders().expect("orders");
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].order_id, "order-1");
    // The upgraded store works: an action is recorded.
    client
        .en_route("order-1")
        .expect("en route after the upgrade");
    drop(client);
    FieldClient::open(dir.path()).expect("a current store opens again");
}

#[test]
fn a_store_written_by_a_newer_app_is_refused() {
    let dir = Dir::new();
    drop(FieldClient::open(dir.path()).expect("create"));
    let conn = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).expect("open");
    conn.execute("UPDATE schema_version SET version = 99", [])
        .expect("bump");
    drop(conn);
    match FieldClient::open(dir.path()) {
        Err(ClientError::Storage(message)) => assert!(message.contains("update the app")),
        other => panic!("expected a storage error, got {other:?}"),
    }
}
