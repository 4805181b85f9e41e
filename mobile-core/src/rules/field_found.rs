//! Field-found orders, created on the device offline: the problem (a known code, its note when
//! the code needs one), how severe, with a photo and a GPS fix. The document itself is made by
//! [`crate::field_found::new_field_found_order`].

use crate::action::FieldAction;
use crate::capture::Capture;
use crate::outcome::{Flag, Need, Refusal};
use crate::rules::work::{Work, missing};
use crate::rules::{Rule, is_blank};

rule! {
    /// `field_found.problem`: a known problem code, with a note when it needs one, a photo and
    /// a GPS fix; the code's flag is raised.
    Problem = "field_found.problem" on ["capture"], |id, input, out| {
        let FieldAction::Capture { capture: Capture::Problem { code, .. }, photos, note } = input.action else {
            return Ok(());
        };
        let Some(def) = input.reference.problem_code(code) else {
            return Err(Refusal::new(id, "capture.code", "Pick the problem from the list."));
        };
        if def.note_required && is_blank(note.as_deref()) {
            return Err(Refusal::new(id, "note", format!("Add a note describing \"{}\".", def.label)).needing(Need::Note));
        }
        if photos.is_empty() {
            return Err(Refusal::new(id, "photos", "Take a photo of the problem.").needing(Need::Photo));
        }
        if input.context.gps.is_none() {
            return Err(Refusal::new(id, "gps", "A field-found problem needs a GPS fix. Turn location on and try again."));
        }
        if let Some(flag) = &def.flag {
            out.flags.push(Flag { detail: Some(def.label.clone()), ..Flag::new(flag.clone()) });
        }
        Ok(())
    }
}

rule! {
    /// `field_found.completion`: the problem is recorded before completing.
    Completion = "field_found.completion" on ["complete"], |id, input, _out| {
        if Work::of(input).has(|c| matches!(c, Capture::Problem { .. })) {
            return Ok(());
        }
        Err(missing(id, "problem", "record the problem you found"))
    }
}

/// The field-found rules.
pub(super) static RULES: &[&dyn Rule] = &[&Problem, &Completion];
