//! The field work of an order as the office reviews it: one timeline in causal order (the
//! core's [`fieldline_core::timeline`]), each entry with who made it as the server bound its
//! change (user, device), the device's time, the server's receipt time, and the exceptions that
//! name it. The entry's own fields stay as the document holds them, so a client reading
//! `field[].action` or `field[].context` reads what it always did.

use crate::store::{ChangeRecord, Store, StoreError, UtilityId};
use chrono::{DateTime, Utc};
use fieldline_core::{FieldEntry, OrderException, OrderRecord};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// One field entry in an order's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    /// The entry as the document holds it (`id`, `action`, `context` with the device's claims,
    /// `assessment` with its flags, versions, `origin`).
    #[serde(flatten)]
    pub entry: FieldEntry,
    /// Who made it: the username the server bound the change's device to when it arrived
    /// (`context.user` is only what the device claimed). `None` for a change the server has no
    /// log row for.
    pub user: Option<String>,
    /// The device it came from.
    pub device_id: Option<Uuid>,
    /// The device's clock when the entry was made (a claim; the same as `context.device_time`).
    pub device_time: Option<DateTime<Utc>>,
    /// When the server received the change that wrote it.
    pub received_at: Option<DateTime<Utc>>,
    /// Codes of the order's exceptions that name this entry.
    pub exceptions: Vec<String>,
    /// Ids of the entries made without having seen this one, and that this one had not seen
    /// (two devices offline): their relative place in the timeline comes from device clocks.
    pub concurrent_with: Vec<String>,
}

/// A timeline entry reads as the entry it annotates (`detail.field[0].id`, `.action`), as the
/// detail's `field` list did before it became a timeline.
impl std::ops::Deref for TimelineEntry {
    type Target = FieldEntry;

    fn deref(&self) -> &FieldEntry {
        &self.entry
    }
}

/// Names the server bound the changes to, by user id.
pub type UserNames = HashMap<Uuid, String>;

/// The record's field entries as a timeline, joined with the change log `history` (any order)
/// and the order's `exceptions` (its projection's: derived, after-merge and across orders).
pub fn timeline(
    record: &OrderRecord,
    exceptions: &[OrderException],
    history: &[ChangeRecord],
    names: &UserNames,
) -> Vec<TimelineEntry> {
    let by_hash: HashMap<&str, &ChangeRecord> = history
        .iter()
        .map(|c| (c.change.hash.as_str(), c))
        .collect();
    let causality = &record.causality;
    record
        .field_timeline()
        .into_iter()
        .map(|entry| {
            let logged = by_hash.get(entry.origin.change.as_str());
            TimelineEntry {
                user: logged
                    .and_then(|c| c.change.user_id)
                    .and_then(|id| names.get(&id).cloned()),
                device_id: logged.and_then(|c| c.change.device_id),
                device_time: super::to_utc(entry.context.device_time),
                received_at: logged.map(|c| c.change.received_at),
                exceptions: exceptions
                    .iter()
                    .filter(|e| e.entries.contains(&entry.id))
                    .map(|e| e.code.clone())
                    .collect(),
                concurrent_with: record
                    .field
                    .iter()
                    .filter(|other| causality.concurrent(&other.origin, &entry.origin))
                    .map(|other| other.id.clone())
                    .collect(),
                entry: entry.clone(),
            }
        })
        .collect()
}

/// The order's field timeline, reading its change log and the names of the users it names
/// (nothing to read for an order without field work).
pub async fn load(
    store: &dyn Store,
    utility: UtilityId,
    id: Uuid,
    record: &OrderRecord,
    exceptions: &[OrderException],
) -> Result<Vec<TimelineEntry>, StoreError> {
    if record.field.is_empty() {
        return Ok(Vec::new());
    }
    let history = store.order_history(utility, id).await?;
    let mut names = UserNames::new();
    for user_id in history.iter().filter_map(|c| c.change.user_id) {
        if names.contains_key(&user_id) {
            continue;
        }
        match store.get_user(utility, user_id).await {
            Ok(user) => {
                names.insert(user_id, user.username);
            }
            // A user deleted since keeps their work, without a name.
            Err(StoreError::NotFound) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(timeline(record, exceptions, &history, &names))
}
