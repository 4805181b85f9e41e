//! The queries of the device database, one function each, all scoped to one account (the store
//! is partitioned by signed-in user). They take the transaction a [`super::store::Store`] closure
//! was given, so a caller composes several into one atomic step.

use super::error::ClientError;
use crate::document::automerge::ChangeHash;
use rusqlite::{Connection, OptionalExtension, params};

/// One account: a user of one server on this device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Account {
    pub id: i64,
    pub server_url: String,
    pub username: String,
    pub user_id: String,
    pub display_name: String,
    pub role: String,
    pub utility: String,
    pub device_id: String,
    pub device_name: String,
}

/// What sign-in learned about an account.
#[derive(Debug, Clone)]
pub(crate) struct NewAccount<'a> {
    pub server_url: &'a str,
    pub username: &'a str,
    pub user_id: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub utility: &'a str,
    pub device_name: &'a str,
}

/// One stored document and its sync metadata.
#[derive(Debug, Clone)]
pub(crate) struct DocRow {
    pub order_id: String,
    pub doc: Vec<u8>,
    pub heads: Vec<ChangeHash>,
    pub acked: Vec<ChangeHash>,
    pub revoked: bool,
}

/// A stored access token and the refresh token that renews it.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub access_token: String,
    pub expires_at: i64,
    pub valid: bool,
    pub refresh_token: Option<String>,
}

/// Per-account sync state.
#[derive(Debug, Clone, Default)]
pub(crate) struct SyncState {
    pub cursor: Option<u64>,
    pub last_sync_at: Option<i64>,
    pub last_error: Option<String>,
}

/// A stored rejection.
#[derive(Debug, Clone)]
pub(crate) struct RejectionRow {
    pub order_id: String,
    pub hashes: String,
    pub code: String,
    pub message: String,
    pub received_at: i64,
}

const ACCOUNT_COLUMNS: &str =
    "id, server_url, username, user_id, display_name, role, utility, device_id, device_name";

fn account_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: row.get(0)?,
        server_url: row.get(1)?,
        username: row.get(2)?,
        user_id: row.get(3)?,
        display_name: row.get(4)?,
        role: row.get(5)?,
        utility: row.get(6)?,
        device_id: row.get(7)?,
        device_name: row.get(8)?,
    })
}

/// The signed-in account, if any.
pub(crate) fn active_account(c: &Connection) -> Result<Option<Account>, ClientError> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = (SELECT account_id FROM session)"
    );
    Ok(c.query_row(&sql, [], account_from_row).optional()?)
}

/// The account of `username` of `utility` on `server_url`, if this device has one.
pub(crate) fn find_account(
    c: &Connection,
    server_url: &str,
    utility: &str,
    username: &str,
) -> Result<Option<Account>, ClientError> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts
         WHERE server_url = ?1 AND utility = ?2 AND username = ?3"
    );
    let account = c
        .query_row(
            &sql,
            params![server_url, utility, username],
            account_from_row,
        )
        .optional()?;
    Ok(account)
}

/// Every account on this device.
pub(crate) fn accounts(c: &Connection) -> Result<Vec<Account>, ClientError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id");
    let mut stmt = c.prepare(&sql)?;
    let rows = stmt.query_map([], account_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Creates the account, or refreshes what the server said about it; keeps its device id.
pub(crate) fn upsert_account(
    c: &Connection,
    new: &NewAccount<'_>,
    new_device_id: &str,
    now: i64,
) -> Result<Account, ClientError> {
    c.execute(
        "INSERT INTO accounts (server_url, username, user_id, display_name, role, utility,
                               device_id, device_name, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (server_url, utility, username) DO UPDATE SET
             user_id = excluded.user_id, display_name = excluded.display_name,
             role = excluded.role, device_name = excluded.device_name",
        params![
            new.server_url,
            new.username,
            new.user_id,
            new.display_name,
            new.role,
            new.utility,
            new_device_id,
            new.device_name,
            now
        ],
    )?;
    find_account(c, new.server_url, new.utility, new.username)?
        .ok_or_else(|| ClientError::Storage("the account just written is missing".into()))
}

/// Makes `account_id` the signed-in account.
pub(crate) fn set_session(c: &Connection, account_id: i64) -> Result<(), ClientError> {
    c.execute(
        "INSERT INTO session (only, account_id) VALUES (1, ?1)
         ON CONFLICT (only) DO UPDATE SET account_id = excluded.account_id",
        params![account_id],
    )?;
    Ok(())
}

/// The account's access token.
pub(crate) fn token(c: &Connection, account_id: i64) -> Result<Option<Token>, ClientError> {
    Ok(c.query_row(
        "SELECT access_token, expires_at, valid, refresh_token FROM tokens WHERE account_id = ?1",
        params![account_id],
        |row| {
            Ok(Token {
                access_token: row.get(0)?,
                expires_at: row.get(1)?,
                valid: row.get(2)?,
                refresh_token: row.get(3)?,
            })
        },
    )
    .optional()?)
}

/// Stores a fresh access token and the refresh token that goes with it.
pub(crate) fn set_token(
    c: &Connection,
    account_id: i64,
    access_token: &str,
    expires_at: i64,
    refresh_token: Option<&str>,
) -> Result<(), ClientError> {
    c.execute(
        "INSERT INTO tokens (account_id, access_token, expires_at, valid, refresh_token)
         VALUES (?1, ?2, ?3, 1, ?4)
         ON CONFLICT (account_id) DO UPDATE SET access_token = excluded.access_token,
             expires_at = excluded.expires_at, valid = 1, refresh_token = excluded.refresh_token",
        params![account_id, access_token, expires_at, refresh_token],
    )?;
    Ok(())
}

/// Replaces the refresh token alone (a registration started a new sign-in family).
pub(crate) fn set_refresh_token(
    c: &Connection,
    account_id: i64,
    refresh_token: &str,
) -> Result<(), ClientError> {
    c.execute(
        "UPDATE tokens SET refresh_token = ?2 WHERE account_id = ?1",
        params![account_id, refresh_token],
    )?;
    Ok(())
}

/// Marks the account's tokens as refused by the server (the user must sign in again); the
/// refresh token is forgotten, since the server will not take it again.
pub(crate) fn invalidate_token(c: &Connection, account_id: i64) -> Result<(), ClientError> {
    c.execute(
        "UPDATE tokens SET valid = 0, refresh_token = NULL WHERE account_id = ?1",
        params![account_id],
    )?;
    Ok(())
}

/// The actor the account writes with now (hex).
pub(crate) fn current_actor(
    c: &Connection,
    account_id: i64,
) -> Result<Option<String>, ClientError> {
    Ok(c.query_row(
        "SELECT actor FROM actors WHERE account_id = ?1 AND retired_at IS NULL
         ORDER BY created_at DESC LIMIT 1",
        params![account_id],
        |row| row.get(0),
    )
    .optional()?)
}

/// Adds a new current actor for the account.
pub(crate) fn add_actor(
    c: &Connection,
    account_id: i64,
    actor: &str,
    now: i64,
) -> Result<(), ClientError> {
    c.execute(
        "UPDATE actors SET retired_at = ?2 WHERE account_id = ?1 AND retired_at IS NULL",
        params![account_id, now],
    )?;
    c.execute(
        "INSERT INTO actors (account_id, actor, created_at) VALUES (?1, ?2, ?3)",
        params![account_id, actor, now],
    )?;
    Ok(())
}

/// Every actor the account ever wrote with, and whether the server has bound it.
pub(crate) fn actors(c: &Connection, account_id: i64) -> Result<Vec<(String, bool)>, ClientError> {
    let mut stmt = c.prepare(
        "SELECT actor, registered FROM actors WHERE account_id = ?1 ORDER BY created_at",
    )?;
    let rows = stmt.query_map(params![account_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records that the server bound these actors to the device.
pub(crate) fn mark_actors_registered(
    c: &Connection,
    account_id: i64,
    actors: &[String],
) -> Result<(), ClientError> {
    for actor in actors {
        c.execute(
            "UPDATE actors SET registered = 1 WHERE account_id = ?1 AND actor = ?2",
            params![account_id, actor],
        )?;
    }
    Ok(())
}

/// Concatenated 32-byte hashes.
pub(crate) fn hashes_to_blob(hashes: &[ChangeHash]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.0).collect()
}

fn blob_to_hashes(blob: &[u8]) -> Vec<ChangeHash> {
    blob.chunks_exact(32)
        .filter_map(|chunk| <[u8; 32]>::try_from(chunk).ok().map(ChangeHash))
        .collect()
}

fn doc_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<DocRow> {
    let heads: Vec<u8> = row.get(2)?;
    let acked: Vec<u8> = row.get(3)?;
    Ok(DocRow {
        order_id: row.get(0)?,
        doc: row.get(1)?,
        heads: blob_to_hashes(&heads),
        acked: blob_to_hashes(&acked),
        revoked: row.get(4)?,
    })
}

/// One document of the account.
pub(crate) fn document(
    c: &Connection,
    account_id: i64,
    order_id: &str,
) -> Result<Option<DocRow>, ClientError> {
    Ok(c.query_row(
        "SELECT order_id, doc, heads, acked_heads, revoked FROM documents
         WHERE account_id = ?1 AND order_id = ?2",
        params![account_id, order_id],
        doc_from_row,
    )
    .optional()?)
}

/// Every document of the account.
pub(crate) fn documents(c: &Connection, account_id: i64) -> Result<Vec<DocRow>, ClientError> {
    let mut stmt = c.prepare(
        "SELECT order_id, doc, heads, acked_heads, revoked FROM documents
         WHERE account_id = ?1 ORDER BY order_id",
    )?;
    let rows = stmt.query_map(params![account_id], doc_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The ids of the account's orders.
pub(crate) fn order_ids(c: &Connection, account_id: i64) -> Result<Vec<String>, ClientError> {
    let mut stmt =
        c.prepare("SELECT order_id FROM documents WHERE account_id = ?1 ORDER BY order_id")?;
    let rows = stmt.query_map(params![account_id], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The account's revoked documents.
pub(crate) fn revoked_documents(
    c: &Connection,
    account_id: i64,
) -> Result<Vec<DocRow>, ClientError> {
    let mut stmt = c.prepare(
        "SELECT order_id, doc, heads, acked_heads, revoked FROM documents
         WHERE account_id = ?1 AND revoked = 1 ORDER BY order_id",
    )?;
    let rows = stmt.query_map(params![account_id], doc_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Order ids of the account's documents whose heads are not all acknowledged (a cheap
/// pre-filter: only these can have pending changes).
pub(crate) fn unacked_order_ids(
    c: &Connection,
    account_id: i64,
) -> Result<Vec<String>, ClientError> {
    let mut stmt = c.prepare(
        "SELECT order_id FROM documents WHERE account_id = ?1 AND heads <> acked_heads
         ORDER BY order_id",
    )?;
    let rows = stmt.query_map(params![account_id], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Writes a document and its sync metadata.
pub(crate) fn put_document(
    c: &Connection,
    account_id: i64,
    row: &DocRow,
    now: i64,
) -> Result<(), ClientError> {
    c.execute(
        "INSERT INTO documents (account_id, order_id, doc, heads, acked_heads, revoked, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (account_id, order_id) DO UPDATE SET doc = excluded.doc,
             heads = excluded.heads, acked_heads = excluded.acked_heads,
             revoked = excluded.revoked, updated_at = excluded.updated_at",
        params![
            account_id,
            row.order_id,
            row.doc,
            hashes_to_blob(&row.heads),
            hashes_to_blob(&row.acked),
            row.revoked,
            now
        ],
    )?;
    Ok(())
}

/// Drops a document (revoked and fully acknowledged) with its intents.
pub(crate) fn delete_document(
    c: &Connection,
    account_id: i64,
    order_id: &str,
) -> Result<(), ClientError> {
    c.execute(
        "DELETE FROM documents WHERE account_id = ?1 AND order_id = ?2",
        params![account_id, order_id],
    )?;
    c.execute(
        "DELETE FROM intents WHERE account_id = ?1 AND order_id = ?2",
        params![account_id, order_id],
    )?;
    Ok(())
}

/// Appends an intent to the user's action log.
pub(crate) fn add_intent(
    c: &Connection,
    account_id: i64,
    order_id: &str,
    action_json: &str,
    context_json: &str,
    change_hash: &str,
    now: i64,
) -> Result<(), ClientError> {
    c.execute(
        "INSERT INTO intents (account_id, order_id, action, context, change_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            account_id,
            order_id,
            action_json,
            context_json,
            change_hash,
            now
        ],
    )?;
    Ok(())
}

/// One logged user action.
#[derive(Debug, Clone)]
pub(crate) struct IntentRow {
    pub id: i64,
    pub action: String,
    pub context: String,
    pub change_hash: String,
}

/// The account's intents for `order_id`, in the order the user took them.
pub(crate) fn intents(
    c: &Connection,
    account_id: i64,
    order_id: &str,
) -> Result<Vec<IntentRow>, ClientError> {
    let mut stmt = c.prepare(
        "SELECT id, action, context, change_hash FROM intents
         WHERE account_id = ?1 AND order_id = ?2 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![account_id, order_id], |row| {
        Ok(IntentRow {
            id: row.get(0)?,
            action: row.get(1)?,
            context: row.get(2)?,
            change_hash: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Points an intent at the change its replay wrote (after a reset).
pub(crate) fn set_intent_change(
    c: &Connection,
    intent_id: i64,
    change_hash: &str,
) -> Result<(), ClientError> {
    c.execute(
        "UPDATE intents SET change_hash = ?2 WHERE id = ?1",
        params![intent_id, change_hash],
    )?;
    Ok(())
}

/// How many intents the account has logged for `order_id` (all orders when `None`).
pub(crate) fn intent_count(
    c: &Connection,
    account_id: i64,
    order_id: Option<&str>,
) -> Result<u64, ClientError> {
    let count: i64 = c.query_row(
        "SELECT COUNT(*) FROM intents WHERE account_id = ?1 AND (?2 IS NULL OR order_id = ?2)",
        params![account_id, order_id],
        |row| row.get(0),
    )?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// The account's sync state.
pub(crate) fn sync_state(c: &Connection, account_id: i64) -> Result<SyncState, ClientError> {
    Ok(c.query_row(
        "SELECT cursor, last_sync_at, last_error FROM sync_state WHERE account_id = ?1",
        params![account_id],
        |row| {
            Ok(SyncState {
                cursor: row.get::<_, Option<i64>>(0)?.map(|c| c as u64),
                last_sync_at: row.get(1)?,
                last_error: row.get(2)?,
            })
        },
    )
    .optional()?
    .unwrap_or_default())
}

/// Records a finished exchange: the new cursor, with the changes it covers (same transaction).
pub(crate) fn set_synced(
    c: &Connection,
    account_id: i64,
    cursor: u64,
    now: i64,
) -> Result<(), ClientError> {
    let cursor = i64::try_from(cursor)
        .map_err(|_| ClientError::Protocol(format!("feed cursor {cursor} is out of range")))?;
    c.execute(
        "INSERT INTO sync_state (account_id, cursor, last_sync_at, last_error)
         VALUES (?1, ?2, ?3, NULL)
         ON CONFLICT (account_id) DO UPDATE SET cursor = excluded.cursor,
             last_sync_at = excluded.last_sync_at, last_error = NULL",
        params![account_id, cursor, now],
    )?;
    Ok(())
}

/// Records why the last sync failed.
pub(crate) fn set_sync_error(
    c: &Connection,
    account_id: i64,
    error: &str,
) -> Result<(), ClientError> {
    c.execute(
        "INSERT INTO sync_state (account_id, last_error) VALUES (?1, ?2)
         ON CONFLICT (account_id) DO UPDATE SET last_error = excluded.last_error",
        params![account_id, error],
    )?;
    Ok(())
}

/// Keeps a rejection (once: the same rejection received twice is one row).
pub(crate) fn add_rejection(
    c: &Connection,
    account_id: i64,
    row: &RejectionRow,
) -> Result<(), ClientError> {
    c.execute(
        "INSERT OR IGNORE INTO rejections (account_id, order_id, hashes, code, message, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            account_id,
            row.order_id,
            row.hashes,
            row.code,
            row.message,
            row.received_at
        ],
    )?;
    Ok(())
}

/// The account's rejections, oldest first.
pub(crate) fn rejections(
    c: &Connection,
    account_id: i64,
) -> Result<Vec<RejectionRow>, ClientError> {
    let mut stmt = c.prepare(
        "SELECT order_id, hashes, code, message, received_at FROM rejections
         WHERE account_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![account_id], |row| {
        Ok(RejectionRow {
            order_id: row.get(0)?,
            hashes: row.get(1)?,
            code: row.get(2)?,
            message: row.get(3)?,
            received_at: row.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
