//! Exporting the work a device holds that no server has acknowledged, for every user who signed
//! in on it. When a handheld changes hands, the first user's unsynced work waits for them in
//! their own partition; if they cannot come back (left the utility, the device is being
//! retired), an admin exports it from the device instead of losing it.

use super::dao;
use super::error::ClientError;
use super::outbox;
use super::views::AccountInfo;
use super::{FieldClient, account_info};
use crate::document::automerge::ChangeHash;
use serde::Serialize;
use std::collections::HashSet;

/// Everything on this device that its server has not acknowledged, user by user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PendingExport {
    /// When the export was taken (device clock, Unix milliseconds).
    pub exported_at: i64,
    /// The users with pending work; users with none are left out.
    pub accounts: Vec<AccountExport>,
}

/// One user's pending work on this device.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountExport {
    /// Who signed in, on which server, with which device id.
    pub account: AccountInfo,
    /// Their orders with pending work, by order id.
    pub orders: Vec<OrderExport>,
}

/// One order's pending work.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderExport {
    /// The order id.
    pub order_id: String,
    /// The raw automerge changes the server has not acknowledged, hex-encoded: what a sync
    /// would upload (the server accepts them from the device they are bound to).
    pub changes: Vec<String>,
    /// The user's actions behind those changes, readable: action and context as recorded.
    pub actions: Vec<ExportedAction>,
}

/// One logged user action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportedAction {
    /// The action as the user took it (`{"action": "reading", ...}`).
    pub action: serde_json::Value,
    /// Who, when and where, as the device recorded it.
    pub context: serde_json::Value,
    /// The hash of the change the action wrote.
    pub change_hash: String,
}

impl FieldClient {
    /// The pending work of every user who signed in on this device. Works offline and without
    /// a sign-in: it reads only this device's store.
    pub fn export_pending(&self) -> Result<PendingExport, ClientError> {
        let exported_at = self.now();
        self.store.read(|tx| {
            let mut accounts = Vec::new();
            for account in dao::accounts(tx)? {
                let mut orders = Vec::new();
                for row in dao::documents(tx, account.id)? {
                    let doc = outbox::load(&row)?;
                    let changes = outbox::pending(&doc, &row.acked);
                    if changes.is_empty() {
                        continue;
                    }
                    let hashes: HashSet<String> = changes
                        .iter()
                        .map(|bytes| outbox::change_hash(bytes).map(|h: ChangeHash| h.to_string()))
                        .collect::<Result<_, _>>()?;
                    let actions = dao::intents(tx, account.id, &row.order_id)?
                        .into_iter()
                        .filter(|intent| hashes.contains(&intent.change_hash))
                        .map(|intent| {
                            Ok(ExportedAction {
                                action: parse_logged(&intent.action)?,
                                context: parse_logged(&intent.context)?,
                                change_hash: intent.change_hash,
                            })
                        })
                        .collect::<Result<_, ClientError>>()?;
                    orders.push(OrderExport {
                        order_id: row.order_id.clone(),
                        changes: changes.iter().map(|bytes| hex(bytes)).collect(),
                        actions,
                    });
                }
                if !orders.is_empty() {
                    accounts.push(AccountExport {
                        account: account_info(&account),
                        orders,
                    });
                }
            }
            Ok(PendingExport {
                exported_at,
                accounts,
            })
        })
    }
}

fn parse_logged(json: &str) -> Result<serde_json::Value, ClientError> {
    serde_json::from_str(json)
        .map_err(|e| ClientError::Storage(format!("a logged action is not readable JSON: {e}")))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
