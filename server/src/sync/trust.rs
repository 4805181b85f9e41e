//! The trusted merge on the server: each order's upload is inspected by the core's
//! [`trust`](fieldline_core::document::trust) checks on ONE merged copy per document (not one
//! fork per change), refused changes and their dependents are taken out before anything is
//! stored, and every refusal of a broken or hostile client is quarantined: stored with its
//! reason, device and user, and answered with the server's version of the document so the
//! device resets and replays (see [`quarantine`]).

use super::{Session, SyncError};
use crate::orders::OrderError;
use crate::store::{QuarantinedChange, StoreError};
use fieldline_core::document::ChangeInfo;
use fieldline_core::document::automerge::{ActorId, Change, ChangeHash};
use fieldline_core::document::trust::{self, Sections, Writer};
use fieldline_core::reference::ReferenceSet;
use fieldline_core::sync::{DocSnapshot, Rejection};
use fieldline_core::{OrderRecord, WorkOrderDoc};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The `rule_after_merge` exceptions of an order (see
/// [`trust::after_merge_exceptions`]): every projection of an order adds them, so the office sees
/// work that held as the device saw it but conflicts with what it had not seen. `references` are
/// the utility's published versions (`reference::all_versions`): each entry is judged under the
/// version it recorded, as the upload judged it.
pub fn after_merge_exceptions(
    record: &fieldline_core::OrderRecord,
    references: &ReferenceSet,
) -> Vec<fieldline_core::OrderException> {
    trust::after_merge_exceptions(record, references)
}

/// Refusal codes that come from a broken or hostile client: the change is quarantined and the
/// device resets the document. (`missing_dependencies` is not one: it is a protocol state the
/// device recovers from by uploading the order from its first change.)
const QUARANTINED_CODES: [&str; 16] = [
    "actor_not_bound",
    "depends_on_rejected",
    "not_assigned",
    "invalid_document",
    "office_write",
    "field_edit",
    "field_write",
    "schema",
    "user_mismatch",
    "limit_exceeded",
    "limit_operations",
    "limit_photos_per_entry",
    "limit_photos_per_order",
    "rule",
    // The entry's stored assessment is not what the rules compute (an honest device under the
    // server's rules version always stores exactly that).
    fieldline_core::document::assessment_check::ASSESSMENT_MISMATCH,
    "depends_on_quarantined",
];

/// The rule and field of refused changes, by hash (the wire's `Rejection` carries neither; the
/// quarantine keeps both).
pub type Details = HashMap<ChangeHash, (Option<String>, Option<String>)>;

/// What the session's user may write to an order: field roles append to `field`, office roles
/// write `office`; a device creating a field-found order writes that new document's office
/// section too (the upload already checks its source and that it is assigned to its creator).
pub fn writer(s: &Session<'_>, creating: bool) -> Writer {
    let field = s.user.role.is_field();
    Writer {
        username: s.user.username.clone(),
        office: !field || creating,
        field: field || creating,
    }
}

/// The section ids of the stored document, read before the upload is applied to it.
pub fn sections(base: &WorkOrderDoc) -> Sections {
    // A stored document without the field section could not have been stored: treat it as new.
    Sections::of(base).unwrap_or_default()
}

/// Inspects the upload merged into `doc` and takes out what fails, with its dependents:
/// refusals go to `rejected` (with rule and field in `details`), and `doc`/`infos` are rebuilt
/// from `stored` and the changes that pass. Each round removes at least one change, so the loop
/// ends; an honest upload costs one round. Returns the record of `doc` as it stands when the
/// inspection read it (every change left passed), so the caller need not read it again.
/// `decoded` holds the uploaded changes as the upload decoded them: the inspection reads their
/// operations from there instead of parsing the bytes again.
#[allow(clippy::too_many_arguments)]
pub fn check(
    s: &Session<'_>,
    order_id: &str,
    uploaded: &[(ChangeHash, Vec<u8>)],
    decoded: &[Change],
    stored: Option<&[u8]>,
    sections: &Sections,
    doc: &mut WorkOrderDoc,
    before: &[ChangeHash],
    infos: &mut Vec<ChangeInfo>,
    rejected: &mut Vec<Rejection>,
    details: &mut Details,
) -> Result<Option<OrderRecord>, SyncError> {
    let writer = writer(s, stored.is_none());
    let mut refused: HashSet<ChangeHash> = HashSet::new();
    let mut record = None;
    while !infos.is_empty() {
        let inspection =
            trust::inspect_decoded(sections, doc, infos, decoded, &writer, &s.references)
                .map_err(OrderError::from)?;
        let found = inspection.refused;
        if found.is_empty() {
            record = inspection.record;
            break;
        }
        let mut by_code: Vec<(String, String, Vec<[u8; 32]>)> = Vec::new();
        for q in found {
            refused.insert(q.hash);
            details.insert(q.hash, (q.rule.clone(), q.field.clone()));
            let message = match &q.rule {
                Some(rule) => format!("{} (rule {rule})", q.message),
                None => q.message.clone(),
            };
            match by_code
                .iter_mut()
                .find(|(c, m, _)| *c == q.code && *m == message)
            {
                Some((_, _, hashes)) => hashes.push(q.hash.0),
                None => by_code.push((q.code, message, vec![q.hash.0])),
            }
        }
        for (code, message, hashes) in by_code {
            rejected.push(Rejection {
                order_id: order_id.to_string(),
                hashes,
                code,
                message,
            });
        }
        let keep: Vec<Vec<u8>> = uploaded
            .iter()
            .filter(|(h, _)| !refused.contains(h))
            .map(|(_, b)| b.clone())
            .collect();
        *doc = match stored {
            Some(bytes) => WorkOrderDoc::load(bytes).map_err(OrderError::from)?,
            None => WorkOrderDoc::empty(ActorId::random()),
        };
        doc.apply_changes(&keep).map_err(OrderError::from)?;
        *infos = doc.change_infos(before);
    }
    if check_document_size(s, order_id, stored, doc, before, infos, rejected)? {
        // The document went back to its stored state: the record read no longer describes it.
        record = None;
    }
    Ok(record)
}

/// Refuses the whole upload of an order that would grow its document past
/// `sync.max_document_bytes` (stored bytes plus the new changes: an upper bound, no save needed).
/// Not a quarantine: an honest device can reach it, so its changes stay pending there and nothing
/// is reset or replayed. Returns whether it refused (and so reset `doc`).
#[allow(clippy::too_many_arguments)]
fn check_document_size(
    s: &Session<'_>,
    order_id: &str,
    stored: Option<&[u8]>,
    doc: &mut WorkOrderDoc,
    before: &[ChangeHash],
    infos: &mut Vec<ChangeInfo>,
    rejected: &mut Vec<Rejection>,
) -> Result<bool, SyncError> {
    let grown = stored.map_or(0, <[u8]>::len) + infos.iter().map(|i| i.bytes.len()).sum::<usize>();
    if infos.is_empty() || grown <= s.config.max_document_bytes {
        return Ok(false);
    }
    rejected.push(Rejection {
        order_id: order_id.to_string(),
        hashes: infos.iter().map(|i| i.hash.0).collect(),
        code: "limit_document_size".into(),
        message: format!(
            "the order's document would grow past {} bytes (sync.max_document_bytes);              the changes stay on the device",
            s.config.max_document_bytes
        ),
    });
    *doc = match stored {
        Some(bytes) => WorkOrderDoc::load(bytes).map_err(OrderError::from)?,
        None => WorkOrderDoc::empty(ActorId::random()),
    };
    *infos = doc.change_infos(before);
    Ok(true)
}

/// Stores the quarantined changes of this sync's refusals (idempotent: a retried sync stores
/// nothing twice) and returns, for each order with any, the server's version of its document for
/// the device to reset to. Runs after the batch is stored, so the version sent is the merged one.
pub async fn quarantine(
    s: &Session<'_>,
    uploaded: &HashMap<Uuid, Vec<(ChangeHash, Vec<u8>)>>,
    rejected: &[Rejection],
    details: &Details,
) -> Result<Vec<DocSnapshot>, SyncError> {
    let mut rows = Vec::new();
    let mut orders: Vec<(Uuid, String)> = Vec::new();
    for rejection in rejected
        .iter()
        .filter(|r| QUARANTINED_CODES.contains(&r.code.as_str()))
    {
        let Ok(order_id) = rejection.order_id.parse::<Uuid>() else {
            continue;
        };
        let Some(changes) = uploaded.get(&order_id) else {
            continue;
        };
        for hash in &rejection.hashes {
            let hash = ChangeHash(*hash);
            let Some((_, bytes)) = changes.iter().find(|(h, _)| *h == hash) else {
                continue;
            };
            let (rule, field) = details.get(&hash).cloned().unwrap_or_default();
            rows.push(QuarantinedChange {
                order_id,
                change_hash: hash.to_string(),
                bytes: bytes.clone(),
                code: rejection.code.clone(),
                message: rejection.message.clone(),
                rule,
                field,
                device_id: s.device.id,
                user_id: s.user.id,
                received_at: s.now,
            });
        }
        // Never send an order the user may not see (`not_assigned`): nothing to reset to.
        if rejection.code != "not_assigned" && !orders.iter().any(|(id, _)| *id == order_id) {
            orders.push((order_id, rejection.order_id.clone()));
        }
    }
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    tracing::warn!(
        device_id = %s.device.id,
        user_id = %s.user.id,
        changes = rows.len(),
        "uploaded changes quarantined"
    );
    s.store.quarantine_changes(s.utility, &rows).await?;
    let mut resets = Vec::new();
    for (id, raw) in orders {
        match s.store.get_order(s.utility, id).await {
            Ok(stored) => resets.push(DocSnapshot {
                order_id: raw,
                doc: stored.doc,
            }),
            // A refused field-found order the server never stored: nothing to reset to.
            Err(StoreError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(resets)
}
