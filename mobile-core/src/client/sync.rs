//! The sync exchange on the device. A request carries every change the server has not
//! acknowledged (derived from the acked heads, see [`super::outbox`]) and the feed cursor; the
//! answer is applied in ONE transaction together with the new cursor, so an interrupted sync
//! loses nothing, and applying the same answer twice changes nothing (automerge changes are
//! content-addressed, acked sets only grow toward the server's heads, rejections are kept once).

use super::dao::{self, DocRow, RejectionRow};
use super::error::ClientError;
use super::outbox;
use super::reset;
use super::views::SyncReport;
use super::{FieldClient, MAX_ROUND_TRIPS, current_actor, now_ms, require_account};
use crate::document::WorkOrderDoc;
use crate::document::automerge::ChangeHash;
use crate::reference::ReferenceData;
use crate::sync::wire::{self, WireLimits};
use crate::sync::{DocChanges, DocHeads, SyncRequest, SyncResponse};
use rusqlite::Connection;
use std::collections::{BTreeMap, BTreeSet};

/// Raw change bytes one request uploads at most (more goes in the next exchange of the same
/// sync); well under the server's frame limit once framed and compressed.
pub const MAX_UPLOAD_BYTES: usize = 4 * 1024 * 1024;

impl FieldClient {
    /// Syncs the signed-in user's orders with the server: one round trip in the common case,
    /// more while the server pages (`more`) or asks to reconcile, up to [`MAX_ROUND_TRIPS`].
    /// Needs the network; a failure keeps all work and is recorded for [`FieldClient::status`].
    ///
    /// An access token about to expire is refreshed first; one the server refuses anyway is
    /// refreshed once and the exchange retried. When the refresh is refused too, the report is
    /// `Unauthorized` ("sign in again") and every local edit stays.
    pub fn sync(&self) -> Result<SyncReport, ClientError> {
        let account = self.store.read(|tx| require_account(tx))?;
        let result = self.access_token(&account, false).and_then(|token| {
            let (report, token) = match self.exchange(&account, &token) {
                Err(ClientError::Unauthorized(_)) => {
                    let token = self.access_token(&account, true)?;
                    (self.exchange(&account, &token)?, token)
                }
                other => (other?, token),
            };
            // A newer reference version comes with the sync; failing to fetch it keeps the
            // version the device has (the next sync tries again) and fails nothing.
            let _ = self.refresh_reference(&account.server_url, &token);
            Ok(report)
        });
        if let Err(err) = &result {
            let message = err.to_string();
            let unauthorized = matches!(err, ClientError::Unauthorized(_));
            self.store.write(|tx| {
                if unauthorized {
                    dao::invalidate_token(tx, account.id)?;
                }
                dao::set_sync_error(tx, account.id, &message)
            })?;
        }
        result
    }

    fn exchange(&self, account: &dao::Account, token: &str) -> Result<SyncReport, ClientError> {
        self.register_new_actors(account, token)?;
        let mut report = SyncReport::default();
        let mut reconcile = false;
        let limits = WireLimits::default();
        loop {
            if report.round_trips >= MAX_ROUND_TRIPS {
                report.incomplete = true;
                break;
            }
            let (request, held_back) = self
                .store
                .read(|tx| build_request(tx, account, &self.app_version, reconcile))?;
            let frame = wire::encode_request(&request);
            let answer = self.http.sync(&account.server_url, token, &frame)?;
            let response = wire::decode_response(&answer, &limits)?;
            report.round_trips += 1;
            report.bytes_sent += frame.len();
            report.bytes_received += answer.len();
            report.uploaded_changes += request
                .uploads
                .iter()
                .map(|u| u.changes.len())
                .sum::<usize>();
            let applied = self.apply_for(account.id, &response)?;
            // Uploads held back for size go next, as long as the server takes what it gets; a
            // reset's replayed actions go next, under the new actor bound first.
            let replayed = applied.replayed > 0;
            if replayed {
                self.register_new_actors(account, token)?;
            }
            let upload_more = (held_back && applied.acked_orders > 0) || replayed;
            merge_report(&mut report, applied);
            reconcile = response.reconcile || report.reconcile_needed;
            report.reconcile_needed = false;
            if !response.more && !reconcile && !upload_more {
                break;
            }
        }
        Ok(report)
    }

    /// The request the next sync of the signed-in user would send (`holdings` only when
    /// `reconcile`). Reading it changes nothing.
    pub fn sync_request(&self, reconcile: bool) -> Result<SyncRequest, ClientError> {
        self.store.read(|tx| {
            let account = require_account(tx)?;
            Ok(build_request(tx, &account, &self.app_version, reconcile)?.0)
        })
    }

    /// Applies a server answer to the signed-in user's store, in one transaction with its
    /// cursor, and tells the observers what changed. [`FieldClient::sync`] calls it for each
    /// answer; it is public so an answer received another way (and tests) can be applied.
    pub fn apply_sync_response(&self, response: &SyncResponse) -> Result<SyncReport, ClientError> {
        let account = self.store.read(|tx| require_account(tx))?;
        self.apply_for(account.id, response)
    }

    fn apply_for(
        &self,
        account_id: i64,
        response: &SyncResponse,
    ) -> Result<SyncReport, ClientError> {
        let report = self
            .store
            .write(|tx| apply(tx, account_id, response, &self.reference()))?;
        self.observers.notify(&report.changed_orders);
        Ok(report)
    }
}

/// The next request, and whether some uploads were held back to keep it under
/// [`MAX_UPLOAD_BYTES`] (they go in the next exchange).
fn build_request(
    conn: &Connection,
    account: &dao::Account,
    app_version: &str,
    reconcile: bool,
) -> Result<(SyncRequest, bool), ClientError> {
    let state = dao::sync_state(conn, account.id)?;
    let mut uploads = Vec::new();
    let mut bytes = 0usize;
    let mut held_back = false;
    for order_id in dao::unacked_order_ids(conn, account.id)? {
        let Some(row) = dao::document(conn, account.id, &order_id)? else {
            continue;
        };
        // A document this build cannot read has nothing of this device's to send.
        let Ok(doc) = outbox::load(&row) else {
            continue;
        };
        let changes = outbox::pending(&doc, &row.acked);
        let size: usize = changes.iter().map(Vec::len).sum();
        if !uploads.is_empty() && bytes + size > MAX_UPLOAD_BYTES {
            held_back = true;
            break;
        }
        if !changes.is_empty() {
            bytes += size;
            uploads.push(DocChanges { order_id, changes });
        }
    }
    let holdings = if reconcile {
        dao::documents(conn, account.id)?
            .into_iter()
            .map(|row| DocHeads {
                order_id: row.order_id,
                heads: row.heads.iter().map(|h| h.0).collect(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let request = SyncRequest {
        app_version: app_version.to_string(),
        device_id: account.device_id.clone(),
        cursor: state.cursor,
        uploads,
        holdings,
    };
    Ok((request, held_back))
}

/// A document being updated by an answer.
struct Held {
    doc: WorkOrderDoc,
    acked: Vec<ChangeHash>,
    revoked: bool,
    heads_before: Option<Vec<ChangeHash>>,
}

fn held<'a>(
    conn: &Connection,
    account_id: i64,
    touched: &'a mut BTreeMap<String, Held>,
    order_id: &str,
) -> Result<Option<&'a mut Held>, ClientError> {
    if !touched.contains_key(order_id) {
        let Some(row) = dao::document(conn, account_id, order_id)? else {
            return Ok(None);
        };
        let doc = outbox::load(&row)?;
        touched.insert(
            order_id.to_string(),
            Held {
                doc,
                acked: row.acked,
                revoked: row.revoked,
                heads_before: Some(row.heads),
            },
        );
    }
    Ok(touched.get_mut(order_id))
}

fn apply(
    conn: &Connection,
    account_id: i64,
    response: &SyncResponse,
    reference: &ReferenceData,
) -> Result<SyncReport, ClientError> {
    let now = now_ms();
    let mut report = SyncReport {
        cursor: response.cursor,
        ..SyncReport::default()
    };
    let mut touched: BTreeMap<String, Held> = BTreeMap::new();
    // Hashes the server holds for each document, learned from what it sent.
    let mut server_has: BTreeMap<String, Vec<ChangeHash>> = BTreeMap::new();

    for snapshot in &response.documents {
        let mut incoming = WorkOrderDoc::load(&snapshot.doc)
            .map_err(|e| ClientError::Protocol(format!("order {}: {e}", snapshot.order_id)))?;
        match incoming.order_id() {
            Ok(id) if id == snapshot.order_id => {}
            _ => {
                return Err(ClientError::Protocol(format!(
                    "the document sent as order {} is another order's",
                    snapshot.order_id
                )));
            }
        }
        server_has
            .entry(snapshot.order_id.clone())
            .or_default()
            .extend(incoming.heads());
        match held(conn, account_id, &mut touched, &snapshot.order_id)? {
            Some(existing) => {
                existing.doc.merge(&mut incoming).map_err(protocol)?;
                // Delivered whole again: the order is this user's again.
                existing.revoked = false;
            }
            None => {
                report.new_orders += 1;
                touched.insert(
                    snapshot.order_id.clone(),
                    Held {
                        doc: incoming,
                        acked: Vec::new(),
                        revoked: false,
                        heads_before: None,
                    },
                );
            }
        }
    }

    for changes in &response.changes {
        let hashes = changes
            .changes
            .iter()
            .map(|bytes| outbox::change_hash(bytes))
            .collect::<Result<Vec<_>, _>>()?;
        if held(conn, account_id, &mut touched, &changes.order_id)?.is_none() {
            // Changes for an order not held yet: start from an empty replica.
            touched.insert(
                changes.order_id.clone(),
                Held {
                    doc: WorkOrderDoc::empty(current_actor(conn, account_id)?),
                    acked: Vec::new(),
                    revoked: false,
                    heads_before: None,
                },
            );
        }
        let mut applied = hashes;
        if let Some(entry) = touched.get_mut(&changes.order_id) {
            entry
                .doc
                .apply_changes(&changes.changes)
                .map_err(protocol)?;
            // automerge holds back a change whose dependencies it lacks, and a saved document
            // drops it: ask the server to reconcile by heads rather than lose it silently.
            let held: BTreeSet<ChangeHash> = entry
                .doc
                .change_infos(&[])
                .into_iter()
                .map(|c| c.hash)
                .collect();
            let before = applied.len();
            applied.retain(|hash| held.contains(hash));
            if applied.len() < before {
                report.reconcile_needed = true;
            }
        }
        report.received_changes += applied.len();
        server_has
            .entry(changes.order_id.clone())
            .or_default()
            .extend(applied);
    }

    for acked in &response.acked {
        if let Some(entry) = held(conn, account_id, &mut touched, &acked.order_id)? {
            // The server's heads replace what was acknowledged before: everything in their
            // history, the device's uploads included, is on the server now.
            entry.acked = acked.heads.iter().copied().map(ChangeHash).collect();
            report.acked_orders += 1;
        }
    }

    for order_id in &response.revoked {
        if let Some(entry) = held(conn, account_id, &mut touched, order_id)? {
            if !entry.revoked {
                report.revoked.push(order_id.clone());
            }
            entry.revoked = true;
        }
    }

    // Documents the server quarantined changes of: rebuilt from its version under a new actor,
    // the user's other actions replayed (see reset.rs).
    if !response.resets.is_empty() {
        let actor = reset::fresh_actor(conn, account_id, now)?;
        for snapshot in &response.resets {
            if held(conn, account_id, &mut touched, &snapshot.order_id)?.is_none() {
                continue;
            }
            let done = reset::reset(
                conn,
                account_id,
                snapshot,
                &response.rejected,
                actor.clone(),
                reference,
                now,
            )?;
            if let Some(entry) = touched.get_mut(&snapshot.order_id) {
                entry.doc = done.doc;
                entry.acked = done.server_heads;
                entry.revoked = false;
                entry.heads_before = None;
            }
            server_has.remove(&snapshot.order_id);
            report.reset.push(snapshot.order_id.clone());
            report.replayed += done.replayed;
        }
    }

    let mut changed = BTreeSet::new();
    for (order_id, mut entry) in touched {
        if let Some(hashes) = server_has.remove(&order_id) {
            entry.acked.extend(hashes);
        }
        let acked = outbox::normalize_acked(&entry.doc, std::mem::take(&mut entry.acked));
        let heads = outbox::sorted_heads(&entry.doc);
        if entry.heads_before.as_ref() != Some(&heads) {
            changed.insert(order_id.clone());
        }
        dao::put_document(
            conn,
            account_id,
            &DocRow {
                order_id,
                doc: entry.doc.save(),
                heads,
                acked,
                revoked: entry.revoked,
            },
            now,
        )?;
    }

    for rejection in &response.rejected {
        let hashes: Vec<String> = rejection
            .hashes
            .iter()
            .map(|h| ChangeHash(*h).to_string())
            .collect();
        dao::add_rejection(
            conn,
            account_id,
            &RejectionRow {
                order_id: rejection.order_id.clone(),
                hashes: hashes.join(","),
                code: rejection.code.clone(),
                message: rejection.message.clone(),
                received_at: now,
            },
        )?;
        report.rejected += 1;
        changed.insert(rejection.order_id.clone());
    }

    // A revoked order leaves the device once nothing of it is pending.
    for row in dao::revoked_documents(conn, account_id)? {
        if outbox::pending(&outbox::load(&row)?, &row.acked).is_empty() {
            dao::delete_document(conn, account_id, &row.order_id)?;
            changed.insert(row.order_id.clone());
            report.dropped.push(row.order_id);
        }
    }

    dao::set_synced(conn, account_id, response.cursor, now)?;
    report.changed_orders = changed.into_iter().collect();
    Ok(report)
}

fn protocol(err: crate::document::DocumentError) -> ClientError {
    ClientError::Protocol(format!("the server sent changes that do not apply: {err}"))
}

fn merge_report(total: &mut SyncReport, step: SyncReport) {
    total.new_orders += step.new_orders;
    total.received_changes += step.received_changes;
    total.acked_orders += step.acked_orders;
    total.revoked.extend(step.revoked);
    total.dropped.extend(step.dropped);
    total.rejected += step.rejected;
    total.reconcile_needed |= step.reconcile_needed;
    total.reset.extend(step.reset);
    total.replayed += step.replayed;
    total.cursor = step.cursor;
    for order in step.changed_orders {
        if !total.changed_orders.contains(&order) {
            total.changed_orders.push(order);
        }
    }
}
