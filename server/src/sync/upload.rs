//! The upload half of a sync: decode each order's changes, refuse what this device may not
//! write (never stored, never silently dropped: named in `rejected`), merge the rest into the
//! stored documents and store the whole batch in one transaction, retrying when an order moved.

use super::access::may_upload;
use super::project::Resolver;
use super::{Session, SyncError};
use crate::orders::OrderError;
use crate::store::{NewChange, NewOrder, OrderUpdate, StoreError, StoredOrder, UploadedOrder};
use chrono::DateTime;
use fieldline_core::document::ChangeInfo;
use fieldline_core::document::automerge::{ActorId, Change, ChangeHash};
use fieldline_core::model::Source;
use fieldline_core::sync::{DocChanges, DocHeads, Rejection};
use fieldline_core::{OrderRecord, WorkOrderDoc};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tracing::Instrument;
use uuid::Uuid;

/// How often a batch is re-read and merged again when an order changed under it. Merging a
/// busy order with the trust checks takes long enough that several devices and the office can
/// keep winning the race on a loaded machine: twelve rounds of growing backoff (about two
/// seconds at worst) before the device is told to try again later.
const MAX_ATTEMPTS: usize = 12;

/// What the uploads came to.
#[derive(Debug, Default)]
pub struct Uploaded {
    /// Heads the server holds for each uploaded order the device may see.
    pub acked: Vec<DocHeads>,
    /// Refused changes, with why.
    pub rejected: Vec<Rejection>,
    /// The hashes the device sent, per order: the answer does not send them back.
    pub sent: HashMap<Uuid, HashSet<String>>,
    /// The assignees (after the upload) of the orders the upload changed: whom to poke.
    pub changed_assignees: Vec<Option<Uuid>>,
    /// The orders the upload changed (each got one feed entry of its own).
    pub changed: HashSet<Uuid>,
    /// The server's version of the orders whose uploads were quarantined (trusted merge).
    pub resets: Vec<fieldline_core::sync::DocSnapshot>,
}

/// One order's upload after decoding.
struct Decoded {
    raw_id: String,
    id: Uuid,
    changes: Vec<(ChangeHash, Vec<u8>)>,
    /// The same changes, decoded (merging them does not decode them again).
    decoded: Vec<Change>,
}

/// The result of merging one order's upload into its stored state.
#[derive(Clone)]
enum Merged {
    /// Nothing new: the server already had every change.
    Unchanged(DocHeads),
    /// New changes to store, with the merged record when the order has office work to do once
    /// stored (follow-ups to create, a re-read to judge): read once here, not again after.
    Changed(DocHeads, Box<UploadedOrder>, Option<Arc<OrderRecord>>),
    /// Refused as a whole.
    Refused,
}

/// Applies the request's uploads for the session's device.
pub async fn apply(s: &Session<'_>, uploads: &[DocChanges]) -> Result<Uploaded, SyncError> {
    let mut out = Uploaded::default();
    if uploads.is_empty() {
        return Ok(out);
    }
    let decoded = decode_all(uploads, &mut out);
    let bound: HashSet<String> = s
        .store
        .device_actors(s.utility, s.device.id)
        .await?
        .into_iter()
        .map(|b| b.actor)
        .collect();
    let mut resolver = Resolver::new(s.references.clone());
    let mut details = super::trust::Details::new();
    // Each order's merge, by the version it was merged into: after a conflict only the orders
    // that moved are merged again.
    let mut merged: HashMap<Uuid, (Option<i64>, Merged, Vec<Rejection>)> = HashMap::new();
    let ids: Vec<Uuid> = decoded.iter().map(|order| order.id).collect();
    for attempt in 0..MAX_ATTEMPTS {
        let mut rejected = Vec::new();
        let mut acked = Vec::new();
        let mut batch = Vec::new();
        let mut office_work = Vec::new();
        // The batch's stored orders in one read (an order the server lacks is field-found).
        let mut stored_orders: HashMap<Uuid, StoredOrder> = s
            .store
            .get_orders(s.utility, &ids)
            .await?
            .into_iter()
            .map(|order| (order.summary.id, order))
            .collect();
        for order in &decoded {
            let stored = stored_orders.remove(&order.id);
            let version = stored.as_ref().map(|o| o.summary.version);
            let reusable = merged.get(&order.id).filter(|(v, _, _)| *v == version);
            let (result, mut refused) = match reusable {
                Some((_, result, refused)) => (result.clone(), refused.clone()),
                None => {
                    let span = tracing::debug_span!("upload", order_id = %order.id);
                    let mut refused = Vec::new();
                    let result = merge(
                        s,
                        order,
                        stored,
                        &bound,
                        &mut resolver,
                        &mut refused,
                        &mut details,
                    )
                    .instrument(span)
                    .await?;
                    merged.insert(order.id, (version, result.clone(), refused.clone()));
                    (result, refused)
                }
            };
            rejected.append(&mut refused);
            match result {
                Merged::Unchanged(heads) => acked.push(heads),
                Merged::Changed(heads, item, work) => {
                    acked.push(heads);
                    if let Some(record) = work {
                        office_work.push((order.id, record));
                    }
                    batch.push(*item);
                }
                Merged::Refused => {}
            }
        }
        match s.store.apply_uploads(s.utility, &batch).await {
            Ok(stored) => {
                let unchanged: Vec<Uuid> = merged
                    .iter()
                    .filter(|(_, (_, m, _))| matches!(m, Merged::Unchanged(_)))
                    .map(|(id, _)| *id)
                    .collect();
                crate::orders::follow_ups::after_upload(
                    s.store,
                    s.utility,
                    s.user,
                    &office_work,
                    &stored,
                    &unchanged,
                    s.now,
                )
                .await?;
                out.changed_assignees = stored.iter().map(|o| o.projection.assignee_id).collect();
                out.changed = stored.iter().map(|o| o.id).collect();
                tracing::info!(
                    device_id = %s.device.id,
                    orders = batch.len(),
                    rejected = rejected.len(),
                    "uploads stored"
                );
                out.acked = acked;
                out.rejected.append(&mut rejected);
                if !out.rejected.is_empty() {
                    let uploaded = decoded.iter().map(|d| (d.id, d.changes.clone())).collect();
                    out.resets =
                        super::trust::quarantine(s, &uploaded, &out.rejected, &details).await?;
                }
                return Ok(out);
            }
            Err(StoreError::Conflict(_)) => backoff(attempt).await,
            Err(other) => return Err(other.into()),
        }
    }
    Err(SyncError::Busy)
}

/// Waits a random while before re-reading, growing with each attempt, so writers racing for one
/// order (an office edit, several devices) spread out instead of colliding again.
async fn backoff(attempt: usize) {
    let ceiling = 5u64 << attempt.min(6);
    let millis = rand::Rng::gen_range(&mut rand::thread_rng(), 0..=ceiling);
    tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
}

/// Decodes every change; ids that are not UUIDs and bytes that are not automerge changes are
/// refused here (`malformed_change`).
fn decode_all(uploads: &[DocChanges], out: &mut Uploaded) -> Vec<Decoded> {
    let mut decoded: Vec<Decoded> = Vec::with_capacity(uploads.len());
    let mut index: HashMap<Uuid, usize> = HashMap::new();
    for upload in uploads {
        let Ok(id) = upload.order_id.parse::<Uuid>() else {
            out.rejected.push(Rejection {
                order_id: upload.order_id.clone(),
                hashes: hashes_of_bytes(&upload.changes),
                code: "malformed_change".into(),
                message: "the order id is not a UUID".into(),
            });
            continue;
        };
        let mut changes = Vec::with_capacity(upload.changes.len());
        let mut decoded_changes = Vec::with_capacity(upload.changes.len());
        let mut broken = 0usize;
        for bytes in &upload.changes {
            match fieldline_core::document::parse_change(bytes) {
                Ok(change) => {
                    changes.push((change.hash(), bytes.clone()));
                    decoded_changes.push(change);
                }
                Err(_) => broken += 1,
            }
        }
        if broken > 0 {
            out.rejected.push(Rejection {
                order_id: upload.order_id.clone(),
                hashes: Vec::new(),
                code: "malformed_change".into(),
                message: format!("{broken} uploaded change(s) are not automerge changes"),
            });
        }
        let sent = out.sent.entry(id).or_default();
        sent.extend(
            changes
                .iter()
                .map(|(h, _)| fieldline_core::document::hex(&h.0)),
        );
        // One entry per order, even if the device named it twice: a batch must not update one
        // order twice from the same version.
        match index.get(&id) {
            Some(&at) => {
                decoded[at].changes.append(&mut changes);
                decoded[at].decoded.append(&mut decoded_changes);
            }
            None => {
                index.insert(id, decoded.len());
                decoded.push(Decoded {
                    raw_id: upload.order_id.clone(),
                    id,
                    changes,
                    decoded: decoded_changes,
                });
            }
        }
    }
    decoded
}

fn hashes_of_bytes(changes: &[Vec<u8>]) -> Vec<[u8; 32]> {
    changes
        .iter()
        .filter_map(|b| fieldline_core::document::parse_change(b).ok())
        .map(|c| c.hash().0)
        .collect()
}

/// Merges one order's upload into its stored state (or creates a field-found order).
async fn merge(
    s: &Session<'_>,
    order: &Decoded,
    stored: Option<StoredOrder>,
    bound: &HashSet<String>,
    resolver: &mut Resolver,
    rejected: &mut Vec<Rejection>,
    details: &mut super::trust::Details,
) -> Result<Merged, SyncError> {
    let base = match &stored {
        Some(stored) => WorkOrderDoc::load(&stored.doc).map_err(OrderError::from)?,
        None => WorkOrderDoc::empty(ActorId::random()),
    };
    if let Some(stored) = &stored
        && !may_upload(s.store, s.utility, s.user, stored, &base).await?
    {
        let hashes = order.changes.iter().map(|(h, _)| h.0).collect();
        rejected.push(refusal(
            order,
            hashes,
            "not_assigned",
            "this order is not assigned to you and never was",
        ));
        return Ok(Merged::Refused);
    }
    let before = base.heads();
    let sections = super::trust::sections(&base);
    let mut doc = base;
    let Ok(mut infos) = doc.apply_new(&order.decoded) else {
        let hashes = order.changes.iter().map(|(h, _)| h.0).collect();
        rejected.push(refusal(
            order,
            hashes,
            "malformed_change",
            "the changes cannot be applied to the document",
        ));
        return Ok(Merged::Refused);
    };
    let refused = unbound(&infos, bound);
    if !refused.is_empty() {
        let (direct, dependent): (Vec<_>, Vec<_>) =
            refused.iter().partition(|(_, direct)| **direct);
        rejected.push(refusal(
            order,
            direct.iter().map(|(h, _)| h.0).collect(),
            "actor_not_bound",
            "written by an automerge actor that is not bound to this device",
        ));
        if !dependent.is_empty() {
            rejected.push(refusal(
                order,
                dependent.iter().map(|(h, _)| h.0).collect(),
                "depends_on_rejected",
                "depends on a refused change",
            ));
        }
        let keep: Vec<Vec<u8>> = order
            .changes
            .iter()
            .filter(|(h, _)| !refused.contains_key(h))
            .map(|(_, b)| b.clone())
            .collect();
        // Rare (a broken or hostile client): start again from the stored state.
        doc = match &stored {
            Some(stored) => WorkOrderDoc::load(&stored.doc).map_err(OrderError::from)?,
            None => WorkOrderDoc::empty(ActorId::random()),
        };
        if doc.apply_changes(&keep).is_err() {
            return Ok(Merged::Refused);
        }
        infos = doc.change_infos(&before);
    }
    let refused_before = rejected.len();
    let checked = super::trust::check(
        s,
        &order.raw_id,
        &order.changes,
        &order.decoded,
        stored.as_ref().map(|o| o.doc.as_slice()),
        &sections,
        &mut doc,
        &before,
        &mut infos,
        rejected,
        details,
    )?;
    let trust_refused = rejected.len() > refused_before;
    let heads = DocHeads {
        order_id: order.raw_id.clone(),
        heads: doc.heads().iter().map(|h| h.0).collect(),
    };
    if infos.is_empty() {
        if stored.is_some() {
            return Ok(Merged::Unchanged(heads));
        }
        if !order.changes.is_empty() && refused.is_empty() && !trust_refused {
            // Nothing applied to an order the server does not know: its first changes are missing.
            let hashes = order.changes.iter().map(|(h, _)| h.0).collect();
            rejected.push(refusal(
                order,
                hashes,
                "missing_dependencies",
                "these changes depend on changes of a new order the server does not have: \
                 upload the order from its first change",
            ));
        }
        return Ok(Merged::Refused);
    }
    let new_hashes: Vec<[u8; 32]> = infos.iter().map(|i| i.hash.0).collect();
    // The document must still read as a work order (full schema checks come with the trust
    // rules); storing one that does not would break every later reader of the order.
    // The inspection already read it when everything passed (the usual case).
    let read = match checked {
        Some(record) => Ok(record),
        None => doc.record(),
    };
    let Ok(record) = read else {
        rejected.push(refusal(
            order,
            new_hashes,
            "invalid_document",
            "the changes do not leave a readable work order",
        ));
        return Ok(Merged::Refused);
    };
    if stored.is_none() {
        if record.order_id.parse::<Uuid>().ok() != Some(order.id) {
            rejected.push(refusal(
                order,
                new_hashes,
                "invalid_document",
                "the new document's order id is not the one it was uploaded under",
            ));
            return Ok(Merged::Refused);
        }
        if record.office.source != Source::FieldFound {
            rejected.push(refusal(
                order,
                new_hashes,
                "not_assigned",
                "a device may only create field-found orders",
            ));
            return Ok(Merged::Refused);
        }
    }
    let known = stored.as_ref().map(|o| &o.summary.projection);
    let projection = resolver.project(s.store, s.utility, &record, known).await?;
    let work = crate::orders::follow_ups::has_office_work(&record).then(|| Arc::new(record));
    let changes = log_rows(s, &infos, bound);
    let item = match stored {
        Some(stored) => UploadedOrder::Update {
            id: order.id,
            expected_version: stored.summary.version,
            update: OrderUpdate {
                // The stored bytes with the new changes appended (compacted now and then).
                doc: super::append::appended(&stored.doc, &infos).unwrap_or_else(|| doc.save()),
                projection,
                changes,
                updated_at: s.now,
            },
        },
        None => UploadedOrder::Create(NewOrder {
            id: order.id,
            projection,
            doc: doc.save(),
            changes,
            created_at: s.now,
        }),
    };
    Ok(Merged::Changed(heads, Box::new(item), work))
}

/// New changes whose actor is not bound to the device (`true`), and the new changes that depend
/// on one of those (`false`). Changes come in causal order, so one pass finds every dependent.
fn unbound(infos: &[ChangeInfo], bound: &HashSet<String>) -> HashMap<ChangeHash, bool> {
    let mut refused = HashMap::new();
    for info in infos {
        if !bound.contains(&info.actor) {
            refused.insert(info.hash, true);
        } else if info.deps.iter().any(|d| refused.contains_key(d)) {
            refused.insert(info.hash, false);
        }
    }
    refused
}

/// Change-log rows: who from the actor binding (the device's user), the device, the device's
/// claimed time beside the server's receipt time.
fn log_rows(s: &Session<'_>, infos: &[ChangeInfo], bound: &HashSet<String>) -> Vec<NewChange> {
    infos
        .iter()
        .map(|info| NewChange {
            hash: fieldline_core::document::hex(&info.hash.0),
            bytes: info.bytes.clone(),
            actor: info.actor.clone(),
            user_id: bound.contains(&info.actor).then_some(s.user.id),
            device_id: Some(s.device.id),
            device_time: DateTime::from_timestamp(info.time_secs, 0),
            received_at: s.now,
            summary: info.message.clone().unwrap_or_default(),
        })
        .collect()
}

fn refusal(order: &Decoded, hashes: Vec<[u8; 32]>, code: &str, message: &str) -> Rejection {
    Rejection {
        order_id: order.raw_id.clone(),
        hashes,
        code: code.to_string(),
        message: message.to_string(),
    }
}
