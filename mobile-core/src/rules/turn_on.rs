//! Turn-on (new service, move-in): before completing, the meter's serial verified, an opening
//! reading, the valve turned on, a leak check, the recorded seal removed (when one was
//! recorded), the customer notified, and a photo.

use crate::capture::{Capture, ValvePosition};
use crate::rules::Rule;
use crate::rules::work::{Work, all_registers_read, missing};

rule! {
    /// `turn_on.completion`: every required step of a turn-on is recorded.
    Completion = "turn_on.completion" on ["complete"], |id, input, _out| {
        let work = Work::of(input);
        if !work.has(|c| matches!(c, Capture::MeterVerified { .. })) {
            return Err(missing(id, "meter_verified", "verify the meter's serial"));
        }
        let (read, _) = work.readings();
        if !all_registers_read(input, &read) {
            return Err(missing(id, "readings", "enter the opening reading of every register"));
        }
        if !work.has(|c| matches!(c, Capture::Valve { position: ValvePosition::On, .. })) {
            return Err(missing(id, "valve", "turn the valve on and record it"));
        }
        if !work.has(|c| matches!(c, Capture::LeakCheck { .. })) {
            return Err(missing(id, "leak_check", "watch the leak indicator and record the leak check"));
        }
        if input.record.office.details.recorded_seal.is_some()
            && !work.has(|c| matches!(c, Capture::SealRemoved { .. }))
        {
            return Err(missing(id, "seal_removed", "remove the seal and key its number"));
        }
        if !work.has(|c| matches!(c, Capture::Customer { notified: true, .. })) {
            return Err(missing(id, "customer", "tell the customer what was done and record it"));
        }
        if !work.has_photo(&[]) {
            return Err(missing(id, "photos", "take a photo of the meter setting"));
        }
        Ok(())
    }
}

/// The turn-on rules.
pub(super) static RULES: &[&dyn Rule] = &[&Completion];
