//! The work order document on automerge. One document per order; its root holds a schema
//! version and two sections, `office` (what to do, and the office's append-only log) and `field`
//! (append-only lists of what the crew did). This module is the only code that touches automerge
//! paths: everything else reads an [`OrderRecord`] and writes through typed functions.
//!
//! Layout (schema version 1):
//! ```text
//! { schema_version: 1, order_id: "…",
//!   office: { data: {OfficeData…}, log: [ {action: {action: "assign", …}, by, at} … ] },
//!   field:  { events: [entry…], readings: [entry…], notes: [entry…], photos: [entry…] } }
//! entry = { action: {action: "reading", …}, context: {user, device_time, gps},
//!           assessment: {readings, flags}, rules_version, reference_version }
//! ```
//! An entry's id is the id of the operation that created it (`counter@actor`): unique, the same
//! on every replica, and impossible for a client to choose.

pub mod assessment_check;
mod causality;
mod json;
mod office_data;
mod read;
pub mod trust;

use crate::action::{ActionContext, FieldAction, OfficeAction};
use crate::model::{OfficeData, Timestamp};
use crate::outcome::{Assessment, Refusal};
use crate::record::{FieldEntry, OfficeEntry, OrderRecord, Origin};
use crate::reference::ReferenceData;
use crate::rules;
use crate::status::{self, Derived, Status};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, Change, ChangeHash, ObjId, ObjType, ROOT, ReadDoc};
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

pub use automerge;
pub use office_data::REFRESH_ACCOUNT;

/// Lower-case hex of `bytes`, as automerge prints change hashes and actor ids (`Display`,
/// `to_hex_string`), without going through a formatter char by char: the server writes several
/// per uploaded change (log rows, origins, causality).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// The document schema version this build writes. Schemas only grow (new optional fields).
pub const SCHEMA_VERSION: u64 = 1;

/// Longest free text accepted in a note or reason, in bytes.
pub const MAX_TEXT_BYTES: usize = 4_000;

/// What can go wrong reading or writing a document.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The bytes are not an automerge document.
    #[error("not a work order document: {0}")]
    Load(#[source] Box<automerge::AutomergeError>),
    /// The document does not have the shape of the schema.
    #[error("document does not match the schema at {path}: {message}")]
    Schema {
        /// Where in the document.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The document was written by a newer schema than this build knows.
    #[error("document schema {found} is newer than this app's {SCHEMA_VERSION}: update the app")]
    NewerSchema {
        /// The version in the document.
        found: u64,
    },
    /// automerge refused an operation.
    #[error("document operation failed: {0}")]
    Automerge(#[source] Box<automerge::AutomergeError>),
}

impl From<automerge::AutomergeError> for DocumentError {
    fn from(err: automerge::AutomergeError) -> Self {
        DocumentError::Automerge(Box::new(err))
    }
}

impl DocumentError {
    pub(crate) fn schema(path: &str, message: impl Into<String>) -> Self {
        DocumentError::Schema {
            path: path.to_string(),
            message: message.into(),
        }
    }
}

/// One automerge change as the server logs and ships it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeInfo {
    /// The change hash.
    pub hash: ChangeHash,
    /// The writing actor, hex.
    pub actor: String,
    /// The actor's sequence number of this change.
    pub seq: u64,
    /// The writer's clock, Unix seconds (advisory: a device's claim).
    pub time_secs: i64,
    /// What the change did (`field:reading`, `office:assign`).
    pub message: Option<String>,
    /// The heads its writer had seen.
    pub deps: Vec<ChangeHash>,
    /// The raw change bytes.
    pub bytes: Vec<u8>,
}

/// Why an action was not written.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// A rule refused it; nothing was written.
    #[error("refused: {0}")]
    Refused(Refusal),
    /// The document could not be read or written.
    #[error(transparent)]
    Document(#[from] DocumentError),
}

impl From<Refusal> for ActionError {
    fn from(refusal: Refusal) -> Self {
        ActionError::Refused(refusal)
    }
}

/// The field lists, and which actions go into each.
const FIELD_LISTS: [&str; 4] = ["events", "readings", "notes", "photos"];

fn field_list_for(action: &FieldAction) -> &'static str {
    match action {
        FieldAction::Reading { .. } | FieldAction::Skip { .. } => "readings",
        FieldAction::Note { .. } => "notes",
        FieldAction::Photo { .. } => "photos",
        _ => "events",
    }
}

/// One work order as an automerge document.
#[derive(Debug, Clone)]
pub struct WorkOrderDoc {
    doc: Automerge,
}

impl WorkOrderDoc {
    /// Creates the document of a new order, written by `actor` (the office, or a device for a
    /// field-found order) at `at`.
    pub fn create(
        order_id: &str,
        office: &OfficeData,
        actor: ActorId,
        at: Timestamp,
    ) -> Result<Self, DocumentError> {
        let mut doc = Automerge::new().with_actor(actor);
        let data = json::to_hydrate(&to_json(office)?);
        let mut tx = doc.transaction();
        tx.put(ROOT, "schema_version", SCHEMA_VERSION)?;
        tx.put(ROOT, "order_id", order_id)?;
        let office_obj = tx.put_object(ROOT, "office", ObjType::Map)?;
        tx.batch_create_object(&office_obj, "data", &data, false)?;
        tx.put_object(&office_obj, "log", ObjType::List)?;
        let field = tx.put_object(ROOT, "field", ObjType::Map)?;
        for list in FIELD_LISTS {
            tx.put_object(&field, list, ObjType::List)?;
        }
        tx.commit_with(commit_options("create", at));
        Ok(WorkOrderDoc { doc })
    }

    /// Loads a saved document and checks that it is a work order this build can read. Bytes
    /// automerge 0.12 panics on (fuzzing found some) are an error like any other malformed
    /// input.
    pub fn load(bytes: &[u8]) -> Result<Self, DocumentError> {
        let loaded = contain_panic(|| Automerge::load(bytes))
            .ok_or_else(|| DocumentError::schema("$", "not a readable automerge document"))?;
        let doc = loaded.map_err(|e| DocumentError::Load(Box::new(e)))?;
        let this = WorkOrderDoc { doc };
        this.check_root()?;
        Ok(this)
    }

    /// An empty document to receive an order's changes (a device's copy before its first sync).
    pub fn empty(actor: ActorId) -> Self {
        WorkOrderDoc {
            doc: Automerge::new().with_actor(actor),
        }
    }

    /// Writes subsequent changes as `actor`.
    pub fn set_actor(&mut self, actor: ActorId) {
        self.doc.set_actor(actor);
    }

    /// The actor this replica writes as.
    pub fn actor(&self) -> &ActorId {
        self.doc.get_actor()
    }

    /// The whole document, compressed.
    pub fn save(&self) -> Vec<u8> {
        self.doc.save()
    }

    /// The current heads.
    pub fn heads(&self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// The raw bytes of every change not in the history of `heads`.
    pub fn changes_since(&self, heads: &[ChangeHash]) -> Vec<Vec<u8>> {
        self.doc
            .get_changes(heads)
            .into_iter()
            .map(|change| change.raw_bytes().to_vec())
            .collect()
    }

    /// The changes not in the history of `heads`, with what the server's change log keeps.
    pub fn change_infos(&self, heads: &[ChangeHash]) -> Vec<ChangeInfo> {
        self.doc
            .get_changes(heads)
            .into_iter()
            .map(|change| ChangeInfo {
                hash: change.hash(),
                actor: hex(change.actor_id().to_bytes()),
                seq: change.seq(),
                time_secs: change.timestamp(),
                message: change.message().map(str::to_string),
                deps: change.deps().to_vec(),
                bytes: change.raw_bytes().to_vec(),
            })
            .collect()
    }

    /// Applies raw changes (idempotent: a change already present is a no-op). On an error the
    /// document may hold part of the changes, so callers discard it (every caller does: the
    /// server refuses the upload, the device rolls the answer back). Changes automerge 0.12
    /// panics on while applying (fuzzing found some) are an error, not a crash.
    pub fn apply_changes(&mut self, changes: &[Vec<u8>]) -> Result<(), DocumentError> {
        let mut decoded = Vec::with_capacity(changes.len());
        for bytes in changes {
            let change = parse_change(bytes)?;
            decoded.push(change);
        }
        self.apply_untrusted(decoded)
    }

    /// Applies changes from outside, turning automerge's panics into this call's error.
    fn apply_untrusted(&mut self, changes: Vec<Change>) -> Result<(), DocumentError> {
        #[cfg(debug_assertions)]
        let before = self.doc.get_heads();
        let doc = &mut self.doc;
        contain_panic(move || doc.apply_changes(changes))
            .ok_or_else(|| DocumentError::schema("$", "the changes cannot be applied"))??;
        // With debug assertions, automerge 0.12 self-checks when it lists changes and panics on
        // some it accepted (fuzzing found one): list them here, so that is this call's error and
        // not a panic in the caller's next `change_infos`. Release builds have no such check.
        #[cfg(debug_assertions)]
        {
            let doc = &self.doc;
            contain_panic(move || doc.get_changes(&before).len())
                .ok_or_else(|| DocumentError::schema("$", "the changes cannot be listed"))?;
        }
        Ok(())
    }

    /// Applies decoded changes and describes the ones this document did not have, in causal
    /// order (each after the changes it depends on), as [`Self::change_infos`] would after the
    /// apply; a change waiting for a dependency the document lacks is not applied and not
    /// described. Cheaper than `apply_changes` then `change_infos`: the changes are neither
    /// decoded again nor rebuilt from the document.
    pub fn apply_new(&mut self, changes: &[Change]) -> Result<Vec<ChangeInfo>, DocumentError> {
        let mut seen = HashSet::new();
        let fresh: Vec<&Change> = changes
            .iter()
            .filter(|c| seen.insert(c.hash()) && !self.has_change(&c.hash()))
            .collect();
        self.apply_untrusted(fresh.iter().map(|c| (*c).clone()).collect())?;
        let applied: Vec<&Change> = fresh
            .into_iter()
            .filter(|c| self.has_change(&c.hash()))
            .collect();
        Ok(causal_order(&applied)
            .into_iter()
            .map(|change| ChangeInfo {
                hash: change.hash(),
                actor: hex(change.actor_id().to_bytes()),
                seq: change.seq(),
                time_secs: change.timestamp(),
                message: change.message().map(str::to_string),
                deps: change.deps().to_vec(),
                bytes: change.raw_bytes().to_vec(),
            })
            .collect())
    }

    /// Whether the document holds the change `hash`.
    pub fn has_change(&self, hash: &ChangeHash) -> bool {
        self.doc.get_change_meta_by_hash(hash).is_some()
    }

    /// Merges another replica's changes into this one.
    pub fn merge(&mut self, other: &mut WorkOrderDoc) -> Result<(), DocumentError> {
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    /// The document as it was at `heads` (the server judges changes as the device saw them).
    pub fn at(&self, heads: &[ChangeHash]) -> Result<WorkOrderDoc, DocumentError> {
        Ok(WorkOrderDoc {
            doc: self.doc.fork_at(heads)?,
        })
    }

    /// The order (document) id.
    pub fn order_id(&self) -> Result<String, DocumentError> {
        read::typed_at(&self.doc, &ROOT, "order_id", "$.order_id")
    }

    /// What the office asks for.
    pub fn office(&self) -> Result<OfficeData, DocumentError> {
        let office = self.office_obj()?;
        read::typed_at(&self.doc, &office, "data", "$.office.data")
    }

    /// Everything the document holds, typed, with the causal order of its entries.
    pub fn record(&self) -> Result<OrderRecord, DocumentError> {
        // One pass over the document's operations, then typed reads from what it found.
        self.record_of(&read::Tree::of(&self.doc)?)
    }

    /// [`Self::record`] from a tree already read from this document (the trusted merge reads
    /// the new entries and the record from one tree).
    fn record_of(&self, tree: &read::Tree<'_>) -> Result<OrderRecord, DocumentError> {
        let root = read::ROOT_SLOT;
        let schema_version: u64 = tree.typed_at(root, "schema_version", "$.schema_version")?;
        if schema_version > SCHEMA_VERSION {
            return Err(DocumentError::NewerSchema {
                found: schema_version,
            });
        }
        let office_obj = tree.child(root, "office", "$.office")?;
        let log = tree.child(office_obj, "log", "$.office.log")?;
        let mut office_log = Vec::new();
        let items = tree.typed_items::<StoredOfficeEntry>(log, "$.office.log")?;
        for (index, (id, stored)) in items.into_iter().enumerate() {
            office_log.push(OfficeEntry {
                origin: self.origin(&id, &format!("$.office.log[{index}]"))?,
                id: entry_id(&id),
                action: stored.action,
                by: stored.by,
                at: stored.at,
            });
        }

        let field_obj = tree.child(root, "field", "$.field")?;
        let mut field = Vec::new();
        for list_name in FIELD_LISTS {
            let path = format!("$.field.{list_name}");
            let list = tree.child(field_obj, list_name, &path)?;
            let items = tree.typed_items::<StoredFieldEntry>(list, &path)?;
            for (index, (id, stored)) in items.into_iter().enumerate() {
                let path = format!("{path}[{index}]");
                if field_list_for(&stored.action) != list_name {
                    return Err(DocumentError::schema(
                        &path,
                        format!(
                            "a `{}` entry does not belong in `{list_name}`",
                            stored.action.name()
                        ),
                    ));
                }
                field.push(FieldEntry {
                    id: entry_id(&id),
                    action: stored.action,
                    context: stored.context,
                    assessment: stored.assessment,
                    rules_version: stored.rules_version,
                    reference_version: stored.reference_version,
                    origin: self.origin(&id, &path)?,
                });
            }
        }

        let writers: Vec<ChangeHash> = office_log
            .iter()
            .map(|e| &e.origin)
            .chain(field.iter().map(|e| &e.origin))
            .filter_map(|o| o.change.parse().ok())
            .collect();
        let causality = causality::build(&self.doc, &writers);

        Ok(OrderRecord {
            order_id: tree.typed_at(root, "order_id", "$.order_id")?,
            schema_version,
            office: tree.typed_at(office_obj, "data", "$.office.data")?,
            office_log,
            field,
            causality,
        })
    }

    /// Status, assignee and exceptions.
    pub fn derive(&self) -> Result<Derived, DocumentError> {
        Ok(status::derive(&self.record()?))
    }

    /// Checks a field action against the rules and, if they accept it, appends it as one change.
    /// A refused action writes nothing.
    pub fn record_field_action(
        &mut self,
        action: FieldAction,
        context: ActionContext,
        reference: &ReferenceData,
    ) -> Result<FieldEntry, ActionError> {
        let record = self.record()?;
        let derived = status::derive(&record);
        let assessment = rules::check(&record, &derived, &action, &context, reference)?;
        let stored = StoredFieldEntry {
            action,
            context,
            assessment,
            rules_version: rules::RULES_VERSION,
            reference_version: reference.version,
        };
        let list_name = field_list_for(&stored.action);
        let value = json::to_hydrate(&to_json(&stored)?);
        let field = child(&self.doc, &ROOT, "field", "$.field")?;
        let list = child(&self.doc, &field, list_name, "$.field")?;
        let message = format!("field:{}", stored.action.name());
        let at = stored.context.device_time;
        let mut tx = self.doc.transaction();
        let id = tx
            .batch_create_object(&list, tx.length(&list), &value, true)
            .map_err(DocumentError::from)?;
        tx.commit_with(commit_options(&message, at));
        Ok(FieldEntry {
            id: entry_id(&id),
            origin: self.origin(&id, "$.field")?,
            action: stored.action,
            context: stored.context,
            assessment: stored.assessment,
            rules_version: stored.rules_version,
            reference_version: stored.reference_version,
        })
    }

    /// Judges a field entry again, against the document as its writer saw it: the state at the
    /// dependencies of the change that wrote it. The server uses this to tell a broken client
    /// (the rules failed even as the device saw the order) from an honest one whose work only
    /// conflicts with what it had not seen yet (an exception for the office, never a refusal).
    pub fn judge_field_entry(
        &self,
        entry: &FieldEntry,
        reference: &ReferenceData,
    ) -> Result<Result<Assessment, Refusal>, DocumentError> {
        let hash: ChangeHash = entry.origin.change.parse().map_err(|_| {
            DocumentError::schema("$.field", "an entry with a malformed change hash")
        })?;
        let change = self
            .doc
            .get_change_by_hash(&hash)
            .ok_or_else(|| DocumentError::schema("$.field", "an entry whose change is missing"))?;
        let seen = self.at(change.deps())?;
        let record = seen.record()?;
        let derived = status::derive(&record);
        Ok(rules::check(
            &record,
            &derived,
            &entry.action,
            &entry.context,
            reference,
        ))
    }

    /// Checks an office action against the order's derived status and appends it as one change.
    pub fn apply_office_action(
        &mut self,
        action: OfficeAction,
        by: &str,
        at: Timestamp,
    ) -> Result<OfficeEntry, ActionError> {
        let record = self.record()?;
        let derived = status::derive(&record);
        check_office_action(&action, &record, &derived)?;
        let stored = StoredOfficeEntry {
            action,
            by: by.to_string(),
            at,
        };
        let value = json::to_hydrate(&to_json(&stored)?);
        let office = self.office_obj()?;
        let log = child(&self.doc, &office, "log", "$.office.log")?;
        let message = format!("office:{}", stored.action.name());
        let mut tx = self.doc.transaction();
        let id = tx
            .batch_create_object(&log, tx.length(&log), &value, true)
            .map_err(DocumentError::from)?;
        tx.commit_with(commit_options(&message, at));
        Ok(OfficeEntry {
            id: entry_id(&id),
            origin: self.origin(&id, "$.office.log")?,
            action: stored.action,
            by: stored.by,
            at: stored.at,
        })
    }

    /// The whole document as JSON (for snapshots, debugging and support; not for app logic).
    pub fn to_json(&self) -> Result<Value, DocumentError> {
        json::from_hydrate(&ReadDoc::hydrate(&self.doc, &ROOT, None)?, "$")
    }

    fn check_root(&self) -> Result<u64, DocumentError> {
        let version: u64 = read::typed_at(&self.doc, &ROOT, "schema_version", "$.schema_version")?;
        if version > SCHEMA_VERSION {
            return Err(DocumentError::NewerSchema { found: version });
        }
        Ok(version)
    }

    fn office_obj(&self) -> Result<ObjId, DocumentError> {
        child(&self.doc, &ROOT, "office", "$.office")
    }

    fn origin(&self, id: &ObjId, path: &str) -> Result<Origin, DocumentError> {
        let ObjId::Id(counter, actor, _) = id else {
            return Err(DocumentError::schema(
                path,
                "an entry without an operation id",
            ));
        };
        let change = self
            .doc
            .hash_for_opid(id)
            .ok_or_else(|| DocumentError::schema(path, "an entry whose change is missing"))?;
        Ok(Origin {
            change: hex(&change.0),
            actor: hex(actor.to_bytes()),
            counter: *counter,
        })
    }
}

/// What the office may do to an order in its current state.
fn check_office_action(
    action: &OfficeAction,
    record: &OrderRecord,
    derived: &Derived,
) -> Result<(), Refusal> {
    let status = derived.status;
    if let OfficeAction::Assign {
        reason: Some(reason),
        ..
    }
    | OfficeAction::Unassign {
        reason: Some(reason),
    } = action
    {
        check_length("office.reason", "reason", reason)?;
    }
    match action {
        OfficeAction::Assign { assignee, .. } => {
            if assignee.trim().is_empty() {
                return Err(Refusal::new(
                    "office.assignee",
                    "assignee",
                    "name the field user to assign",
                ));
            }
            if status.is_terminal() {
                return Err(Refusal::new(
                    "office.assign_finished",
                    "assignee",
                    format!("the order is {status}: it can no longer be assigned"),
                ));
            }
            if derived.assignee.as_deref() == Some(assignee.as_str()) {
                return Err(Refusal::new(
                    "office.already_assigned",
                    "assignee",
                    format!("the order is already assigned to {assignee}"),
                ));
            }
        }
        OfficeAction::Unassign { .. } => {
            if status.is_terminal() || derived.assignee.is_none() {
                return Err(Refusal::new(
                    "office.unassign",
                    "action",
                    format!("the order is {status}: there is no assignment to take back"),
                ));
            }
        }
        OfficeAction::Cancel { reason } => {
            check_text("office.cancel_reason", "reason", reason)?;
            if matches!(
                status,
                Status::Completed | Status::Cancelled | Status::Closed
            ) {
                return Err(Refusal::new(
                    "office.cancel_finished",
                    "action",
                    format!("the order is {status}: it can no longer be cancelled"),
                ));
            }
        }
        OfficeAction::Note { text, review } => {
            check_text("office.note_text", "text", text)?;
            if let Some(review) = review {
                check_review(review, record)?;
            }
        }
        OfficeAction::Close { note } => {
            if let Some(note) = note {
                check_text("office.note_text", "note", note)?;
            }
            if !status.is_terminal() || status == Status::Closed {
                return Err(Refusal::new(
                    "office.close_unfinished",
                    "action",
                    format!(
                        "the order is {status}: only a completed, not-done or cancelled order can be closed"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A review decides a flag some field entry of the order raised, once.
fn check_review(review: &crate::action::Review, record: &OrderRecord) -> Result<(), Refusal> {
    let raised = record
        .field
        .iter()
        .find(|e| e.id == review.entry)
        .is_some_and(|e| e.assessment.flags.iter().any(|f| f.code == review.flag));
    if !raised {
        return Err(Refusal::new(
            "office.review_entry",
            "review.entry",
            format!(
                "no field entry {} of this order raised `{}`",
                review.entry, review.flag
            ),
        ));
    }
    if let Some(earlier) = status::reviewed(record, &review.entry, &review.flag) {
        return Err(Refusal::new(
            "office.already_reviewed",
            "review.entry",
            format!(
                "{} already decided this on entry {}",
                earlier.by, earlier.id
            ),
        ));
    }
    Ok(())
}

fn check_text(rule: &str, field: &str, text: &str) -> Result<(), Refusal> {
    if text.trim().is_empty() {
        return Err(Refusal::new(
            rule,
            field,
            format!("{field} must not be empty"),
        ));
    }
    check_length(rule, field, text)
}

/// Free text longer than [`MAX_TEXT_BYTES`] is refused, naming the field.
fn check_length(rule: &str, field: &str, text: &str) -> Result<(), Refusal> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(Refusal::new(
            rule,
            field,
            format!("{field} is longer than {MAX_TEXT_BYTES} bytes: shorten it"),
        ));
    }
    Ok(())
}

/// How an office entry is stored (its id and origin come from automerge).
#[derive(Serialize, serde::Deserialize)]
struct StoredOfficeEntry {
    action: OfficeAction,
    by: String,
    at: Timestamp,
}

/// How a field entry is stored (its id and origin come from automerge).
#[derive(Serialize, serde::Deserialize)]
struct StoredFieldEntry {
    action: FieldAction,
    context: ActionContext,
    assessment: Assessment,
    rules_version: u32,
    reference_version: u32,
}

/// `changes` reordered so each comes after those of them it depends on (Kahn's algorithm, taking
/// ready changes in their given order).
fn causal_order<'c>(changes: &[&'c Change]) -> Vec<&'c Change> {
    let index: HashMap<ChangeHash, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.hash(), i))
        .collect();
    let mut waiting = vec![0usize; changes.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); changes.len()];
    for (i, change) in changes.iter().enumerate() {
        for dep in change.deps() {
            if let Some(&d) = index.get(dep) {
                waiting[i] += 1;
                dependents[d].push(i);
            }
        }
    }
    let mut ready: std::collections::BTreeSet<usize> =
        (0..changes.len()).filter(|&i| waiting[i] == 0).collect();
    let mut ordered = Vec::with_capacity(changes.len());
    while let Some(i) = ready.pop_first() {
        ordered.push(changes[i]);
        for &next in &dependents[i] {
            waiting[next] -= 1;
            if waiting[next] == 0 {
                ready.insert(next);
            }
        }
    }
    ordered
}

/// Parses one raw automerge change from untrusted bytes. automerge 0.12 panics on some
/// malformed changes (fuzzing found one): that is an error here like any other.
pub fn parse_change(bytes: &[u8]) -> Result<automerge::Change, DocumentError> {
    contain_panic(|| automerge::Change::from_bytes(bytes.to_vec()))
        .ok_or_else(|| DocumentError::schema("$", "not an automerge change"))?
        .map_err(|e| DocumentError::schema("$", format!("not an automerge change: {e}")))
}

/// Runs automerge on untrusted bytes, turning a panic inside it into `None` (the default panic
/// hook still logs it). Used only where input from outside reaches automerge.
pub(crate) fn contain_panic<T>(f: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}

fn commit_options(message: &str, at: Timestamp) -> CommitOptions {
    CommitOptions::default()
        .with_message(message)
        .with_time(at.0.div_euclid(1000))
}

fn entry_id(id: &ObjId) -> String {
    match id {
        ObjId::Id(counter, actor, _) => format!("{counter}@{}", hex(actor.to_bytes())),
        ObjId::Root => "root".to_string(),
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<Value, DocumentError> {
    serde_json::to_value(value).map_err(|e| DocumentError::schema("$", e.to_string()))
}

/// The object at `key` of `obj`, which must be a map or list.
fn child(doc: &Automerge, obj: &ObjId, key: &str, path: &str) -> Result<ObjId, DocumentError> {
    match doc.get(obj, key)? {
        Some((automerge::Value::Object(_), id)) => Ok(id),
        Some(_) => Err(DocumentError::schema(
            path,
            format!("`{key}` is not an object"),
        )),
        None => Err(DocumentError::schema(path, format!("`{key}` is missing"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_prints_hashes_and_actors_as_automerge_does() {
        let hash = ChangeHash([0xa5; 32]);
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (i * 37) as u8;
        }
        for hash in [hash, ChangeHash(bytes)] {
            assert_eq!(hex(&hash.0), hash.to_string());
        }
        let actor = ActorId::from([0x0f, 0xf0, 0x00, 0x9c]);
        assert_eq!(hex(actor.to_bytes()), actor.to_hex_string());
        assert_eq!(hex(&[]), "");
    }

    /// A device replica of `base` with three changes on top, each after the one before.
    fn device_changes(base: &Automerge) -> (Automerge, Vec<Change>) {
        let mut device = base.fork().with_actor(ActorId::from([7u8; 16]));
        let start = device.get_heads();
        for n in 0..3i64 {
            let mut tx = device.transaction();
            tx.put(ROOT, format!("k{n}"), n).expect("put");
            tx.commit();
        }
        let changes = device.get_changes(&start);
        (device, changes)
    }

    #[test]
    fn apply_new_describes_what_change_infos_would() {
        let mut base = Automerge::new().with_actor(ActorId::from([1u8; 16]));
        let mut tx = base.transaction();
        tx.put(ROOT, "schema_version", 1).expect("put");
        tx.commit();
        let (_, changes) = device_changes(&base);
        let mut expected = WorkOrderDoc { doc: base.clone() };
        let before = expected.heads();
        let raw: Vec<Vec<u8>> = changes.iter().map(|c| c.raw_bytes().to_vec()).collect();
        expected.apply_changes(&raw).expect("apply");

        // Given out of causal order, with a duplicate and a change the document already has.
        let mut doc = WorkOrderDoc { doc: base.clone() };
        doc.apply_changes(&raw[..1]).expect("first");
        let shuffled = vec![
            changes[2].clone(),
            changes[0].clone(),
            changes[1].clone(),
            changes[2].clone(),
        ];
        let infos = doc.apply_new(&shuffled).expect("apply new");
        assert_eq!(doc.heads(), expected.heads());
        let wanted: Vec<ChangeInfo> = expected
            .change_infos(&before)
            .into_iter()
            .filter(|info| info.hash != changes[0].hash())
            .collect();
        assert_eq!(
            infos.iter().map(|i| i.hash).collect::<Vec<_>>(),
            wanted.iter().map(|i| i.hash).collect::<Vec<_>>()
        );
        for (got, want) in infos.iter().zip(&wanted) {
            assert_eq!(
                (&got.actor, got.seq, got.time_secs, &got.message, &got.deps),
                (
                    &want.actor,
                    want.seq,
                    want.time_secs,
                    &want.message,
                    &want.deps
                )
            );
        }
        // Nothing new the second time.
        assert!(doc.apply_new(&shuffled).expect("again").is_empty());
    }

    #[test]
    fn apply_new_leaves_out_changes_whose_dependencies_are_missing() {
        let base = Automerge::new().with_actor(ActorId::from([1u8; 16]));
        let (_, changes) = device_changes(&base);
        let mut doc = WorkOrderDoc { doc: base };
        let infos = doc.apply_new(&changes[1..]).expect("apply");
        assert!(infos.is_empty());
        assert!(!doc.has_change(&changes[1].hash()));
    }
}
