//! Meter exchange, recorded as one unit (one capture): the old meter (serial verified, a final
//! reading of every register passing the cycle-read rules, a reason) and the new meter (a
//! different serial that is in stock, an initial reading per register keyed on the stock
//! record's dials, an optional radio id), with photos of both.
//!
//! The device knows the stock it was given: a meter another crew installed meanwhile passes
//! here, and the server raises that as an exception when the exchange merges.

use crate::action::FieldAction;
use crate::capture::Capture;
use crate::outcome::{Need, Refusal};
use crate::rules::service::same_serial;
use crate::rules::work::{Work, missing};
use crate::rules::{Input, Rule, cycle_read, is_blank};

/// The exchange capture, with its photos and note.
fn exchange<'a>(
    input: &Input<'a>,
) -> Option<(
    &'a str,
    &'a crate::capture::OldMeter,
    &'a crate::capture::NewMeter,
)> {
    match input.action.capture() {
        Some(Capture::Exchange { reason, old, new }) => Some((reason, old, new)),
        _ => None,
    }
}

rule! {
    /// `meter_exchange.reason`: a known exchange reason, with the note it may require.
    Reason = "meter_exchange.reason" on ["capture"], |id, input, _out| {
        let Some((reason, _, _)) = exchange(input) else {
            return Ok(());
        };
        let Some(def) = input.reference.exchange_reason(reason) else {
            return Err(Refusal::new(id, "capture.reason", "Pick the reason for the exchange from the list."));
        };
        let note = match input.action {
            FieldAction::Capture { note, .. } => note.as_deref(),
            _ => None,
        };
        if def.note_required && is_blank(note) {
            return Err(Refusal::new(id, "note", format!("Add a note explaining \"{}\".", def.label)).needing(Need::Note));
        }
        Ok(())
    }
}

rule! {
    /// `meter_exchange.old_meter`: the old serial is the order's meter and every register has
    /// a final reading that passes the cycle-read rules.
    OldMeter = "meter_exchange.old_meter" on ["capture"], |id, input, out| {
        let Some((_, old, _)) = exchange(input) else {
            return Ok(());
        };
        let Some(meter) = input.record.office.meter.as_ref() else {
            return Err(Refusal::new(id, "old.serial", "This order names no meter to exchange; call the office."));
        };
        if !same_serial(&old.serial, &meter.serial) {
            return Err(Refusal::new(id, "old.serial", "The old meter's serial does not match the order's meter. Check the badge."));
        }
        cycle_read::check_embedded(input, &old.readings, "old.", out)?;
        let missing: Vec<String> = meter
            .registers
            .iter()
            .filter(|r| !old.readings.iter().any(|read| read.register == r.number))
            .map(|r| r.number.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(Refusal::new(
                id,
                "old.readings",
                format!("Enter the old meter's final reading of register {}.", missing.join(", ")),
            ));
        }
        Ok(())
    }
}

rule! {
    /// `meter_exchange.new_meter`: the new serial differs from the old one and is in stock
    /// (the reference stock or the meters issued for this order); one initial reading per
    /// register, each keyed on the new meter's dials.
    NewMeter = "meter_exchange.new_meter" on ["capture"], |id, input, _out| {
        let Some((_, old, new)) = exchange(input) else {
            return Ok(());
        };
        if new.serial.trim().is_empty() || same_serial(&new.serial, &old.serial) {
            return Err(Refusal::new(id, "new.serial", "Key the serial of the new meter (it differs from the old one)."));
        }
        let stock = input
            .reference
            .meter_stock
            .iter()
            .find(|m| same_serial(&m.serial, &new.serial));
        let issued = input
            .record
            .office
            .details
            .issued_meters
            .iter()
            .any(|s| same_serial(s, &new.serial));
        // Dials from the stock record; a meter issued to the order has the old meter's setup.
        let dials: Vec<(u32, u32)> = match (stock, issued, input.record.office.meter.as_ref()) {
            (Some(m), _, _) => (0..m.registers.max(1)).map(|_| (m.dials_left, m.dials_right)).collect(),
            (None, true, Some(meter)) => meter.registers.iter().map(|r| (r.dials_left, r.dials_right)).collect(),
            _ => {
                return Err(Refusal::new(
                    id,
                    "new.serial",
                    "This serial is not in the meter stock. Check the serial or use a meter from \
                     stock.",
                ));
            }
        };
        if new.initial_readings.len() != dials.len() {
            return Err(Refusal::new(
                id,
                "new.initial_readings",
                format!("Enter the new meter's initial reading of each of its {} registers.", dials.len()),
            ));
        }
        for (i, (text, (left, right))) in new.initial_readings.iter().zip(&dials).enumerate() {
            if cycle_read::parse_keyed(text, *left, *right).is_err() {
                return Err(Refusal::new(
                    id,
                    format!("new.initial_readings[{i}]"),
                    format!("Key the reading as the new register shows it: up to {left} digits, {right} after the decimal point."),
                ));
            }
        }
        Ok(())
    }
}

rule! {
    /// `meter_exchange.photos`: photos of both meters (at least two) with the exchange.
    Photos = "meter_exchange.photos" on ["capture"], |id, input, _out| {
        if exchange(input).is_some() && input.action.photos().len() < 2 {
            return Err(Refusal::new(id, "photos", "Take a photo of the old meter and one of the new meter.").needing(Need::Photo));
        }
        Ok(())
    }
}

rule! {
    /// `meter_exchange.completion`: the exchange (both meters, both readings) is recorded.
    Completion = "meter_exchange.completion" on ["complete"], |id, input, _out| {
        if Work::of(input).has(|c| matches!(c, Capture::Exchange { .. })) {
            return Ok(());
        }
        Err(missing(id, "exchange", "record the exchange: old meter's final reading and the new meter"))
    }
}

/// The exchange rules, in the order they run.
pub(super) static RULES: &[&dyn Rule] = &[&Reason, &OldMeter, &NewMeter, &Photos, &Completion];
