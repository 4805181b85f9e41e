//! The trusted merge's inspection of uploaded changes (ARCHITECTURE.md "Trust"), without I/O so
//! the server and tests run the same code. A device can write anything into its copy of a
//! document; before the server merges, every new change is checked here:
//!
//! 1. **permissions, by its operations** (a diff of results would miss a write that lost a
//!    conflict): a field user may only append entries to the `field` lists, i.e. insert a new map
//!    into one of the lists and fill keys of objects created by that same change; it never edits
//!    or deletes an existing entry, touches the section's structure, the `office` section or the
//!    root. Office writers may write `office` and the root but never `field`. Position inside a
//!    list carries no meaning (status is derived from causality, not list order), so an insert
//!    after any element is an append;
//! 2. **schema and limits**: each new entry must read as the schema's type, in the list its action
//!    belongs to, written as the user the actor is bound to, within the string, count and photo
//!    limits below;
//! 3. **the rules as the device saw the document**: first against the merged record filtered to
//!    the entries in the change's history (cheap, no fork), and only when that refuses, against an
//!    exact fork at the change's dependencies; an entry recorded under these rules must also
//!    carry exactly the assessment they compute (`assessment_mismatch`, see
//!    [`assessment_check`](super::assessment_check)).
//!
//! A change that fails is quarantined by the caller together with every new change that depends
//! on it. [`inspect`] reports the first stage that found something; the caller removes those
//! changes and inspects again (each round removes at least one change, so it ends).

use super::assessment_check::{self, Verdict};
use super::read::{ROOT_SLOT, Tree};
use super::{
    DocumentError, FIELD_LISTS, MAX_TEXT_BYTES, StoredFieldEntry, WorkOrderDoc, child,
    field_list_for,
};
use crate::document::ChangeInfo;
use crate::outcome::Refusal;
use crate::record::{FieldEntry, OrderRecord};
use crate::reference::{ReferenceData, ReferenceSet};
use crate::rules;
use crate::status;
use automerge::legacy::{Key, ObjectId, OpType};
use automerge::{ActorId, Change, ChangeHash, ObjId, ObjType, ROOT, ReadDoc};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use serde::Deserialize;
use serde_json::Value;

/// Most photo references one order may hold, over all its field entries.
pub const MAX_PHOTOS_PER_ORDER: usize = 200;
/// Most photo references one field entry may carry: the device's own rule (`common.size`), so an
/// entry the device accepted is never quarantined for its size.
pub const MAX_PHOTOS_PER_ENTRY: usize = crate::rules::MAX_PHOTOS;
/// Most items in any list inside one field entry (registers read, checklist answers...): the
/// device's own rule (`common.size`), for the same reason.
pub const MAX_LIST_ITEMS: usize = crate::rules::MAX_ITEMS;
/// Most operations one uploaded change may hold. An honest entry is a few dozen; the largest the
/// size rule allows (200 checklist answers or readings of a handful of fields each) stays well
/// under this.
pub const MAX_OPS_PER_CHANGE: usize = 5_000;

/// Who wrote the changes being inspected, from the server's actor binding (never from the
/// changes' contents).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Writer {
    /// The username entries must be written as.
    pub username: String,
    /// May write the `office` section and the root (office roles; the creator of a field-found
    /// order, for the document it creates).
    pub office: bool,
    /// May append to the `field` section (the field user the order is or was assigned to).
    pub field: bool,
}

/// One refused change and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    /// The change.
    pub hash: ChangeHash,
    /// Stable reason code (`office_write`, `field_edit`, `schema`, `rule`,
    /// `assessment_mismatch`, `depends_on_quarantined`...).
    pub code: String,
    /// What was wrong, for support and for the crew.
    pub message: String,
    /// The rule that refused it, for `rule`.
    pub rule: Option<String>,
    /// The field the rule or schema check named.
    pub field: Option<String>,
}

impl Quarantined {
    fn new(hash: ChangeHash, code: &str, message: impl Into<String>) -> Self {
        Quarantined {
            hash,
            code: code.to_string(),
            message: message.into(),
            rule: None,
            field: None,
        }
    }
}

/// The ids of the `field` map and its lists, read from the stored document BEFORE the upload is
/// applied (an upload could replace a list; the stored ids are the real ones).
#[derive(Debug, Clone, Default)]
pub struct Sections {
    field: Option<Oid>,
    lists: HashMap<Oid, &'static str>,
}

/// An object id without automerge's per-document actor index: `None` is the root.
type Oid = Option<(u64, ActorId)>;

fn oid(id: &ObjId) -> Oid {
    match id {
        ObjId::Root => None,
        ObjId::Id(counter, actor, _) => Some((*counter, actor.clone())),
    }
}

fn legacy_oid(id: &ObjectId) -> Oid {
    match id {
        ObjectId::Root => None,
        ObjectId::Id(op) => Some((op.counter(), op.actor().clone())),
    }
}

impl Sections {
    /// Reads the section ids of `doc` (an empty document, before a field-found order's first
    /// upload, has none: every object is then new).
    pub fn of(doc: &WorkOrderDoc) -> Result<Sections, DocumentError> {
        let Ok(field) = child(&doc.doc, &ROOT, "field", "$.field") else {
            return Ok(Sections::default());
        };
        // One walk over the field map instead of a lookup per list (each seeks the document).
        let mut lists = HashMap::with_capacity(FIELD_LISTS.len());
        for item in doc.doc.map_range(&field, ..) {
            let Some(name) = FIELD_LISTS.iter().find(|name| **name == item.key) else {
                continue;
            };
            if !matches!(item.value, automerge::ValueRef::Object(_)) {
                return Err(DocumentError::schema(
                    "$.field",
                    format!("`{name}` is not an object"),
                ));
            }
            lists.insert(oid(&item.id()), *name);
        }
        if let Some(name) = FIELD_LISTS
            .iter()
            .find(|name| !lists.values().any(|found| found == *name))
        {
            return Err(DocumentError::schema(
                "$.field",
                format!("`{name}` is missing"),
            ));
        }
        Ok(Sections {
            field: Some(oid(&field)),
            lists,
        })
    }
}

/// Inspects the new changes `new` (causal order, as [`WorkOrderDoc::change_infos`] lists them)
/// merged into `merged`. Returns the changes to quarantine, with dependents; empty when all
/// pass. Permission and schema problems are reported before rules are judged (the rules need a
/// readable record).
pub fn inspect(
    sections: &Sections,
    merged: &WorkOrderDoc,
    new: &[ChangeInfo],
    writer: &Writer,
    references: &ReferenceSet,
) -> Result<Vec<Quarantined>, DocumentError> {
    inspect_merged(sections, merged, new, writer, references).map(|i| i.refused)
}

/// What [`inspect_merged`] found.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The changes to quarantine, with dependents; empty when all pass.
    pub refused: Vec<Quarantined>,
    /// The merged document's record, read for the rules check, when every change passed: the
    /// caller projects the order from it instead of reading the document again. Entries recorded
    /// under another rules version carry the server's assessment, not their stored one.
    pub record: Option<OrderRecord>,
}

/// [`inspect`], also handing back the merged record it read when every change passed.
pub fn inspect_merged(
    sections: &Sections,
    merged: &WorkOrderDoc,
    new: &[ChangeInfo],
    writer: &Writer,
    references: &ReferenceSet,
) -> Result<Inspection, DocumentError> {
    inspect_decoded(sections, merged, new, &[], writer, references)
}

/// [`inspect_merged`] given the new changes already decoded (the server decoded them to apply
/// them): their operations are read from `decoded` instead of parsing the bytes again. A change
/// of `new` missing from `decoded` is parsed from its bytes, so the result is the same.
pub fn inspect_decoded(
    sections: &Sections,
    merged: &WorkOrderDoc,
    new: &[ChangeInfo],
    decoded: &[Change],
    writer: &Writer,
    references: &ReferenceSet,
) -> Result<Inspection, DocumentError> {
    let decoded: HashMap<ChangeHash, &Change> = decoded.iter().map(|c| (c.hash(), c)).collect();
    // Sections are taken from the merged document when the stored one had none (the upload
    // creates the order): the creating change itself is checked by the office permission.
    let created;
    let sections = if sections.field.is_none() {
        created = Sections::of(merged).unwrap_or_default();
        &created
    } else {
        sections
    };
    let mut refused = Vec::new();
    let mut field_objects = None;
    for info in new {
        let change = decoded.get(&info.hash).copied();
        if let Some(problem) =
            check_operations(sections, merged, &mut field_objects, info, change, writer)?
        {
            refused.push(problem);
        }
    }
    // The entries and the record are read from one pass over the document (hydrating each new
    // entry on its own seeks through the document for every object: most of the inspection's
    // cost). A document that pass cannot read is inspected the slower way, which refuses and
    // fails exactly as before.
    let tree = if refused.is_empty() {
        super::read::Tree::of(&merged.doc).ok()
    } else {
        None
    };
    if refused.is_empty() {
        refused = check_entries(merged, tree.as_ref(), new, writer)?;
    }
    let mut record = None;
    if refused.is_empty() {
        let (found, read) = check_rules(merged, tree.as_ref(), new, references)?;
        refused = found;
        if refused.is_empty() {
            record = Some(read);
        }
    }
    Ok(Inspection {
        refused: with_dependents(refused, new),
        record,
    })
}

/// Adds every new change that depends, directly or not, on a refused one.
fn with_dependents(mut refused: Vec<Quarantined>, new: &[ChangeInfo]) -> Vec<Quarantined> {
    if refused.is_empty() {
        return refused;
    }
    let mut out: HashSet<ChangeHash> = refused.iter().map(|q| q.hash).collect();
    for info in new {
        if !out.contains(&info.hash) && info.deps.iter().any(|d| out.contains(d)) {
            out.insert(info.hash);
            refused.push(Quarantined::new(
                info.hash,
                "depends_on_quarantined",
                "depends on a change that was quarantined",
            ));
        }
    }
    refused
}

/// What an object made by the change under inspection belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Made {
    /// Inside a new field entry.
    Entry,
    /// Anywhere else (office side, or a new document's structure).
    Other,
}

/// Checks where each operation of one change writes. Lazily walks the merged document's field
/// section only when it must tell an office-side object from a field one.
fn check_operations(
    sections: &Sections,
    merged: &WorkOrderDoc,
    field_objects: &mut Option<HashSet<Oid>>,
    info: &ChangeInfo,
    decoded: Option<&Change>,
    writer: &Writer,
) -> Result<Option<Quarantined>, DocumentError> {
    let parsed;
    let change = match decoded {
        Some(change) => change,
        None => {
            parsed = super::parse_change(&info.bytes)?;
            &parsed
        }
    };
    if change.len() > MAX_OPS_PER_CHANGE {
        return Ok(Some(Quarantined::new(
            info.hash,
            "limit_operations",
            format!(
                "the change holds {} operations; the limit is {MAX_OPS_PER_CHANGE}",
                change.len()
            ),
        )));
    }
    let Some(expanded) = super::contain_panic(|| change.decode()) else {
        return Ok(Some(Quarantined::new(
            info.hash,
            "malformed_change",
            "the change's operations cannot be read",
        )));
    };
    let start = u64::from(change.start_op());
    let actor = change.actor_id().clone();
    let mut made: HashMap<Oid, Made> = HashMap::new();
    let refuse = |field_side: bool| {
        let (code, message) = match (field_side, writer.field) {
            (true, true) => (
                "field_edit",
                "edits or deletes existing content of the field section, which is append-only",
            ),
            (true, false) => (
                "field_write",
                "writes the field section, which only the assigned field user may append to",
            ),
            (false, _) => (
                "office_write",
                "writes the office section or the document root, which only office roles may write",
            ),
        };
        Ok(Some(Quarantined::new(info.hash, code, message)))
    };
    for (index, op) in expanded.operations.iter().enumerate() {
        let obj = legacy_oid(&op.obj);
        let id = Some((start + index as u64, actor.clone()));
        let makes = matches!(op.action, OpType::Make(_));
        let class = if let Some(&class) = made.get(&obj) {
            // Filling an object this same change made.
            let allowed = match class {
                Made::Entry => writer.field,
                Made::Other => writer.office,
            };
            if !allowed {
                return refuse(class == Made::Entry);
            }
            class
        } else if sections.lists.contains_key(&obj) {
            let appends = op.insert
                && matches!(op.action, OpType::Make(ObjType::Map))
                && matches!(op.key, Key::Seq(_));
            if !(appends && writer.field) {
                return refuse(true);
            }
            Made::Entry
        } else if obj.is_some() && sections.field.as_ref() == Some(&obj) {
            return refuse(true);
        } else {
            let field_side = obj.is_some() && {
                let objects = match field_objects {
                    Some(objects) => objects,
                    None => field_objects.insert(field_subtree(merged)?),
                };
                objects.contains(&obj)
            };
            if field_side || !writer.office {
                return refuse(field_side);
            }
            Made::Other
        };
        if makes {
            made.insert(id, class);
        }
    }
    Ok(None)
}

/// Every object inside the merged document's `field` section (the map, its lists, the entries
/// and what they hold).
fn field_subtree(doc: &WorkOrderDoc) -> Result<HashSet<Oid>, DocumentError> {
    let mut out = HashSet::new();
    let Ok(field) = child(&doc.doc, &ROOT, "field", "$.field") else {
        return Ok(out);
    };
    let mut stack = vec![field];
    while let Some(obj) = stack.pop() {
        out.insert(oid(&obj));
        match doc.doc.object_type(&obj)? {
            ObjType::Map | ObjType::Table => {
                for item in doc.doc.map_range(&obj, ..) {
                    if matches!(item.value, automerge::ValueRef::Object(_)) {
                        stack.push(item.id());
                    }
                }
            }
            ObjType::List | ObjType::Text => {
                for item in doc.doc.list_range(&obj, ..) {
                    if matches!(item.value, automerge::ValueRef::Object(_)) {
                        stack.push(item.id());
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Every new field entry (one made by a change in `new`) reads as the schema's type, in its
/// list, as the writer, within the limits; and the order's photos stay within their limit.
/// Reads the entries from `tree` (the merged document read in one pass) when there is one.
fn check_entries(
    merged: &WorkOrderDoc,
    tree: Option<&Tree<'_>>,
    new: &[ChangeInfo],
    writer: &Writer,
) -> Result<Vec<Quarantined>, DocumentError> {
    let new_hashes: HashSet<ChangeHash> = new.iter().map(|i| i.hash).collect();
    let entries = match tree {
        Some(tree) => new_entries_in(merged, tree, &new_hashes)?,
        None => new_entries_hydrated(merged, &new_hashes)?,
    };
    let mut refused = Vec::new();
    for (list_name, path, hash, value) in entries {
        if let Err((code, message, field)) = entry_problem(&value, list_name, &path, writer) {
            let mut q = Quarantined::new(hash, code, message);
            q.field = field;
            refused.push(q);
        }
    }
    Ok(refused)
}

/// A new field entry as the JSON view reads it: its list, its path, the change that made it.
type NewEntry = (&'static str, String, ChangeHash, Value);

/// The new field entries (made by a change in `new_hashes`), in list order, read from `tree`.
/// Only this upload's entries are read: stored ones passed when they were stored.
fn new_entries_in(
    merged: &WorkOrderDoc,
    tree: &Tree<'_>,
    new_hashes: &HashSet<ChangeHash>,
) -> Result<Vec<NewEntry>, DocumentError> {
    let mut out = Vec::new();
    let Ok(field) = tree.child(ROOT_SLOT, "field", "$.field") else {
        return Ok(out);
    };
    for list_name in FIELD_LISTS {
        let path = format!("$.field.{list_name}");
        let Ok(list) = tree.child(field, list_name, &path) else {
            continue;
        };
        if !tree.is_list(list) {
            // Not the schema's shape (only a new document could make it so): read it the way
            // the JSON view always has.
            return new_entries_hydrated(merged, new_hashes);
        }
        let mut hashes = Vec::new();
        let items = tree.typed_items_where::<Value>(list, &path, |id| {
            match merged.doc.hash_for_opid(id) {
                Some(hash) if new_hashes.contains(&hash) => {
                    hashes.push(hash);
                    true
                }
                _ => false,
            }
        })?;
        for ((index, _, value), hash) in items.into_iter().zip(hashes) {
            out.push((list_name, format!("{path}[{index}]"), hash, value));
        }
    }
    Ok(out)
}

/// [`new_entries_in`], hydrating each new entry from the document (for a document the one-pass
/// read cannot read).
fn new_entries_hydrated(
    merged: &WorkOrderDoc,
    new_hashes: &HashSet<ChangeHash>,
) -> Result<Vec<NewEntry>, DocumentError> {
    let mut out = Vec::new();
    let Ok(field) = child(&merged.doc, &ROOT, "field", "$.field") else {
        return Ok(out);
    };
    for list_name in FIELD_LISTS {
        let path = format!("$.field.{list_name}");
        let Ok(list) = child(&merged.doc, &field, list_name, &path) else {
            continue;
        };
        let items: Vec<ObjId> = merged.doc.list_range(&list, ..).map(|i| i.id()).collect();
        for (index, id) in items.into_iter().enumerate() {
            // Only this upload's entries are read: stored ones passed when they were stored.
            let Some(hash) = merged.doc.hash_for_opid(&id) else {
                continue;
            };
            if !new_hashes.contains(&hash) {
                continue;
            }
            let path = format!("{path}[{index}]");
            let value =
                super::json::from_hydrate(&ReadDoc::hydrate(&merged.doc, &id, None)?, &path)?;
            out.push((list_name, path, hash, value));
        }
    }
    Ok(out)
}

type Problem = (&'static str, String, Option<String>);

/// What is wrong with a new entry, if anything.
fn entry_problem(
    value: &Value,
    list_name: &str,
    path: &str,
    writer: &Writer,
) -> Result<(), Problem> {
    if let Some((where_, message)) = over_limits(value) {
        return Err(("limit_exceeded", message, Some(where_)));
    }
    let stored = StoredFieldEntry::deserialize(value).map_err(|e| {
        (
            "schema",
            DocumentError::schema(path, e.to_string()).to_string(),
            None,
        )
    })?;
    if field_list_for(&stored.action) != list_name {
        return Err((
            "schema",
            format!(
                "a `{}` entry does not belong in `{list_name}`",
                stored.action.name()
            ),
            Some("action".into()),
        ));
    }
    if stored.context.user != writer.username {
        return Err((
            "user_mismatch",
            format!(
                "the entry claims to be written by `{}`, but its actor is bound to `{}`",
                stored.context.user, writer.username
            ),
            Some("user".into()),
        ));
    }
    if stored.action.photos().len() > MAX_PHOTOS_PER_ENTRY {
        return Err((
            "limit_photos_per_entry",
            format!("an entry may carry at most {MAX_PHOTOS_PER_ENTRY} photos"),
            Some("photos".into()),
        ));
    }
    Ok(())
}

/// The first string over [`MAX_TEXT_BYTES`] or list over [`MAX_LIST_ITEMS`], with its path
/// (the keys from the entry down, dot-separated; list indices are not named).
fn over_limits(value: &Value) -> Option<(String, String)> {
    let mut keys = Vec::new();
    let message = limit_problem(value, &mut keys)?;
    keys.reverse();
    Some((keys.join("."), message))
}

/// What [`over_limits`] finds, with the keys down to it pushed innermost first (the path is
/// only built for a value that breaks a limit, not for every value checked).
fn limit_problem<'v>(value: &'v Value, keys: &mut Vec<&'v str>) -> Option<String> {
    match value {
        Value::String(s) if s.len() > MAX_TEXT_BYTES => {
            Some(format!("a text is longer than {MAX_TEXT_BYTES} bytes"))
        }
        Value::Array(items) => {
            if items.len() > MAX_LIST_ITEMS {
                return Some(format!("a list has more than {MAX_LIST_ITEMS} items"));
            }
            items.iter().find_map(|v| limit_problem(v, keys))
        }
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.len() > MAX_TEXT_BYTES {
                return Some("a key is too long".to_string());
            }
            let message = limit_problem(v, keys)?;
            keys.push(k);
            Some(message)
        }),
        _ => None,
    }
}

/// The rules, as the device saw the order, for every new field entry; also hands back the merged
/// record it read. The entries are judged one after the other on one view of the record (its
/// office data and causality shared, its entry lists refilled per entry with what that entry's
/// change had seen), so the record is read and cloned once per order, not once per entry.
fn check_rules(
    merged: &WorkOrderDoc,
    tree: Option<&Tree<'_>>,
    new: &[ChangeInfo],
    references: &ReferenceSet,
) -> Result<(Vec<Quarantined>, OrderRecord), DocumentError> {
    let new_hashes: HashSet<String> = new.iter().map(|i| super::hex(&i.hash.0)).collect();
    let mut record = match tree {
        Some(tree) => merged.record_of(tree)?,
        None => merged.record()?,
    };
    let mut refused = Vec::new();
    // The order's photo references: the newest new entry carrying photos past the limit goes.
    let photos: usize = record.field.iter().map(|e| e.action.photos().len()).sum();
    if photos > MAX_PHOTOS_PER_ORDER
        && let Some(entry) = record
            .field
            .iter()
            .rev()
            .find(|e| new_hashes.contains(&e.origin.change) && !e.action.photos().is_empty())
    {
        let hash: ChangeHash = entry.origin.change.parse().map_err(|_| {
            DocumentError::schema("$.field", "an entry with a malformed change hash")
        })?;
        let mut q = Quarantined::new(
            hash,
            "limit_photos_per_order",
            format!("the order would hold more than {MAX_PHOTOS_PER_ORDER} photo references"),
        );
        q.field = Some("photos".into());
        refused.push(q);
        return Ok((refused, record));
    }
    // The record itself is the view: its lists are taken out, refilled per entry with what that
    // entry had seen (exactly `seen_by`), and put back.
    let field = std::mem::take(&mut record.field);
    let office_log = std::mem::take(&mut record.office_log);
    let mut outcome = Ok(());
    let mut known = std::collections::HashMap::new();
    for entry in field
        .iter()
        .filter(|e| new_hashes.contains(&e.origin.change))
    {
        let causality = &record.causality;
        let seen_field: Vec<FieldEntry> = field
            .iter()
            .filter(|e| causality.happened_before(&e.origin, &entry.origin))
            .cloned()
            .collect();
        let seen_office = office_log
            .iter()
            .filter(|e| causality.happened_before(&e.origin, &entry.origin))
            .cloned()
            .collect();
        record.field = seen_field;
        record.office_log = seen_office;
        let reference = references.at(entry.reference_version);
        let verdict = assessment_check::judge(merged, &record, entry, reference);
        let problem = match verdict {
            Ok(Verdict::Accepted(assessment)) => {
                // The server's own assessment of work recorded under other rules: the caller
                // projects from it instead of the stored one.
                if !assessment_check::verifiable(entry) {
                    known.insert(entry.id.clone(), assessment);
                }
                None
            }
            Ok(Verdict::Refused(refusal)) => {
                Some(("rule", refusal.message, Some(refusal.rule), refusal.field))
            }
            Ok(Verdict::Mismatch { field, message }) => {
                Some((assessment_check::ASSESSMENT_MISMATCH, message, None, field))
            }
            Err(e) => {
                outcome = Err(e);
                break;
            }
        };
        if let Some((code, message, rule, field)) = problem {
            match entry.origin.change.parse::<ChangeHash>() {
                Ok(hash) => refused.push(Quarantined {
                    hash,
                    code: code.into(),
                    message,
                    rule,
                    field: Some(field),
                }),
                Err(_) => {
                    outcome = Err(DocumentError::schema(
                        "$.field",
                        "an entry with a malformed change hash",
                    ));
                    break;
                }
            }
        }
    }
    record.field = field;
    record.office_log = office_log;
    outcome?;
    if refused.is_empty() {
        assessment_check::reassess_other_versions(merged, &mut record, references, known)?;
    }
    Ok((refused, record))
}

/// Judges `entry` as its writer saw the order: cheaply against the record filtered to what its
/// change had seen, then, only if that refuses, exactly on a fork at the change's dependencies
/// (the office data may have changed since, which the filtered record does not undo).
pub fn judge_as_seen(
    doc: &WorkOrderDoc,
    record: &OrderRecord,
    entry: &FieldEntry,
    reference: &ReferenceData,
) -> Result<Result<(), Refusal>, DocumentError> {
    judge_seen(doc, &seen_by(record, entry), entry, reference)
}

/// [`judge_as_seen`] on `seen`, the record already filtered to what `entry`'s change had seen.
fn judge_seen(
    doc: &WorkOrderDoc,
    seen: &OrderRecord,
    entry: &FieldEntry,
    reference: &ReferenceData,
) -> Result<Result<(), Refusal>, DocumentError> {
    let derived = status::derive(seen);
    if rules::check(seen, &derived, &entry.action, &entry.context, reference).is_ok() {
        return Ok(Ok(()));
    }
    Ok(doc.judge_field_entry(entry, reference)?.map(|_| ()))
}

/// Judges `entry` against the merged document as it stands at the entry's place in the
/// replicas' common order: every office entry it had not seen or had seen, and the field entries
/// before it (causally, or concurrent and earlier in the linear order status derivation uses).
/// The rule failing here but not as seen means the work conflicts with what the device could not
/// know: an exception for the office, never a refusal.
pub fn judge_after_merge(
    record: &OrderRecord,
    entry: &FieldEntry,
    reference: &ReferenceData,
) -> Result<(), Refusal> {
    let causality = &record.causality;
    let key = |o: &crate::record::Origin| (causality.history_len(o), o.counter, o.actor.clone());
    let mut view = record.clone();
    view.field.retain(|e| {
        e.id != entry.id
            && (causality.happened_before(&e.origin, &entry.origin)
                || causality.concurrent(&e.origin, &entry.origin)
                    && key(&e.origin) < key(&entry.origin))
    });
    view.office_log
        .retain(|e| !causality.happened_before(&entry.origin, &e.origin));
    let derived = status::derive(&view);
    rules::check(&view, &derived, &entry.action, &entry.context, reference).map(|_| ())
}

/// Exception code of a field entry whose rule held as its device saw the order but fails once
/// merged with what the device had not seen.
pub const RULE_AFTER_MERGE: &str = "rule_after_merge";

/// Whether status derivation already reports this failure after a merge as a merge exception:
/// work by a crew the order was taken from (`worked_after_reassign`), a completion of an order
/// cancelled or completed meanwhile (`completed_after_cancel`, `duplicate_completion`). Other
/// work on an order closed meanwhile (a cut made while a payment cancelled the disconnect) has
/// no such exception and is reported here, unless the crew also completed it: then the order's
/// `completed_after_cancel` already tells the office the visit happened after the cancel, and
/// one exception per step would only repeat it. A device merely receiving the order is no work.
fn covered_by_merge_exceptions(
    rule: &str,
    entry: &FieldEntry,
    completed_after_cancel: impl FnOnce() -> bool,
) -> bool {
    match rule {
        "common.not_assignee" => true,
        "common.order_closed" => {
            matches!(
                entry.action,
                crate::action::FieldAction::Complete { .. } | crate::action::FieldAction::Received
            ) || completed_after_cancel()
        }
        _ => false,
    }
}

/// The `rule_after_merge` exceptions of a document: one per field entry whose rule refuses it
/// against the merged order (see [`judge_after_merge`]). Only entries with a concurrent entry can
/// differ from what their device saw, so an order without concurrency costs one pass.
///
/// Why a projection exception and not an entry the server writes into the office section: it is
/// a pure function of the document and the reference data, so every replica holding both
/// derives the same exceptions, and it needs no new office-log action (which apps already in the
/// field could not read: the document schema only grows by optional fields) and no server-written
/// change per conflict. The server adds these to the order's projection whenever it projects.
pub fn after_merge_exceptions(
    record: &OrderRecord,
    references: &ReferenceSet,
) -> Vec<crate::status::OrderException> {
    let causality = &record.causality;
    let mut out = Vec::new();
    let completed_after_cancel = std::cell::OnceCell::new();
    for entry in &record.field {
        let concurrent = record
            .field
            .iter()
            .any(|o| o.id != entry.id && causality.concurrent(&o.origin, &entry.origin))
            || record
                .office_log
                .iter()
                .any(|o| causality.concurrent(&o.origin, &entry.origin));
        if !concurrent {
            continue;
        }
        if let Err(refusal) =
            judge_after_merge(record, entry, references.at(entry.reference_version))
            && !covered_by_merge_exceptions(&refusal.rule, entry, || {
                *completed_after_cancel.get_or_init(|| {
                    crate::status::derive(record)
                        .exceptions
                        .iter()
                        .any(|e| e.code == crate::status::COMPLETED_AFTER_CANCEL)
                })
            })
        {
            out.push(crate::status::OrderException {
                code: RULE_AFTER_MERGE.to_string(),
                entries: vec![entry.id.clone()],
                register: None,
                detail: Some(format!("{}: {}", refusal.rule, refusal.message)),
            });
        }
    }
    out
}

/// The record restricted to the entries `entry`'s writer had seen.
pub(super) fn seen_by(record: &OrderRecord, entry: &FieldEntry) -> OrderRecord {
    let causality = &record.causality;
    let mut seen = record.clone();
    seen.field
        .retain(|e| causality.happened_before(&e.origin, &entry.origin));
    seen.office_log
        .retain(|e| causality.happened_before(&e.origin, &entry.origin));
    seen
}
