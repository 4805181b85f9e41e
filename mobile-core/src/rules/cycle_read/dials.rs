//! Cycle-read rule 1: a reading is of a register the meter has, keyed with only digits and one
//! decimal point, no more digits than the register has dials on each side, below full scale.

use super::fixed::{self, MAX_DIALS, ParseError};
use crate::action::{FieldAction, ReadingInput};
use crate::model::Register;
use crate::outcome::{Assessment, Refusal};
use crate::rules::{Input, Rule};
use std::collections::HashSet;

const REGISTER: &str = "cycle_read.register";
const FULL_SCALE: &str = "cycle_read.full_scale";
const DIALS: &str = "cycle_read.dials";

/// `cycle_read.register`: at least one reading, each of a register of the order's meter (set up
/// with sensible dials), each register once.
pub(super) struct RegisterKnown;

impl Rule for RegisterKnown {
    fn id(&self) -> &'static str {
        REGISTER
    }

    fn actions(&self) -> &'static [&'static str] {
        &["reading"]
    }

    fn check(&self, input: &Input<'_>, _out: &mut Assessment) -> Result<(), Refusal> {
        let FieldAction::Reading { readings, .. } = input.action else {
            return Ok(());
        };
        if readings.is_empty() {
            return Err(Refusal::new(
                REGISTER,
                "readings",
                "Enter a reading for at least one register.",
            ));
        }
        let mut seen = HashSet::new();
        for (index, reading) in readings.iter().enumerate() {
            register_for(input, index, reading)?;
            if !seen.insert(reading.register) {
                return Err(Refusal::new(
                    REGISTER,
                    format!("readings[{index}].register"),
                    format!(
                        "Register {} is entered twice; keep one reading per register.",
                        reading.register
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// `cycle_read.full_scale`: the reading is below full scale (10^dials_left).
pub(super) struct FullScale;

impl Rule for FullScale {
    fn id(&self) -> &'static str {
        FULL_SCALE
    }

    fn actions(&self) -> &'static [&'static str] {
        &["reading"]
    }

    fn check(&self, input: &Input<'_>, _out: &mut Assessment) -> Result<(), Refusal> {
        each_parse_error(input, |e| e == ParseError::FullScale)
    }
}

/// `cycle_read.dials`: only digits and one decimal point, within the dials on each side.
pub(super) struct Dials;

impl Rule for Dials {
    fn id(&self) -> &'static str {
        DIALS
    }

    fn actions(&self) -> &'static [&'static str] {
        &["reading"]
    }

    fn check(&self, input: &Input<'_>, _out: &mut Assessment) -> Result<(), Refusal> {
        each_parse_error(input, |e| e != ParseError::FullScale)
    }
}

/// Refuses the first reading whose value fails to parse with an error `mine` selects.
fn each_parse_error(input: &Input<'_>, mine: impl Fn(ParseError) -> bool) -> Result<(), Refusal> {
    let FieldAction::Reading { readings, .. } = input.action else {
        return Ok(());
    };
    for (index, reading) in readings.iter().enumerate() {
        let register = register_for(input, index, reading)?;
        if let Err(e) = fixed::parse(&reading.value, register.dials_left, register.dials_right)
            && mine(e)
        {
            return Err(parse_refusal(index, register, e));
        }
    }
    Ok(())
}

/// The meter's register a reading is for, or the `cycle_read.register` refusal.
pub(super) fn register_for<'a>(
    input: &Input<'a>,
    index: usize,
    reading: &ReadingInput,
) -> Result<&'a Register, Refusal> {
    let field = format!("readings[{index}].register");
    let Some(register) = input.record.office.register(reading.register) else {
        return Err(Refusal::new(
            REGISTER,
            field,
            format!(
                "This meter has no register {}. Check the register number.",
                reading.register
            ),
        ));
    };
    if register.dials_left == 0 || register.dials_left + register.dials_right > MAX_DIALS {
        return Err(Refusal::new(
            REGISTER,
            field,
            format!(
                "Register {} is set up wrong in the office records; skip it and call the office.",
                register.number
            ),
        ));
    }
    Ok(register)
}

/// A reading's value parsed, or the dials / full-scale refusal.
pub(super) fn parse_value(index: usize, register: &Register, value: &str) -> Result<i128, Refusal> {
    fixed::parse(value, register.dials_left, register.dials_right)
        .map_err(|e| parse_refusal(index, register, e))
}

fn parse_refusal(index: usize, register: &Register, error: ParseError) -> Refusal {
    let field = format!("readings[{index}].value");
    let n = register.number;
    let (left, right) = (register.dials_left, register.dials_right);
    match error {
        ParseError::FullScale => Refusal::new(
            FULL_SCALE,
            field,
            format!(
                "Register {n} shows at most {left} digits before the decimal point; the reading \
                 must be below {}.",
                fixed::pow10(left)
            ),
        ),
        ParseError::Empty => {
            Refusal::new(DIALS, field, format!("Enter the reading of register {n}."))
        }
        ParseError::NotDigits => Refusal::new(
            DIALS,
            field,
            "Key only digits and at most one decimal point.",
        ),
        ParseError::TooManyLeft => Refusal::new(
            DIALS,
            field,
            format!(
                "Register {n} has {left} dials before the decimal point; key at most {left} \
                 digits there."
            ),
        ),
        ParseError::TooManyRight if right == 0 => Refusal::new(
            DIALS,
            field,
            format!("Register {n} has no dials after the decimal point; key whole numbers only."),
        ),
        ParseError::TooManyRight => Refusal::new(
            DIALS,
            field,
            format!(
                "Register {n} has {right} dials after the decimal point; key at most {right} \
                 digits there."
            ),
        ),
    }
}
