//! Cycle-read rules 6 and 7 for skips: a skip code instead of a reading must be known, carry the
//! photo or note its definition requires, and is flagged for the office's skip queue.

use crate::action::{FieldAction, PhotoRef};
use crate::outcome::{Assessment, Flag, Need, Refusal};
use crate::reference::CodeDef;
use crate::rules::{Input, Rule, is_blank};

/// Flag: the meter was skipped (detail: the skip code).
pub(crate) const SKIPPED_READ: &str = "skipped_read";

/// `cycle_read.skip_code`: a known skip code; flags the skip.
pub(super) struct SkipCode;

impl Rule for SkipCode {
    fn id(&self) -> &'static str {
        "cycle_read.skip_code"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["skip"]
    }

    fn check(&self, input: &Input<'_>, out: &mut Assessment) -> Result<(), Refusal> {
        let FieldAction::Skip { code, .. } = input.action else {
            return Ok(());
        };
        if input
            .reference
            .skip_code(code, input.order_type())
            .is_none()
        {
            return Err(Refusal::new(
                self.id(),
                "code",
                "Pick a skip code from the list.",
            ));
        }
        out.flags.push(Flag {
            detail: Some(code.clone()),
            ..Flag::new(SKIPPED_READ)
        });
        Ok(())
    }
}

/// `cycle_read.skip_photo`: a skip code that requires a photo has one.
pub(super) struct SkipPhoto;

impl Rule for SkipPhoto {
    fn id(&self) -> &'static str {
        "cycle_read.skip_photo"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["skip"]
    }

    fn check(&self, input: &Input<'_>, _out: &mut Assessment) -> Result<(), Refusal> {
        match skip(input) {
            Some((def, _, photos)) if def.photo_required && photos.is_empty() => Err(Refusal::new(
                self.id(),
                "photos",
                format!("Skipping for \"{}\" needs a photo. Take one.", def.label),
            )
            .needing(Need::Photo)),
            _ => Ok(()),
        }
    }
}

/// `cycle_read.skip_note`: a skip code that requires a note has one.
pub(super) struct SkipNote;

impl Rule for SkipNote {
    fn id(&self) -> &'static str {
        "cycle_read.skip_note"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["skip"]
    }

    fn check(&self, input: &Input<'_>, _out: &mut Assessment) -> Result<(), Refusal> {
        match skip(input) {
            Some((def, note, _)) if def.note_required && is_blank(note) => Err(Refusal::new(
                self.id(),
                "note",
                format!("Skipping for \"{}\" needs a note. Add one.", def.label),
            )
            .needing(Need::Note)),
            _ => Ok(()),
        }
    }
}

/// The skip's code definition, note and photos, when the action is a skip with a known code.
fn skip<'a>(input: &Input<'a>) -> Option<(&'a CodeDef, Option<&'a str>, &'a [PhotoRef])> {
    let FieldAction::Skip { code, note, photos } = input.action else {
        return None;
    };
    let def = input.reference.skip_code(code, input.order_type())?;
    Some((def, note.as_deref(), photos))
}
