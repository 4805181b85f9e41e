//! Cycle-read rules 3, 4 and 7 for readings: outside the limits needs a matching blind re-key
//! and (by policy) a photo; the accepted outcome records value, consumption, billed quantity
//! and validation, and flags every register that is out of range, negative, rolled over or zero.
//! No message or flag ever carries a limit the policy hides.

use super::analysis::{Band, Movement, RegisterRead, readings};
use crate::action::FieldAction;
use crate::model::AccountStatus;
use crate::outcome::{Assessment, Flag, Need, Refusal, Validation};
use crate::rules::display::limits_in_messages;
use crate::rules::{Input, Rule};

/// `cycle_read.limits`: a reading outside the limits is re-keyed blind before it is accepted.
pub(super) struct Limits;

impl Rule for Limits {
    fn id(&self) -> &'static str {
        "cycle_read.limits"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["reading"]
    }

    fn check(&self, input: &Input<'_>, _out: &mut Assessment) -> Result<(), Refusal> {
        match readings(input)?
            .iter()
            .find(|r| r.out_of_range() && !r.confirmed())
        {
            Some(read) => Err(Refusal::new(
                self.id(),
                read.field("confirmation"),
                format!(
                    "Register {} reads {}. Re-key the reading without looking at the first entry.",
                    read.register.number,
                    describe_range(input, read)
                ),
            )
            .needing(Need::BlindConfirmation)),
            None => Ok(()),
        }
    }
}

/// `cycle_read.out_of_range_photo`: a reading outside the limits needs a photo of the register
/// when the policy says so.
pub(super) struct OutOfRangePhoto;

impl Rule for OutOfRangePhoto {
    fn id(&self) -> &'static str {
        "cycle_read.out_of_range_photo"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["reading"]
    }

    fn check(&self, input: &Input<'_>, _out: &mut Assessment) -> Result<(), Refusal> {
        let FieldAction::Reading { photos, .. } = input.action else {
            return Ok(());
        };
        if !input.reference.policy.photo_for_out_of_range || !photos.is_empty() {
            return Ok(());
        }
        match readings(input)?.iter().find(|r| r.out_of_range()) {
            Some(read) => Err(Refusal::new(
                self.id(),
                "photos",
                format!(
                    "Register {} reads {}. Take a photo of the register.",
                    read.register.number,
                    describe_range(input, read)
                ),
            )
            .needing(Need::Photo)),
            None => Ok(()),
        }
    }
}

/// `cycle_read.outcome`: never refuses; records each register's outcome and its flags.
pub(super) struct Outcome;

impl Rule for Outcome {
    fn id(&self) -> &'static str {
        "cycle_read.outcome"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["reading"]
    }

    fn check(&self, input: &Input<'_>, out: &mut Assessment) -> Result<(), Refusal> {
        let active = input
            .record
            .office
            .account
            .as_ref()
            .is_some_and(|a| a.status == AccountStatus::Active);
        for read in readings(input)? {
            let outcome = read.outcome();
            let code = match outcome.validation {
                Validation::High => Some("high_read"),
                Validation::VeryHigh => Some("very_high_read"),
                Validation::Low => Some("low_read"),
                Validation::VeryLow => Some("very_low_read"),
                Validation::Negative => Some("negative_read"),
                Validation::Zero if active => Some("zero_read"),
                _ => None,
            };
            let number = read.register.number;
            if let Some(code) = code {
                out.flags
                    .push(reading_flag(code, number, outcome.validation));
            }
            if read.movement == Movement::Rollover {
                out.flags
                    .push(reading_flag("rollover_read", number, Validation::Rollover));
            }
            out.readings.push(outcome);
        }
        Ok(())
    }
}

fn reading_flag(code: &str, register: u32, validation: Validation) -> Flag {
    Flag {
        code: code.to_string(),
        register: Some(register),
        detail: Some(format!("register {register}: {}", validation.as_str())),
    }
}

/// "outside the expected range", with direction and limits only when the policy shows limits to
/// everyone (the engine does not know whether the user is a reader).
fn describe_range(input: &Input<'_>, read: &RegisterRead<'_>) -> String {
    if !limits_in_messages(&input.reference.policy) {
        return "outside the expected range".to_string();
    }
    let direction = match read.band {
        Band::High | Band::VeryHigh => "higher than",
        _ => "lower than",
    };
    let register = read.register;
    match (register.low_limit, register.high_limit) {
        (Some(low), Some(high)) => format!("{direction} the expected range ({low} to {high})"),
        _ => format!("{direction} expected"),
    }
}
