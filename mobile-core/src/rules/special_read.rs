//! Special reads (move-in, move-out/final, control): a reading with a photo and a record of
//! whether the customer was there; a final read must not be below the last actual read unless
//! the dials rolled over.

use crate::action::FieldAction;
use crate::capture::Capture;
use crate::model::SpecialReadKind;
use crate::outcome::{Need, Refusal};
use crate::rules::work::{Work, all_registers_read, missing};
use crate::rules::{Rule, cycle_read};

rule! {
    /// `special_read.final_not_below`: a move-out (final) read is not below the last actual
    /// read, unless it is a rollover.
    FinalNotBelow = "special_read.final_not_below" on ["reading"], |id, input, _out| {
        if input.record.office.details.special_read != Some(SpecialReadKind::MoveOut) {
            return Ok(());
        }
        match cycle_read::read_facts(input)?.iter().find(|r| r.negative) {
            Some(read) => Err(Refusal::new(
                id,
                format!("readings[{}].value", read.index),
                format!(
                    "A final read cannot be below register {}'s last actual read. Look at the \
                     dials again.",
                    read.register
                ),
            )),
            None => Ok(()),
        }
    }
}

rule! {
    /// `special_read.photo`: every special-read reading carries a photo.
    Photo = "special_read.photo" on ["reading"], |id, input, _out| {
        match input.action {
            FieldAction::Reading { photos, .. } if photos.is_empty() => Err(Refusal::new(
                id,
                "photos",
                "A special read needs a photo of the register. Take one.",
            )
            .needing(Need::Photo)),
            _ => Ok(()),
        }
    }
}

rule! {
    /// `special_read.completion`: every register read and the customer's presence recorded.
    Completion = "special_read.completion" on ["complete"], |id, input, _out| {
        let work = Work::of(input);
        let (read, _) = work.readings();
        if !all_registers_read(input, &read) {
            return Err(missing(id, "readings", "read every register of the meter"));
        }
        if !work.has(|c| matches!(c, Capture::Customer { .. })) {
            return Err(missing(id, "customer", "record whether the customer was present"));
        }
        Ok(())
    }
}

/// Runs before the reading rules (a final read below the last is refused outright, not asked
/// for a re-key).
pub(super) static BEFORE: &[&dyn Rule] = &[&FinalNotBelow];

/// Runs after the reading rules.
pub(super) static RULES: &[&dyn Rule] = &[&Photo, &Completion];
