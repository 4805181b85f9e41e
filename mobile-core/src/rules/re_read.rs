//! Re-read and verification read: blind (the office data carries no previous, disputed or limit
//! values, so the reading rules can only check the dials), a photo with every reading, every
//! register read before completing, and an audit re-read by another reader than the original.
//! The outcome (`original_confirmed`, `original_misread`, `meter_problem`) is decided by the
//! server, which holds the disputed value outside the document.

use crate::action::FieldAction;
use crate::outcome::{Need, Refusal};
use crate::rules::Rule;
use crate::rules::work::{Work, all_registers_read, missing};

rule! {
    /// `re_read.other_reader`: an audit re-read is not done by the reader being audited.
    OtherReader = "re_read.other_reader" on ["start", "reading", "skip", "capture", "complete"], |id, input, _out| {
        let details = &input.record.office.details;
        if details.audit && details.original_reader.as_deref() == Some(input.context.user.as_str()) {
            return Err(Refusal::new(
                id,
                "user",
                "An audit re-read must be done by another reader than the original one. Hand the \
                 order back to the office.",
            ));
        }
        Ok(())
    }
}

rule! {
    /// `re_read.photo`: every re-read reading carries a photo of the register.
    Photo = "re_read.photo" on ["reading"], |id, input, _out| {
        match input.action {
            FieldAction::Reading { photos, .. } if photos.is_empty() => Err(Refusal::new(
                id,
                "photos",
                "A re-read needs a photo of the register. Take one.",
            )
            .needing(Need::Photo)),
            _ => Ok(()),
        }
    }
}

rule! {
    /// `re_read.completion`: every register read (or a skip) before completing.
    Completion = "re_read.completion" on ["complete"], |id, input, _out| {
        let work = Work::of(input);
        let skipped = input.record.field.iter().any(|e| {
            e.context.user == input.context.user && matches!(e.action, FieldAction::Skip { .. })
        });
        let (read, _) = work.readings();
        if skipped || all_registers_read(input, &read) {
            return Ok(());
        }
        Err(missing(id, "readings", "read every register of the meter (with a photo)"))
    }
}

/// Runs before the reading rules: who may do the re-read.
pub(super) static BEFORE: &[&dyn Rule] = &[&OtherReader];

/// Runs after the reading rules.
pub(super) static RULES: &[&dyn Rule] = &[&Photo, &Completion];
