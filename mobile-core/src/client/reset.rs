//! Resetting a document the server quarantined changes of (ARCHITECTURE.md "Sync"): the device
//! rebuilds it from the server's version, writes from then on with a NEW automerge actor (an
//! actor's sequence numbers cannot be reused; the new one is bound to the device before the next
//! upload), and replays the user's logged actions the server has not refused, each checked again
//! by the rules. An action the rules now refuse is kept as a rejection the user sees; no honest
//! work is thrown away.

use super::dao::{self, RejectionRow};
use super::error::ClientError;
use super::new_actor;
use crate::action::{ActionContext, FieldAction};
use crate::document::automerge::ActorId;
use crate::document::{ActionError, WorkOrderDoc};
use crate::reference::ReferenceData;
use crate::sync::{DocSnapshot, Rejection};
use rusqlite::Connection;
use std::collections::HashSet;

/// Refusal codes that only say "depends on a refused change": the action itself was honest and
/// is replayed.
const DEPENDENT_CODES: [&str; 2] = ["depends_on_quarantined", "depends_on_rejected"];

/// What one reset did.
pub(crate) struct Reset {
    /// The rebuilt document, writing as the new actor.
    pub doc: WorkOrderDoc,
    /// The heads of the server's version (everything in their history is on the server).
    pub server_heads: Vec<crate::document::automerge::ChangeHash>,
    /// Actions replayed (new changes to upload).
    pub replayed: usize,
}

/// The actor for this answer's resets: a new one, registered before the next upload.
pub(crate) fn fresh_actor(
    conn: &Connection,
    account_id: i64,
    now: i64,
) -> Result<ActorId, ClientError> {
    let hex = new_actor();
    dao::add_actor(conn, account_id, &hex, now)?;
    ActorId::try_from(hex.as_str())
        .map_err(|e| ClientError::Storage(format!("a new actor id is malformed: {e}")))
}

/// Rebuilds `snapshot`'s order from the server's document and replays the account's actions on
/// it as `actor`; refused replays are recorded as rejections.
pub(crate) fn reset(
    conn: &Connection,
    account_id: i64,
    snapshot: &DocSnapshot,
    rejected: &[Rejection],
    actor: ActorId,
    reference: &ReferenceData,
    now: i64,
) -> Result<Reset, ClientError> {
    let mut doc = WorkOrderDoc::load(&snapshot.doc)
        .map_err(|e| ClientError::Protocol(format!("order {}: {e}", snapshot.order_id)))?;
    doc.set_actor(actor);
    let server_heads = doc.heads();
    let refused: HashSet<String> = rejected
        .iter()
        .filter(|r| r.order_id == snapshot.order_id && !DEPENDENT_CODES.contains(&r.code.as_str()))
        .flat_map(|r| r.hashes.iter())
        .map(|h| crate::document::automerge::ChangeHash(*h).to_string())
        .collect();
    let present: HashSet<String> = doc
        .change_infos(&[])
        .into_iter()
        .map(|c| c.hash.to_string())
        .collect();
    let mut replayed = 0;
    for intent in dao::intents(conn, account_id, &snapshot.order_id)? {
        if present.contains(&intent.change_hash) || refused.contains(&intent.change_hash) {
            continue;
        }
        let action: FieldAction = serde_json::from_str(&intent.action)?;
        let context: ActionContext = serde_json::from_str(&intent.context)?;
        let name = action.name();
        match doc.record_field_action(action, context, reference) {
            Ok(entry) => {
                dao::set_intent_change(conn, intent.id, &entry.origin.change)?;
                replayed += 1;
            }
            Err(ActionError::Refused(refusal)) => {
                dao::add_rejection(
                    conn,
                    account_id,
                    &RejectionRow {
                        order_id: snapshot.order_id.clone(),
                        hashes: intent.change_hash.clone(),
                        code: "replay_refused".into(),
                        message: format!(
                            "your `{name}` could not be replayed after the order was reset: {} \
                             (rule {})",
                            refusal.message, refusal.rule
                        ),
                        received_at: now,
                    },
                )?;
            }
            Err(ActionError::Document(err)) => {
                return Err(ClientError::Protocol(format!(
                    "order {}: replaying after a reset failed: {err}",
                    snapshot.order_id
                )));
            }
        }
    }
    Ok(Reset {
        doc,
        server_heads,
        replayed,
    })
}
