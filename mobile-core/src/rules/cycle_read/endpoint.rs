//! Endpoint flags on a cycle read (DOMAIN.md "Cycle read": tamper, leak, reverse flow, low
//! battery): what the meter's radio endpoint reports, or what the reader sees on it, as codes
//! from the reference data. Each code raises its flag for the office; a tamper report also
//! proposes an inspection, as a broken seal does (`seal.found`).

use crate::action::FieldAction;
use crate::capture::Capture;
use crate::outcome::{Flag, FollowUpKind, FollowUpProposal, Need, Refusal};
use crate::rules::is_blank;
use crate::rules::seal::TAMPER;

/// Follow-up reason: the endpoint reported or showed tampering.
pub(crate) const ENDPOINT_TAMPER: &str = "endpoint_tamper";

rule! {
    /// `cycle_read.endpoint_flags`: at least one flag, each a known endpoint flag and only once,
    /// with the photo and note its definition requires; each raises its flag, and a `tamper`
    /// flag proposes an inspection.
    EndpointFlags = "cycle_read.endpoint_flags" on ["capture"], |id, input, out| {
        let FieldAction::Capture { capture: Capture::EndpointFlags { flags }, photos, note } = input.action else {
            return Ok(());
        };
        if flags.is_empty() {
            return Err(Refusal::new(id, "capture.flags", "Pick at least one endpoint flag."));
        }
        let mut tamper = false;
        for (i, code) in flags.iter().enumerate() {
            let field = format!("capture.flags[{i}]");
            let Some(def) = input.reference.endpoint_flag(code, input.order_type()) else {
                return Err(Refusal::new(id, field, "Pick endpoint flags from the list."));
            };
            if flags[..i].contains(code) {
                return Err(Refusal::new(id, field, "Each endpoint flag only once, please."));
            }
            if def.photo_required && photos.is_empty() {
                return Err(Refusal::new(id, "photos", format!("Take a photo of the endpoint for \"{}\".", def.label))
                    .needing(Need::Photo));
            }
            if def.note_required && is_blank(note.as_deref()) {
                return Err(Refusal::new(id, "note", format!("Add a note explaining \"{}\".", def.label))
                    .needing(Need::Note));
            }
            if let Some(flag) = &def.flag {
                tamper |= flag == TAMPER;
                out.flags.push(Flag { detail: Some(def.label.clone()), ..Flag::new(flag.clone()) });
            }
        }
        if tamper {
            out.follow_ups.push(FollowUpProposal::new(FollowUpKind::Inspection, ENDPOINT_TAMPER));
        }
        Ok(())
    }
}
