//! The cycle-read rules of DOMAIN.md ("Cycle read", rules 1–8), one small rule per concern, in
//! the order they run: what the crew must fix first comes first (the register and dials, then a
//! re-key, then a photo, then a note). The reader's other captures on a route (endpoint flags,
//! meter-record corrections, meters found) have their own rules after the reading's.

mod analysis;
mod codes;
mod completion;
mod consumption;
mod correction;
mod dials;
mod endpoint;
mod fixed;
mod found;
mod limits;
mod skip;

pub(super) use fixed::parse as parse_keyed;

use super::{Input, Rule};
use crate::action::{FieldAction, ReadingInput};
use crate::outcome::{Assessment, Refusal};

/// The cycle-read rules, in the order they run.
pub(super) static RULES: &[&dyn Rule] = &[
    // Rule 1: the reading is of a register, in its dials, below full scale.
    &dials::RegisterKnown,
    &dials::FullScale,
    &dials::Dials,
    // A re-key, when given, matches (before anything asks for one).
    &consumption::RekeyMismatch,
    // Rule 2: negative (re-key, photo, note), rollover (re-key).
    &consumption::Negative,
    &consumption::Rollover,
    // Rule 4: out of range (re-key), rule 5: zero on an active account (re-key).
    &limits::Limits,
    &consumption::ZeroConsumption,
    // Rule 7: photos for out-of-range readings.
    &limits::OutOfRangePhoto,
    // Rule 8: codes with the reading.
    &codes::ReaderCodes,
    &codes::TroubleCode,
    // Accepted: rule 5's unauthorized use, rule 3's billed quantity, outcomes and flags.
    &consumption::UnauthorizedUse,
    &limits::Outcome,
    // What the reader saw beside the reading: the endpoint, the record, another meter.
    &endpoint::EndpointFlags,
    &correction::CorrectionField,
    &correction::CorrectionValue,
    &correction::CorrectionPhoto,
    &found::MeterFound,
    // Rules 6 and 7 for skips.
    &skip::SkipCode,
    &skip::SkipPhoto,
    &skip::SkipNote,
    // Rule 6 at completion.
    &completion::ReadingOrSkip,
];

/// The reading rules other order types share (rules 1, 2, 4, 7 and the codes): a reading on a
/// turn-on, a disconnect or an exchange is keyed and checked exactly like a route read.
pub(super) static READING: &[&dyn Rule] = &[
    &dials::RegisterKnown,
    &dials::FullScale,
    &dials::Dials,
    &consumption::RekeyMismatch,
    &consumption::Negative,
    &consumption::Rollover,
    &limits::Limits,
    &limits::OutOfRangePhoto,
    &codes::ReaderCodes,
    &codes::TroubleCode,
    &limits::Outcome,
];

/// How one reading of a `Reading` action moved from the register's previous read.
pub(super) struct ReadFacts {
    /// Position in the action's readings.
    pub index: usize,
    /// Register number.
    pub register: u32,
    /// Below the previous read and not a rollover.
    pub negative: bool,
    /// Consumption since the previous read, in units of 10^-dials_right.
    pub consumption: Option<i128>,
}

/// The movement of every reading of the action (none for other actions).
pub(super) fn read_facts(input: &Input<'_>) -> Result<Vec<ReadFacts>, Refusal> {
    Ok(analysis::readings(input)?
        .iter()
        .map(|r| ReadFacts {
            index: r.index,
            register: r.register.number,
            negative: r.movement == analysis::Movement::Negative,
            consumption: r.consumption,
        })
        .collect())
}

/// Runs the shared reading rules on readings carried inside another action (an exchange's old
/// meter); a refusal's field is prefixed with `prefix` (`old.`).
pub(super) fn check_embedded(
    input: &Input<'_>,
    readings: &[ReadingInput],
    prefix: &str,
    out: &mut Assessment,
) -> Result<(), Refusal> {
    let action = FieldAction::Reading {
        readings: readings.to_vec(),
        reader_codes: Vec::new(),
        trouble_code: None,
        note: None,
        photos: input.action.photos().into_iter().cloned().collect(),
    };
    let embedded = Input {
        action: &action,
        ..*input
    };
    for rule in READING {
        rule.check(&embedded, out).map_err(|mut refusal| {
            refusal.field = format!("{prefix}{}", refusal.field);
            refusal
        })?;
    }
    Ok(())
}
