//! Status and merge exceptions, derived by a pure function of a document's record (DOMAIN.md
//! "Status"). Nothing here reads a clock: concurrency is decided by causality (which change had
//! seen which), so every replica with the same changes derives the same answer.

use crate::action::{FieldAction, OfficeAction};
use crate::model::{Source, Timestamp};
use crate::outcome::FollowUpKind;
use crate::record::{Causality, FieldEntry, OfficeEntry, OrderRecord, Origin};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where an order is in its life (DOMAIN.md "Status").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nobody has it.
    Unassigned,
    /// Given to a field user.
    Assigned,
    /// The assignee's device has it.
    Received,
    /// On the way.
    EnRoute,
    /// At the premise.
    OnSite,
    /// Work under way.
    InProgress,
    /// Work paused.
    Paused,
    /// Done in the field.
    Completed,
    /// Could not be done.
    NotDone,
    /// Cancelled by the office.
    Cancelled,
    /// Reviewed by the office.
    Closed,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: &'static [Status] = &[
        Status::Unassigned,
        Status::Assigned,
        Status::Received,
        Status::EnRoute,
        Status::OnSite,
        Status::InProgress,
        Status::Paused,
        Status::Completed,
        Status::NotDone,
        Status::Cancelled,
        Status::Closed,
    ];

    /// The stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unassigned => "unassigned",
            Status::Assigned => "assigned",
            Status::Received => "received",
            Status::EnRoute => "en_route",
            Status::OnSite => "on_site",
            Status::InProgress => "in_progress",
            Status::Paused => "paused",
            Status::Completed => "completed",
            Status::NotDone => "not_done",
            Status::Cancelled => "cancelled",
            Status::Closed => "closed",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.iter().copied().find(|st| st.as_str() == s)
    }

    /// No more field work is expected.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::Completed | Status::NotDone | Status::Cancelled | Status::Closed
        )
    }

    /// Work has started and not finished.
    pub fn is_started(self) -> bool {
        matches!(self, Status::InProgress | Status::Paused)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Merge exception: an order completed in the field concurrently with its cancellation.
pub const COMPLETED_AFTER_CANCEL: &str = "completed_after_cancel";
/// Merge exception: a crew worked an order concurrently with its reassignment away from them.
pub const WORKED_AFTER_REASSIGN: &str = "worked_after_reassign";
/// Merge exception: two completions, neither of which had seen the other.
pub const DUPLICATE_COMPLETION: &str = "duplicate_completion";
/// Cross-order exception the server raises: a seal number installed on this order is also
/// installed on another order of the utility (a device knows only the seals it was told of).
/// Raised on both orders; never a refusal of the field work.
pub const SEAL_IN_USE: &str = "seal_in_use";
/// Cross-order exception the server raises: the new meter an exchange fitted is also recorded
/// as fitted by another order's exchange (a device knows only the stock it was given). Raised
/// on both orders; never a refusal of the field work.
pub const METER_IN_USE: &str = "meter_in_use";

/// Something the office must review: a merge exception or a flag a rule raised.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OrderException {
    /// Stable code (`completed_after_cancel`, `high_read`...).
    pub code: String,
    /// Ids of the entries (field or office) involved, sorted.
    pub entries: Vec<String>,
    /// Register concerned, for reading flags.
    pub register: Option<u32>,
    /// A short human explanation.
    pub detail: Option<String>,
}

/// What a document says about its order, derived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Derived {
    /// The status.
    pub status: Status,
    /// Username of the current assignee.
    pub assignee: Option<String>,
    /// Merge exceptions and rule flags, sorted.
    pub exceptions: Vec<OrderException>,
    /// Ids of every completion entry (more than one only with `duplicate_completion`).
    pub completions: Vec<String>,
    /// Device time the current assignee's work started.
    pub started_at: Option<Timestamp>,
    /// Device time of the (first) completion.
    pub completed_at: Option<Timestamp>,
    /// Completion code of the (first) completion.
    pub completion_code: Option<String>,
    /// Reason of the not-done entry that set the status.
    pub not_done_reason: Option<String>,
    /// Follow-up orders the field work calls for, one per proposing entry and kind, sorted.
    #[serde(default)]
    pub follow_ups: Vec<FollowUp>,
}

/// A follow-up order an entry's outcome calls for. `entry_id` and `kind` identify it, so the
/// server creates it once however often the entry is synced.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FollowUp {
    /// What kind of order.
    pub kind: FollowUpKind,
    /// Why.
    pub reason: String,
    /// The field entry that proposed it.
    pub entry_id: String,
}

/// Derives status, assignee and exceptions from a document's record.
pub fn derive(record: &OrderRecord) -> Derived {
    let causality = &record.causality;
    let order = LinearOrder::new(causality);

    let assignment = current_assignment(record, causality, &order);
    let assignee = assignment.and_then(|entry| match &entry.action {
        OfficeAction::Assign { assignee, .. } => Some(assignee.clone()),
        _ => None,
    });

    let mut completions: Vec<&FieldEntry> = record
        .field
        .iter()
        .filter(|e| matches!(e.action, FieldAction::Complete { .. }))
        .collect();
    order.sort_field(&mut completions);
    let cancels: Vec<&OfficeEntry> = record
        .office_log
        .iter()
        .filter(|e| matches!(e.action, OfficeAction::Cancel { .. }))
        .collect();

    let mut exceptions = merge_exceptions(record, causality, &completions, &cancels);
    exceptions.extend(rule_flags(record));
    exceptions.sort();
    exceptions.dedup();

    // The current assignee's own work since they were (last) given the order.
    let mut own: Vec<&FieldEntry> = match (assignment, &assignee) {
        (Some(assigned), Some(user)) => record
            .field
            .iter()
            .filter(|e| &e.context.user == user && causality.seen_by(&assigned.origin, &e.origin))
            .collect(),
        // A field-found order is worked by the crew that found it until the office assigns it.
        (None, None) if record.office.source == Source::FieldFound => record
            .field
            .iter()
            .filter(|e| e.context.user == record.office.created_by)
            .collect(),
        _ => Vec::new(),
    };
    order.sort_field(&mut own);

    let mut progress = if assignee.is_some() {
        Status::Assigned
    } else {
        Status::Unassigned
    };
    let mut started_at = None;
    let mut not_done: Option<&FieldEntry> = None;
    for entry in &own {
        let next = match &entry.action {
            FieldAction::Received => Status::Received,
            FieldAction::EnRoute => Status::EnRoute,
            FieldAction::Arrive => Status::OnSite,
            FieldAction::Start
            | FieldAction::Reading { .. }
            | FieldAction::Skip { .. }
            | FieldAction::Capture { .. } => Status::InProgress,
            FieldAction::Pause { .. } => Status::Paused,
            FieldAction::Resume => Status::InProgress,
            FieldAction::NotDone { .. } => {
                not_done.get_or_insert(entry);
                Status::NotDone
            }
            FieldAction::Note { .. } | FieldAction::Photo { .. } | FieldAction::Complete { .. } => {
                continue;
            }
        };
        if next == Status::InProgress && started_at.is_none() {
            started_at = Some(entry.context.device_time);
        }
        progress = advance(progress, next);
    }

    let first_completion = completions.first().copied();
    let status = if first_completion.is_some() {
        Status::Completed
    } else if !cancels.is_empty() {
        Status::Cancelled
    } else {
        progress
    };
    let status = if status.is_terminal()
        && is_reviewed(record, causality, &completions, &cancels, not_done)
    {
        Status::Closed
    } else {
        status
    };

    Derived {
        status,
        assignee,
        exceptions,
        completions: completions.iter().map(|e| e.id.clone()).collect(),
        started_at,
        completed_at: first_completion.map(|e| e.context.device_time),
        completion_code: first_completion.and_then(|e| match &e.action {
            FieldAction::Complete { code, .. } => code.clone(),
            _ => None,
        }),
        not_done_reason: match (status, not_done.map(|e| &e.action)) {
            (Status::NotDone | Status::Closed, Some(FieldAction::NotDone { reason, .. })) => {
                Some(reason.clone())
            }
            _ => None,
        },
        follow_ups: follow_ups(record),
    }
}

/// Every follow-up the entries' outcomes propose, once per entry and kind.
fn follow_ups(record: &OrderRecord) -> Vec<FollowUp> {
    let mut out: Vec<FollowUp> = record
        .field
        .iter()
        .flat_map(|entry| {
            entry.assessment.follow_ups.iter().map(|p| FollowUp {
                kind: p.kind,
                reason: p.reason.clone(),
                entry_id: entry.id.clone(),
            })
        })
        .collect();
    out.sort();
    out.dedup_by(|a, b| a.kind == b.kind && a.entry_id == b.entry_id);
    out
}

/// Progress never goes backwards, except pause ⇄ resume; not-done is final.
fn advance(current: Status, next: Status) -> Status {
    match (current, next) {
        (Status::NotDone, _) => Status::NotDone,
        (Status::Paused, Status::InProgress) | (Status::InProgress, Status::Paused) => next,
        _ if next > current => next,
        _ => current,
    }
}

/// The assignment in force: the latest assign/unassign that no other one had seen; concurrent
/// ones are ordered by their operation id, which every replica agrees on.
fn current_assignment<'a>(
    record: &'a OrderRecord,
    causality: &Causality,
    order: &LinearOrder<'_>,
) -> Option<&'a OfficeEntry> {
    let assignments: Vec<&OfficeEntry> = record
        .office_log
        .iter()
        .filter(|e| {
            matches!(
                e.action,
                OfficeAction::Assign { .. } | OfficeAction::Unassign { .. }
            )
        })
        .collect();
    assignments
        .iter()
        .copied()
        .filter(|a| {
            !assignments
                .iter()
                .any(|b| causality.happened_before(&a.origin, &b.origin))
        })
        .max_by(|a, b| order.key(&a.origin).cmp(&order.key(&b.origin)))
}

/// The user an assignment gives the order to (`None` for an unassign).
fn assigned_user(entry: &OfficeEntry) -> Option<&str> {
    match &entry.action {
        OfficeAction::Assign { assignee, .. } => Some(assignee),
        _ => None,
    }
}

/// Who the order was assigned to as the writer of `origin` saw it.
fn assignee_as_seen<'a>(
    record: &'a OrderRecord,
    causality: &Causality,
    order: &LinearOrder<'_>,
    origin: &Origin,
) -> Option<&'a str> {
    record
        .office_log
        .iter()
        .filter(|e| {
            matches!(
                e.action,
                OfficeAction::Assign { .. } | OfficeAction::Unassign { .. }
            )
        })
        .filter(|e| causality.seen_by(&e.origin, origin))
        .max_by(|a, b| order.key(&a.origin).cmp(&order.key(&b.origin)))
        .and_then(assigned_user)
}

fn merge_exceptions(
    record: &OrderRecord,
    causality: &Causality,
    completions: &[&FieldEntry],
    cancels: &[&OfficeEntry],
) -> Vec<OrderException> {
    let order = LinearOrder::new(causality);
    let mut out = Vec::new();

    for (i, a) in completions.iter().enumerate() {
        for b in &completions[i + 1..] {
            if causality.concurrent(&a.origin, &b.origin) {
                out.push(exception(DUPLICATE_COMPLETION, [&a.id, &b.id], None));
            }
        }
        for cancel in cancels {
            if causality.concurrent(&a.origin, &cancel.origin) {
                out.push(exception(
                    COMPLETED_AFTER_CANCEL,
                    [&a.id, &cancel.id],
                    Some("completed in the field while the office cancelled it"),
                ));
            }
        }
    }

    // Work by a crew that still held the order as they saw it, concurrent with an office action
    // that took it from them.
    for reassign in record.office_log.iter().filter(|e| {
        matches!(
            e.action,
            OfficeAction::Assign { .. } | OfficeAction::Unassign { .. }
        )
    }) {
        let new_user = assigned_user(reassign);
        let mut worked: Vec<&String> = record
            .field
            .iter()
            .filter(|e| is_work(&e.action))
            .filter(|e| new_user != Some(e.context.user.as_str()))
            .filter(|e| causality.concurrent(&e.origin, &reassign.origin))
            .filter(|e| {
                assignee_as_seen(record, causality, &order, &e.origin)
                    == Some(e.context.user.as_str())
            })
            .map(|e| &e.id)
            .collect();
        if !worked.is_empty() {
            worked.push(&reassign.id);
            out.push(exception(
                WORKED_AFTER_REASSIGN,
                worked,
                Some("the crew worked the order while the office reassigned it"),
            ));
        }
    }
    out
}

/// Field entries that are work (not the device merely receiving the order).
fn is_work(action: &FieldAction) -> bool {
    !matches!(action, FieldAction::Received)
}

/// Flags raised by the rules when entries were written, less those the office has decided (a
/// review note naming the entry and the flag's code resolves them).
fn rule_flags(record: &OrderRecord) -> impl Iterator<Item = OrderException> + '_ {
    record.field.iter().flat_map(move |entry| {
        entry
            .assessment
            .flags
            .iter()
            .filter(move |flag| reviewed(record, &entry.id, &flag.code).is_none())
            .map(move |flag| OrderException {
                code: flag.code.clone(),
                entries: vec![entry.id.clone()],
                register: flag.register,
                detail: flag.detail.clone(),
            })
    })
}

/// The office's decision on the `flag` flags of field entry `entry`, if it made one.
pub fn reviewed<'r>(record: &'r OrderRecord, entry: &str, flag: &str) -> Option<&'r OfficeEntry> {
    record.office_log.iter().find(|e| {
        e.action
            .review()
            .is_some_and(|r| r.entry == entry && r.flag == flag)
    })
}

/// The office has reviewed the terminal state: a close that had seen every completion, cancel
/// and the not-done entry that made the order terminal.
fn is_reviewed(
    record: &OrderRecord,
    causality: &Causality,
    completions: &[&FieldEntry],
    cancels: &[&OfficeEntry],
    not_done: Option<&FieldEntry>,
) -> bool {
    record
        .office_log
        .iter()
        .filter(|e| matches!(e.action, OfficeAction::Close { .. }))
        .any(|close| {
            completions
                .iter()
                .map(|e| &e.origin)
                .chain(cancels.iter().map(|e| &e.origin))
                .chain(not_done.map(|e| &e.origin))
                .all(|o| causality.seen_by(o, &close.origin))
        })
}

fn exception<'s>(
    code: &str,
    entries: impl IntoIterator<Item = &'s String>,
    detail: Option<&str>,
) -> OrderException {
    let mut entries: Vec<String> = entries.into_iter().cloned().collect();
    entries.sort();
    OrderException {
        code: code.to_string(),
        entries,
        register: None,
        detail: detail.map(str::to_string),
    }
}

/// A linear extension of the causal order that every replica computes alike: by the number of
/// entry-writing changes in an entry's history, then by operation id.
struct LinearOrder<'c> {
    causality: &'c Causality,
}

impl<'c> LinearOrder<'c> {
    fn new(causality: &'c Causality) -> Self {
        LinearOrder { causality }
    }

    fn key<'o>(&self, origin: &'o Origin) -> (usize, u64, &'o str) {
        (
            self.causality.history_len(origin),
            origin.counter,
            origin.actor.as_str(),
        )
    }

    fn sort_field(&self, entries: &mut [&FieldEntry]) {
        entries.sort_by(|a, b| self.key(&a.origin).cmp(&self.key(&b.origin)));
    }
}
