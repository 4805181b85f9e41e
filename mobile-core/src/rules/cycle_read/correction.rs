//! Meter-info corrections on a cycle read: the reader reports that the office's meter record is
//! wrong (serial, size, location, access notes, register count, dials, multiplier) with the
//! value found on site. The record is never changed from the field: each correction is flagged
//! `meter_info_correction` for a dispatcher to accept or reject, so it must name a field the
//! record has, carry a well-formed value that differs from the record, and, for a serial, come
//! with a photo of the badge.

use crate::action::FieldAction;
use crate::capture::{Capture, FieldCorrection, MeterField};
use crate::model::{MeterSnapshot, OfficeData};
use crate::outcome::{Flag, Need, Refusal};
use crate::rules::Input;
use crate::rules::service::same_serial;

/// Flag: the reader proposes a correction to the meter record.
pub(crate) const METER_INFO_CORRECTION: &str = "meter_info_correction";

/// Most registers a meter record may be corrected to (compound meters have two or three).
const MAX_REGISTERS: u32 = 9;
/// Most dials left of the decimal point (full scale 10^12 covers any utility meter).
const MAX_DIALS_LEFT: u32 = 12;
/// Most dials right of the decimal point.
const MAX_DIALS_RIGHT: u32 = 6;
/// Largest register multiplier.
const MAX_MULTIPLIER: u32 = 1_000_000;

/// The corrections of a meter-correction capture.
fn corrections<'a>(input: &Input<'a>) -> Option<&'a [FieldCorrection]> {
    match input.action.capture() {
        Some(Capture::MeterCorrection { corrections }) => Some(corrections),
        _ => None,
    }
}

fn at(i: usize, part: &str) -> String {
    format!("capture.corrections[{i}].{part}")
}

rule! {
    /// `cycle_read.correction_field`: at least one correction; each names a field the order's
    /// record has (a meter, a premise for access notes), a register of the meter for register
    /// fields and none otherwise, and no field (of one register) is corrected twice.
    CorrectionField = "cycle_read.correction_field" on ["capture"], |id, input, _out| {
        let Some(corrections) = corrections(input) else {
            return Ok(());
        };
        if corrections.is_empty() {
            return Err(Refusal::new(id, "capture.corrections", "Add the field you found wrong and its value."));
        }
        let office = &input.record.office;
        for (i, c) in corrections.iter().enumerate() {
            let record = if c.field == MeterField::AccessNotes {
                office.premise.is_some()
            } else {
                office.meter.is_some()
            };
            if !record {
                return Err(Refusal::new(id, at(i, "field"), "This order has no record of that to correct; call the office."));
            }
            let register_problem = match (c.field.per_register(), c.register) {
                (true, None) => Some(format!("Say which register's {} is wrong.", words(c.field))),
                (true, Some(n)) if office.register(n).is_none() => Some(format!(
                    "The meter on record has no register {n}. \
                     To report a missing register, correct the register count."
                )),
                (false, Some(_)) => Some(format!(
                    "The {} belongs to the meter, not to a register: leave the register empty.",
                    words(c.field)
                )),
                _ => None,
            };
            if let Some(problem) = register_problem {
                return Err(Refusal::new(id, at(i, "register"), problem));
            }
            if corrections[..i].iter().any(|p| p.field == c.field && p.register == c.register) {
                return Err(Refusal::new(id, at(i, "field"), "Each field only once, please."));
            }
        }
        Ok(())
    }
}

rule! {
    /// `cycle_read.correction_value`: each value is well formed for its field and differs from
    /// the record; each correction is flagged `meter_info_correction` with what the record says
    /// and what was found.
    CorrectionValue = "cycle_read.correction_value" on ["capture"], |id, input, out| {
        let Some(corrections) = corrections(input) else {
            return Ok(());
        };
        for (i, c) in corrections.iter().enumerate() {
            let value = c.value.trim();
            if let Err(problem) = well_formed(c.field, value) {
                return Err(Refusal::new(id, at(i, "value"), problem));
            }
            let recorded = recorded(&input.record.office, c);
            if recorded.as_deref().is_some_and(|r| same_value(c.field, r, value)) {
                return Err(Refusal::new(
                    id,
                    at(i, "value"),
                    format!("The record already says {value} for the {}: only report what differs.", words(c.field)),
                ));
            }
            // Free text stays in the entry only: a flag carries a short explanation.
            let detail = if c.field.is_text() {
                format!("{}: differs from the record", c.field.as_str())
            } else {
                format!("{}: {} on record, {value} found", c.field.as_str(), recorded.as_deref().unwrap_or("nothing"))
            };
            out.flags.push(Flag {
                register: c.register,
                detail: Some(detail),
                ..Flag::new(METER_INFO_CORRECTION)
            });
        }
        Ok(())
    }
}

rule! {
    /// `cycle_read.correction_photo`: a serial correction needs a photo of the badge (the
    /// office changes which meter the account is billed on only with evidence).
    CorrectionPhoto = "cycle_read.correction_photo" on ["capture"], |id, input, _out| {
        let FieldAction::Capture { capture: Capture::MeterCorrection { corrections }, photos, .. } = input.action else {
            return Ok(());
        };
        if photos.is_empty() && corrections.iter().any(|c| c.field == MeterField::Serial) {
            return Err(Refusal::new(id, "photos", "Take a photo of the meter's badge to correct its serial.").needing(Need::Photo));
        }
        Ok(())
    }
}

impl FieldCorrection {
    /// What the order's record (`office`) says of the corrected field, `None` when it says
    /// nothing: the "on record" value the crew's correction was checked against.
    pub fn on_record(&self, office: &OfficeData) -> Option<String> {
        recorded(office, self)
    }
}

impl MeterField {
    /// Whether two values of this field say the same: serials and sizes without case or
    /// spaces, text without surrounding spaces, numbers by value.
    pub fn same_value(self, a: &str, b: &str) -> bool {
        same_value(self, a, b.trim())
    }
}

/// The field in the crew's words.
fn words(field: MeterField) -> String {
    field.as_str().replace('_', " ")
}

/// Whether `value` (trimmed) is a value `field` can take; the problem in words otherwise.
fn well_formed(field: MeterField, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("Key the {} you found.", words(field)));
    }
    let number = |low: u32, high: u32| -> Result<(), String> {
        match value.parse::<u32>() {
            Ok(n) if (low..=high).contains(&n) => Ok(()),
            _ => Err(format!(
                "The {} is a whole number from {low} to {high}.",
                words(field)
            )),
        }
    };
    match field {
        MeterField::Serial => {
            if value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                Ok(())
            } else {
                Err("A serial is letters, digits and dashes, as on the badge.".into())
            }
        }
        MeterField::Size => {
            if value.chars().any(char::is_control) || value.chars().count() > 16 {
                Err(
                    "Key the size as marked on the meter (5/8\", 1\", 2\"), at most 16 characters."
                        .into(),
                )
            } else {
                Ok(())
            }
        }
        MeterField::Location | MeterField::AccessNotes => Ok(()),
        MeterField::RegisterCount => number(1, MAX_REGISTERS),
        MeterField::DialsLeft => number(1, MAX_DIALS_LEFT),
        MeterField::DialsRight => number(0, MAX_DIALS_RIGHT),
        MeterField::Multiplier => number(1, MAX_MULTIPLIER),
    }
}

/// What the order's record says of the corrected field (`None` when it says nothing).
fn recorded(office: &OfficeData, c: &FieldCorrection) -> Option<String> {
    let meter: Option<&MeterSnapshot> = office.meter.as_ref();
    let register = c.register.and_then(|n| office.register(n));
    match c.field {
        MeterField::Serial => meter.map(|m| m.serial.clone()),
        MeterField::Size => meter.map(|m| m.size.clone()),
        MeterField::Location => meter.and_then(|m| m.location_code.clone()),
        MeterField::AccessNotes => office.premise.as_ref().and_then(|p| p.access_notes.clone()),
        MeterField::RegisterCount => meter.map(|m| m.registers.len().to_string()),
        MeterField::DialsLeft => register.map(|r| r.dials_left.to_string()),
        MeterField::DialsRight => register.map(|r| r.dials_right.to_string()),
        MeterField::Multiplier => register.map(|r| r.multiplier.to_string()),
    }
}

/// The found value is what the record says: serials and sizes without case or spaces, text
/// without surrounding spaces, numbers by value.
fn same_value(field: MeterField, recorded: &str, found: &str) -> bool {
    match field {
        MeterField::Serial => same_serial(recorded, found),
        MeterField::Size => {
            let squeeze = |s: &str| {
                s.split_whitespace()
                    .collect::<String>()
                    .to_ascii_lowercase()
            };
            squeeze(recorded) == squeeze(found)
        }
        MeterField::Location | MeterField::AccessNotes => recorded.trim() == found,
        MeterField::RegisterCount
        | MeterField::DialsLeft
        | MeterField::DialsRight
        | MeterField::Multiplier => {
            recorded.trim().parse::<u32>().ok() == found.parse::<u32>().ok()
        }
    }
}
