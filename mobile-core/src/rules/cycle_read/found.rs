//! "Meter found" records on a cycle read: the reader finds a meter at the premise that is not
//! the order's meter (a second meter, or a different one in its place). It is recorded with its
//! serial, its register as keyed, where it is and a photo, flagged `meter_found` for the office,
//! and proposes an inspection: a meter the office does not bill may be unauthorized use.

use crate::action::FieldAction;
use crate::capture::Capture;
use crate::outcome::{Flag, FollowUpKind, FollowUpProposal, Need, Refusal};
use crate::rules::cycle_read::fixed;
use crate::rules::service::same_serial;

/// Flag (and follow-up reason): a meter not on record was found at the premise.
pub(crate) const METER_FOUND: &str = "meter_found";

/// Dials a found meter's register may show: its real dials are unknown until the office
/// records the meter, so any plausible register value is taken as keyed.
const FOUND_DIALS: (u32, u32) = (12, 6);

rule! {
    /// `cycle_read.meter_found`: a serial (letters, digits, dashes) that is not the order's
    /// meter, the register as keyed, where the meter is, and a photo; flagged `meter_found`
    /// with an inspection proposed.
    MeterFound = "cycle_read.meter_found" on ["capture"], |id, input, out| {
        let FieldAction::Capture { capture: Capture::MeterFound { serial, reading, location }, photos, .. } = input.action else {
            return Ok(());
        };
        let serial = serial.trim();
        if serial.is_empty() || !serial.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(Refusal::new(id, "capture.serial", "Key the serial as on the badge: letters, digits and dashes."));
        }
        if input.record.office.meter.as_ref().is_some_and(|m| same_serial(&m.serial, serial)) {
            return Err(Refusal::new(
                id,
                "capture.serial",
                "This is the order's meter: read it as usual. Record a meter found only for another meter.",
            ));
        }
        if fixed::parse(reading, FOUND_DIALS.0, FOUND_DIALS.1).is_err() {
            return Err(Refusal::new(id, "capture.reading", "Key the register as shown: digits and at most one decimal point."));
        }
        if location.trim().is_empty() {
            return Err(Refusal::new(id, "capture.location", "Say where the meter is (\"rear wall, left of the door\")."));
        }
        if photos.is_empty() {
            return Err(Refusal::new(id, "photos", "Take a photo of the meter you found, badge and register.").needing(Need::Photo));
        }
        out.flags.push(Flag {
            detail: Some(format!("meter {serial} found at the premise")),
            ..Flag::new(METER_FOUND)
        });
        out.follow_ups.push(FollowUpProposal::new(FollowUpKind::Inspection, METER_FOUND));
        Ok(())
    }
}
