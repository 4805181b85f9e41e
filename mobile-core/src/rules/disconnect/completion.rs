//! The disconnect's site rules: a medical claim made on site holds the cut; shutting off names
//! the disconnect point; completing says what happened (`locked` with the cut's evidence, or
//! `held_medical` after a medical claim).

use super::{HELD_MEDICAL, LOCKED, is_cut};
use crate::action::{FieldAction, PhotoKind};
use crate::capture::{Capture, ValvePosition};
use crate::outcome::{Need, Refusal};
use crate::rules::work::{Work, all_registers_read, missing};

rule! {
    /// `disconnect.medical_claim`: after a medical claim on site, no step of the cut; complete
    /// as `held_medical` instead.
    MedicalClaim = "disconnect.medical_claim" on ["capture", "complete"], |id, input, _out| {
        if !is_cut(input) {
            return Ok(());
        }
        if Work::of(input).has(|c| matches!(c, Capture::MedicalClaim { .. })) {
            return Err(Refusal::new(
                id,
                "action",
                "A medical claim was made on site: do not cut. Complete the order as \"held: \
                 medical claim\".",
            ));
        }
        Ok(())
    }
}

rule! {
    /// `disconnect.point`: shutting off names the disconnect point (angle valve or curb stop).
    Point = "disconnect.point" on ["capture"], |id, input, _out| {
        match input.action.capture() {
            Some(Capture::Valve { position: ValvePosition::Off, point: None }) => Err(Refusal::new(
                id,
                "capture.point",
                "Say where service was shut off: angle valve or curb stop.",
            )),
            _ => Ok(()),
        }
    }
}

rule! {
    /// `disconnect.outcome`: a disconnect completes as `locked` (meter verified, reading, valve
    /// off, seal, door hanger or customer contact, and a photo of the lock) or `held_medical`
    /// (after a medical claim); other codes are for work that did not cut.
    Outcome = "disconnect.outcome" on ["complete"], |id, input, _out| {
        let FieldAction::Complete { code, .. } = input.action else {
            return Ok(());
        };
        let work = Work::of(input);
        match code.as_deref() {
            Some(LOCKED) => {
                if !work.has(|c| matches!(c, Capture::MeterVerified { .. })) {
                    return Err(missing(id, "meter_verified", "verify the meter's serial"));
                }
                let (read, _) = work.readings();
                if !all_registers_read(input, &read) {
                    return Err(missing(id, "readings", "enter the reading of every register"));
                }
                if !work.has(|c| matches!(c, Capture::Valve { position: ValvePosition::Off, .. })) {
                    return Err(missing(id, "valve", "shut service off and record where"));
                }
                if !work.has(|c| matches!(c, Capture::SealInstalled { .. })) {
                    return Err(missing(id, "seal_installed", "lock the valve and key the seal number"));
                }
                if !work.has(|c| matches!(c, Capture::Customer { .. })) {
                    return Err(missing(id, "customer", "record the door hanger and whether the customer was present"));
                }
                if !work.has_photo(&[PhotoKind::Lock]) {
                    return Err(missing(id, "photos", "take a photo of the lock").needing(Need::Photo));
                }
                Ok(())
            }
            Some(HELD_MEDICAL) => {
                if work.has(|c| matches!(c, Capture::MedicalClaim { .. })) {
                    return Ok(());
                }
                Err(missing(id, "medical_claim", "record the medical claim made on site"))
            }
            Some(_) => Ok(()),
            None => Err(Refusal::new(
                id,
                "code",
                "Say how the disconnect ended: locked, or held for a medical claim.",
            )),
        }
    }
}
