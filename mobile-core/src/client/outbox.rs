//! The outbox, derived rather than queued: a document's pending changes are exactly those not in
//! the history of the heads the server acknowledged for it. Nothing can drift out of step with
//! the documents, and acknowledging is replacing one set of heads.

use super::dao::DocRow;
use super::error::ClientError;
use crate::document::WorkOrderDoc;
use crate::document::automerge::ChangeHash;

/// Loads a stored document.
pub(crate) fn load(row: &DocRow) -> Result<WorkOrderDoc, ClientError> {
    Ok(WorkOrderDoc::load(&row.doc)?)
}

/// The document's heads in a stable order (so equal sets compare equal in SQL).
pub(crate) fn sorted_heads(doc: &WorkOrderDoc) -> Vec<ChangeHash> {
    let mut heads = doc.heads();
    heads.sort();
    heads
}

/// The changes the server has not acknowledged.
pub(crate) fn pending(doc: &WorkOrderDoc, acked: &[ChangeHash]) -> Vec<Vec<u8>> {
    doc.changes_since(acked)
}

/// A compact form of an acknowledged set: sorted and deduplicated, and collapsed to the
/// document's own heads when nothing is pending (hashes the device does not hold yet are ignored
/// by automerge when it computes what is pending, so an acked set may name them).
pub(crate) fn normalize_acked(doc: &WorkOrderDoc, mut acked: Vec<ChangeHash>) -> Vec<ChangeHash> {
    if pending(doc, &acked).is_empty() {
        return sorted_heads(doc);
    }
    acked.sort();
    acked.dedup();
    acked
}

/// The hash of a raw change, or a protocol error for bytes that are not a change.
pub(crate) fn change_hash(bytes: &[u8]) -> Result<ChangeHash, ClientError> {
    crate::document::parse_change(bytes)
        .map(|change| change.hash())
        .map_err(|e| ClientError::Protocol(format!("the server sent a malformed change: {e}")))
}
