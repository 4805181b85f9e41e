//! Turn-off (customer request, move-out, vacancy, emergency): before completing, a final
//! reading, the valve off, a lock or seal when the policy requires one, a door hanger, and a
//! photo.

use crate::capture::{Capture, ValvePosition};
use crate::rules::Rule;
use crate::rules::work::{Work, all_registers_read, missing};

rule! {
    /// `turn_off.completion`: every required step of a turn-off is recorded.
    Completion = "turn_off.completion" on ["complete"], |id, input, _out| {
        let work = Work::of(input);
        let (read, _) = work.readings();
        if !all_registers_read(input, &read) {
            return Err(missing(id, "readings", "enter the final reading of every register"));
        }
        let valve = work.last(|c| match c {
            Capture::Valve { position, .. } => Some(*position),
            _ => None,
        });
        if valve != Some(ValvePosition::Off) {
            return Err(missing(id, "valve", "turn the valve off and record it"));
        }
        if input.reference.policy.turn_off_seal_required
            && !work.has(|c| matches!(c, Capture::SealInstalled { .. }))
        {
            return Err(missing(id, "seal_installed", "lock or seal the valve and key the seal number"));
        }
        if !work.has(|c| matches!(c, Capture::Customer { door_hanger: true, .. })) {
            return Err(missing(id, "customer", "leave a door hanger and record it"));
        }
        if !work.has_photo(&[]) {
            return Err(missing(id, "photos", "take a photo of the meter setting"));
        }
        Ok(())
    }
}

/// The turn-off rules.
pub(super) static RULES: &[&dyn Rule] = &[&Completion];
