//! Codes every order type uses: the not-done reason and the completion code must be in the
//! reference data, with the photo or note their definition requires.

use crate::action::FieldAction;
use crate::outcome::{Assessment, Flag, Need, Refusal};
use crate::reference::CodeDef;
use crate::rules::{Input, Rule, is_blank};

/// `common.not_done_reason`: a known reason, with a note when the reason needs one; the
/// reason's flag, if it has one, is raised.
pub(super) struct NotDoneReason;

impl Rule for NotDoneReason {
    fn id(&self) -> &'static str {
        "common.not_done_reason"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["not_done"]
    }

    fn check(&self, input: &Input<'_>, out: &mut Assessment) -> Result<(), Refusal> {
        let FieldAction::NotDone { reason, note } = input.action else {
            return Ok(());
        };
        let Some(def) = input.reference.not_done_reason(reason, input.order_type()) else {
            return Err(Refusal::new(
                self.id(),
                "reason",
                "Pick a reason from the list for why the work could not be done.",
            ));
        };
        if def.note_required && is_blank(note.as_deref()) {
            return Err(Refusal::new(
                self.id(),
                "note",
                format!("Add a note explaining \"{}\".", def.label),
            )
            .needing(Need::Note));
        }
        raise(def, out);
        Ok(())
    }
}

/// `common.completion_code`: a completion code, when given, is known, with the photo its
/// definition requires; the code's flag (`held_medical`, `tamper`), if it has one, is raised.
pub(super) struct CompletionCode;

impl Rule for CompletionCode {
    fn id(&self) -> &'static str {
        "common.completion_code"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["complete"]
    }

    fn check(&self, input: &Input<'_>, out: &mut Assessment) -> Result<(), Refusal> {
        let FieldAction::Complete {
            code: Some(code),
            photos,
        } = input.action
        else {
            return Ok(());
        };
        let Some(def) = input.reference.completion_code(code, input.order_type()) else {
            return Err(Refusal::new(
                self.id(),
                "code",
                "Pick a completion code from the list for this kind of order.",
            ));
        };
        if def.photo_required && photos.is_empty() {
            return Err(Refusal::new(
                self.id(),
                "photos",
                format!("Take a photo to complete as \"{}\".", def.label),
            )
            .needing(Need::Photo));
        }
        raise(def, out);
        Ok(())
    }
}

/// Raises the flag a code's definition names.
fn raise(def: &CodeDef, out: &mut Assessment) {
    if let Some(flag) = &def.flag {
        out.flags.push(Flag {
            detail: Some(def.label.clone()),
            ..Flag::new(flag.clone())
        });
    }
}
