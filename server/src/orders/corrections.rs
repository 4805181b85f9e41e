//! A dispatcher's decision on a reader's meter-record correction (DOMAIN.md "Meter-info
//! corrections"). The field never changes the meter record: a `meter_correction` capture only
//! raises `meter_info_correction` exceptions. Accepting applies every correction of that entry
//! to the meter record (per-register fields to the register, access notes to the premise) in one
//! store transaction together with the decision in the order's office log, and only if the
//! record still says what the crew corrected and the order did not move; dismissing changes no
//! record. Either way the decision is a note carrying a review, which resolves the entry's
//! exceptions and keeps the decision in the order's audit trail.

use super::{OrderDetail, OrderError};
use crate::store::{
    AccessNotesCorrection, Meter, MeterCorrection, OrderUpdate, Store, StoreError, StoredOrder,
    User, UtilityId, VersionedWrite,
};
use chrono::{DateTime, Utc};
use fieldline_core::reference::ReferenceSet;
use fieldline_core::status::reviewed;
use fieldline_core::{
    Capture, FieldAction, FieldCorrection, MeterField, OfficeAction, OfficeData, OrderRecord,
    Review, ReviewDecision, WorkOrderDoc,
};
use uuid::Uuid;

/// The flag a meter-record correction raises, and that the decision resolves.
pub const METER_INFO_CORRECTION: &str = "meter_info_correction";

/// What the office decided about one correction entry, with its optional note.
#[derive(Debug, Clone)]
pub struct CorrectionDecision {
    /// Accept (apply to the meter record) or dismiss.
    pub decision: ReviewDecision,
    /// The dispatcher's note, kept in the office log with the decision.
    pub note: Option<String>,
}

/// Decides field entry `entry_id` of order `id`. The decision is an office note carrying a
/// review; an accept also corrects the meter record, in ONE store transaction with the note,
/// checked against the order's version. When another decision or a sync moved the order first,
/// nothing is written and the order is read again, where a second decision is refused with a
/// conflict: the record is never corrected without the decision logged, nor under a dismissal.
/// An accept is refused with a conflict naming the field when the record changed since the
/// reading or a new serial is another meter's.
pub async fn decide(
    store: &dyn Store,
    utility: UtilityId,
    by: &User,
    id: Uuid,
    entry_id: &str,
    decided: CorrectionDecision,
    now: DateTime<Utc>,
) -> Result<OrderDetail, OrderError> {
    let references = crate::reference::all_versions(store, utility).await?;
    for _ in 0..super::MAX_ATTEMPTS {
        let stored = store.get_order(utility, id).await?;
        let prepared = prepare(
            store,
            utility,
            by,
            &stored,
            entry_id,
            &decided,
            now,
            &references,
        )
        .await?;
        let version = stored.summary.version;
        let written = match &prepared.correction {
            Some(correction) => store
                .correct_meter_for_order(utility, correction, id, version, &prepared.update)
                .await
                .map_err(|e| match e {
                    StoreError::Conflict(message) => OrderError::conflict("meter", message),
                    other => other.into(),
                })?,
            // A dismissal is a plain office action.
            None => match store
                .update_order(utility, id, version, &prepared.update)
                .await
            {
                Ok(summary) => VersionedWrite::Stored(Box::new(summary)),
                Err(StoreError::Conflict(_)) => VersionedWrite::OrderMoved,
                Err(other) => return Err(other.into()),
            },
        };
        match written {
            // The detail of what was just stored, without reading it back.
            VersionedWrite::Stored(summary) => {
                let stored = StoredOrder {
                    summary: *summary,
                    doc: prepared.update.doc,
                };
                return super::detail_of(store, utility, stored).await;
            }
            VersionedWrite::OrderMoved => continue,
        }
    }
    Err(OrderError::Busy)
}

/// A decision ready to store against the order version it was derived from.
#[derive(Debug)]
pub(super) struct PreparedDecision {
    /// For an accept, the meter record as read and as corrected.
    pub correction: Option<MeterCorrection>,
    /// The order with the decision's note in its office log.
    pub update: OrderUpdate,
}

/// Derives the decision on entry `entry_id` from order `stored` as read: refused with a
/// conflict when it was decided already, or (accept) when the record changed since the reading.
#[allow(clippy::too_many_arguments)]
pub(super) async fn prepare(
    store: &dyn Store,
    utility: UtilityId,
    by: &User,
    stored: &StoredOrder,
    entry_id: &str,
    decided: &CorrectionDecision,
    now: DateTime<Utc>,
    references: &ReferenceSet,
) -> Result<PreparedDecision, OrderError> {
    let record = WorkOrderDoc::load(&stored.doc)?.record()?;
    let corrections = undecided_corrections(&record, entry_id)?;
    let correction = match decided.decision {
        ReviewDecision::Accepted => {
            Some(corrected_record(store, utility, &record.office, &corrections).await?)
        }
        ReviewDecision::Dismissed => None,
    };
    let action = decision_note(&corrections, entry_id, decided);
    let update = super::office_update(store, utility, by, stored, &action, now, references).await?;
    Ok(PreparedDecision { correction, update })
}

/// The corrections of field entry `entry_id` if nobody decided them yet; a conflict naming who
/// decided them otherwise.
fn undecided_corrections(
    record: &OrderRecord,
    entry_id: &str,
) -> Result<Vec<FieldCorrection>, OrderError> {
    let corrections = corrections_of(record, entry_id)?;
    if let Some(earlier) = reviewed(record, entry_id, METER_INFO_CORRECTION) {
        let what = earlier
            .action
            .review()
            .map_or("decided", |r| r.decision.as_str());
        return Err(OrderError::conflict(
            "entry_id",
            format!("{} already {what} this correction", earlier.by),
        ));
    }
    Ok(corrections)
}

/// The office note that records the decision and resolves the entry's exceptions.
fn decision_note(
    corrections: &[FieldCorrection],
    entry_id: &str,
    decided: &CorrectionDecision,
) -> OfficeAction {
    OfficeAction::Note {
        text: note_text(corrections, decided),
        review: Some(Review {
            entry: entry_id.to_string(),
            flag: METER_INFO_CORRECTION.to_string(),
            decision: decided.decision,
        }),
    }
}

/// The corrections of field entry `entry_id`, if it is a meter-record correction the office has
/// not yet seen resolved.
fn corrections_of(
    record: &OrderRecord,
    entry_id: &str,
) -> Result<Vec<FieldCorrection>, OrderError> {
    let entry = record
        .field
        .iter()
        .find(|e| e.id == entry_id)
        .ok_or_else(|| {
            OrderError::invalid(
                "entry_id",
                format!("this order has no field entry {entry_id}"),
            )
        })?;
    match &entry.action {
        FieldAction::Capture {
            capture: Capture::MeterCorrection { corrections },
            ..
        } if entry
            .assessment
            .flags
            .iter()
            .any(|f| f.code == METER_INFO_CORRECTION) =>
        {
            Ok(corrections.clone())
        }
        _ => Err(OrderError::invalid(
            "entry_id",
            format!("field entry {entry_id} is not a meter-record correction"),
        )),
    }
}

/// The meter record as it is now and as the entry's corrections make it, refused with a
/// conflict naming the first field whose record no longer says what the crew corrected.
async fn corrected_record(
    store: &dyn Store,
    utility: UtilityId,
    office: &OfficeData,
    corrections: &[FieldCorrection],
) -> Result<MeterCorrection, OrderError> {
    let snapshot = office
        .meter
        .as_ref()
        .ok_or_else(|| OrderError::invalid("entry_id", "this order names no meter to correct"))?;
    let meter_id: Uuid = snapshot.id.parse().map_err(|_| {
        OrderError::invalid(
            "entry_id",
            "the order's meter id is not a meter of this utility",
        )
    })?;
    let before = store.get_meter(utility, meter_id).await?;
    let premise = match office
        .premise
        .as_ref()
        .and_then(|p| p.id.parse::<Uuid>().ok())
    {
        Some(premise)
            if corrections
                .iter()
                .any(|c| c.field == MeterField::AccessNotes) =>
        {
            Some(store.get_premise(utility, premise).await?)
        }
        _ => None,
    };
    for c in corrections {
        let read = c.on_record(office);
        let now = value_now(
            &before,
            premise.as_ref().and_then(|p| p.access_notes.as_deref()),
            c,
        );
        let same = match (&read, &now) {
            (Some(a), Some(b)) => c.field.same_value(a, b),
            (None, None) => true,
            _ => false,
        };
        if !same {
            return Err(OrderError::conflict(
                &field_name(c),
                format!(
                    "the record says {} now, not {} as when the reader corrected it: \
                     look at the record again and dismiss or ask for a re-check",
                    shown(c, now.as_deref()),
                    shown(c, read.as_deref())
                ),
            ));
        }
    }

    let mut after = before.clone();
    let mut access_notes = None;
    // The register count first, so per-register corrections of a new register apply to it.
    let mut ordered: Vec<&FieldCorrection> = corrections.iter().collect();
    ordered.sort_by_key(|c| c.field != MeterField::RegisterCount);
    for c in ordered {
        let value = c.value.trim();
        let number = |low: u32| -> Result<u32, OrderError> {
            value
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= low)
                .ok_or_else(|| {
                    OrderError::invalid(&field_name(c), format!("`{value}` is not a count"))
                })
        };
        match c.field {
            MeterField::Serial => {
                if let Ok(other) = store.get_meter_by_serial(utility, value).await
                    && other.id != before.id
                {
                    return Err(OrderError::conflict(
                        "serial",
                        format!(
                            "serial {value} is already another meter's ({})",
                            other.status
                        ),
                    ));
                }
                after.serial = value.to_string();
            }
            MeterField::Size => after.size = value.to_string(),
            MeterField::Location => after.location_code = Some(value.to_string()),
            MeterField::AccessNotes => {
                let Some(premise) = &premise else {
                    return Err(OrderError::invalid(
                        "access_notes",
                        "this order names no premise",
                    ));
                };
                access_notes = Some(AccessNotesCorrection {
                    premise_id: premise.id,
                    before: premise.access_notes.clone(),
                    after: value.to_string(),
                });
            }
            MeterField::RegisterCount => resize_registers(&mut after, number(1)?),
            MeterField::DialsLeft | MeterField::DialsRight | MeterField::Multiplier => {
                let n = c.register.unwrap_or(0);
                let register = after
                    .registers
                    .iter_mut()
                    .find(|r| r.number == n)
                    .ok_or_else(|| {
                        OrderError::conflict(
                            &field_name(c),
                            format!("the meter has no register {n} now"),
                        )
                    })?;
                let v = number(0)?;
                match c.field {
                    MeterField::DialsLeft => register.dials_left = v,
                    MeterField::DialsRight => register.dials_right = v,
                    _ => register.multiplier = v,
                }
            }
        }
    }
    Ok(MeterCorrection {
        before,
        after,
        access_notes,
    })
}

/// Makes the meter have `count` registers: the last ones are dropped, or new ones set up like
/// the last (dials, multiplier, unit) without reads or limits.
fn resize_registers(meter: &mut Meter, count: u32) {
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    meter.registers.truncate(count);
    while meter.registers.len() < count {
        let Some(mut next) = meter.registers.last().cloned() else {
            return;
        };
        next.number += 1;
        next.last_read = None;
        next.last_read_at = None;
        next.low_limit = None;
        next.high_limit = None;
        meter.registers.push(next);
    }
}

/// What the meter record (and the premise's notes) says of the corrected field now.
fn value_now(meter: &Meter, access_notes: Option<&str>, c: &FieldCorrection) -> Option<String> {
    let register = c
        .register
        .and_then(|n| meter.registers.iter().find(|r| r.number == n));
    match c.field {
        MeterField::Serial => Some(meter.serial.clone()),
        MeterField::Size => Some(meter.size.clone()),
        MeterField::Location => meter.location_code.clone(),
        MeterField::AccessNotes => access_notes.map(str::to_string),
        MeterField::RegisterCount => Some(meter.registers.len().to_string()),
        MeterField::DialsLeft => register.map(|r| r.dials_left.to_string()),
        MeterField::DialsRight => register.map(|r| r.dials_right.to_string()),
        MeterField::Multiplier => register.map(|r| r.multiplier.to_string()),
    }
}

/// The field's name, with the register for per-register fields (`dials_left[1]`).
fn field_name(c: &FieldCorrection) -> String {
    match c.register {
        Some(n) if c.field.per_register() => format!("{}[{n}]", c.field.as_str()),
        _ => c.field.as_str().to_string(),
    }
}

/// A record value for a message: free text is not repeated (it stays in the entry).
fn shown(c: &FieldCorrection, value: Option<&str>) -> String {
    match value {
        None => "nothing".to_string(),
        Some(_) if c.field.is_text() => "other text".to_string(),
        Some(v) => v.to_string(),
    }
}

/// The office-log note of the decision: what was decided on which fields, and the dispatcher's
/// note. Apps that know no reviews show exactly this.
fn note_text(corrections: &[FieldCorrection], decided: &CorrectionDecision) -> String {
    let fields: Vec<String> = corrections.iter().map(field_name).collect();
    let verb = match decided.decision {
        ReviewDecision::Accepted => "accepted: the meter record is corrected",
        ReviewDecision::Dismissed => "dismissed: the meter record is unchanged",
    };
    let mut text = format!("Meter-record correction ({}) {verb}.", fields.join(", "));
    if let Some(note) = decided
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        text.push(' ');
        text.push_str(note);
    }
    text
}
