//! Reconnect after payment: before completing, the seal found (its match with the recorded seal
//! is judged by `seal.found`), a reading (use while off is flagged), the valve on, a leak check
//! and the customer notified.

use crate::capture::{Capture, ValvePosition};
use crate::rules::Rule;
use crate::rules::work::{Work, all_registers_read, missing};

rule! {
    /// `reconnect.completion`: every required step of a reconnect is recorded.
    Completion = "reconnect.completion" on ["complete"], |id, input, _out| {
        let work = Work::of(input);
        if !work.has(|c| matches!(c, Capture::SealFound { .. })) {
            return Err(missing(id, "seal_found", "record the seal you found on the meter"));
        }
        let (read, _) = work.readings();
        if !all_registers_read(input, &read) {
            return Err(missing(id, "readings", "enter the reading of every register"));
        }
        if !work.has(|c| matches!(c, Capture::Valve { position: ValvePosition::On, .. })) {
            return Err(missing(id, "valve", "turn the valve on and record it"));
        }
        if !work.has(|c| matches!(c, Capture::LeakCheck { .. })) {
            return Err(missing(id, "leak_check", "watch the leak indicator and record the leak check"));
        }
        if !work.has(|c| matches!(c, Capture::Customer { notified: true, .. })) {
            return Err(missing(id, "customer", "notify the customer that service is back on"));
        }
        Ok(())
    }
}

/// The reconnect rules.
pub(super) static RULES: &[&dyn Rule] = &[&Completion];
