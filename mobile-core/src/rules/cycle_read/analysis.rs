//! What one keyed reading means for its register: the exact value, how it moved from the previous
//! read (forward, rollover, negative), the consumption, where it falls in the policy's bands
//! (see [`crate::reference::Bands`]) and whether the blind re-key matches. Every cycle-read rule
//! judges from this one analysis, so they cannot disagree.

use super::dials::{parse_value, register_for};
use super::fixed::{self, pow10};
use crate::action::{FieldAction, ReadingInput};
use crate::model::Register;
use crate::outcome::{ReadingOutcome, Refusal, Validation};
use crate::reference::Policy;
use crate::rules::Input;

/// How the reading moved from the previous actual read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Movement {
    /// No previous read to compare with.
    NoPrevious,
    /// At or above the previous read.
    Forward,
    /// Below the previous read because the dials went past full scale.
    Rollover,
    /// Below the previous read, not a rollover.
    Negative,
}

/// Where the reading falls against the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Band {
    /// No limits to compare with (or a negative reading, which the bands do not judge).
    Unchecked,
    /// Inside the limits.
    InRange,
    /// Above the high band.
    High,
    /// Above the very-high band.
    VeryHigh,
    /// Below the low band.
    Low,
    /// Below the very-low band.
    VeryLow,
}

/// The blind re-key, compared with the first entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rekey {
    /// None given.
    Missing,
    /// Same reading as the first entry.
    Matches,
    /// A different (or unreadable) value.
    Differs,
}

/// One register's keyed reading, analysed.
#[derive(Debug, Clone)]
pub(super) struct RegisterRead<'a> {
    /// Position in the action's `readings`.
    pub index: usize,
    /// The register read.
    pub register: &'a Register,
    /// The reading, in units of 10^-dials_right.
    pub value: i128,
    /// How it moved from the previous read.
    pub movement: Movement,
    /// Consumption in units of 10^-dials_right, when there is a previous read.
    pub consumption: Option<i128>,
    /// Where it falls against the limits.
    pub band: Band,
    /// The blind re-key.
    pub rekey: Rekey,
}

impl RegisterRead<'_> {
    /// The refusal field path for one of this reading's inputs (`readings[0].value`).
    pub fn field(&self, name: &str) -> String {
        format!("readings[{}].{name}", self.index)
    }

    /// Outside the limits (any of the four bands).
    pub fn out_of_range(&self) -> bool {
        matches!(
            self.band,
            Band::High | Band::VeryHigh | Band::Low | Band::VeryLow
        )
    }

    /// A matching blind re-key was given.
    pub fn confirmed(&self) -> bool {
        self.rekey == Rekey::Matches
    }

    /// The validation class stored with the outcome: negative first, then an out-of-range band,
    /// then rollover, zero, unchecked (no limits), normal.
    pub fn validation(&self) -> Validation {
        match (self.movement, self.band) {
            (Movement::Negative, _) => Validation::Negative,
            (_, Band::High) => Validation::High,
            (_, Band::VeryHigh) => Validation::VeryHigh,
            (_, Band::Low) => Validation::Low,
            (_, Band::VeryLow) => Validation::VeryLow,
            (Movement::Rollover, _) => Validation::Rollover,
            _ if self.consumption == Some(0) => Validation::Zero,
            (_, Band::Unchecked) => Validation::Unchecked,
            _ => Validation::Normal,
        }
    }

    /// The outcome stored with the field entry.
    pub fn outcome(&self) -> ReadingOutcome {
        let right = self.register.dials_right;
        let billed = self
            .consumption
            .map(|c| fixed::to_f64(c * i128::from(self.register.multiplier), right));
        ReadingOutcome {
            register: self.register.number,
            value: fixed::to_f64(self.value, right),
            consumption: self.consumption.map(|c| fixed::to_f64(c, right)),
            billed,
            validation: self.validation(),
            confirmed: self.confirmed(),
        }
    }
}

/// Analyses every reading of a `Reading` action (none for other actions). Refuses, with the
/// register and dials rules' ids, a reading that is not a reading of one of the meter's registers.
pub(super) fn readings<'a>(input: &Input<'a>) -> Result<Vec<RegisterRead<'a>>, Refusal> {
    let FieldAction::Reading { readings, .. } = input.action else {
        return Ok(Vec::new());
    };
    readings
        .iter()
        .enumerate()
        .map(|(index, reading)| analyse(input, index, reading))
        .collect()
}

fn analyse<'a>(
    input: &Input<'a>,
    index: usize,
    reading: &'a ReadingInput,
) -> Result<RegisterRead<'a>, Refusal> {
    let register = register_for(input, index, reading)?;
    let value = parse_value(index, register, &reading.value)?;
    let policy = &input.reference.policy;
    let right = register.dials_right;
    let full = pow10(register.dials_left) * pow10(right);
    let previous = register
        .previous_read
        .and_then(|p| fixed::from_f64(p, right))
        .filter(|p| *p < full);

    let (movement, consumption) = match previous {
        None => (Movement::NoPrevious, None),
        Some(p) if value >= p => (Movement::Forward, Some(value - p)),
        Some(p) if is_rollover(policy, full, p, value) => {
            (Movement::Rollover, Some(full - p + value))
        }
        Some(p) => (Movement::Negative, Some(value - p)),
    };

    // A limit at or past full scale cannot be exceeded by the dials: clamp it (and keep every
    // product below far from overflow).
    let limit = |l: Option<f64>| {
        l.and_then(|l| fixed::from_f64(l, right))
            .map(|l| l.min(full))
    };
    let (low, high) = (limit(register.low_limit), limit(register.high_limit));
    let band = match (movement, previous, consumption) {
        (Movement::Negative, _, _) => Band::Unchecked,
        (_, Some(p), Some(c)) => {
            let window = |limit: i128| {
                // Billing wrapped a limit past full scale the way the dials roll over.
                if limit < p && is_rollover(policy, full, p, limit) {
                    limit + full - p
                } else {
                    limit - p
                }
            };
            consumption_band(policy, c, low.map(window), high.map(window))
        }
        _ => reading_band(value, low, high),
    };

    let rekey = match reading.confirmation.as_deref().map(str::trim) {
        None | Some("") => Rekey::Missing,
        Some(text) => match fixed::parse(text, register.dials_left, right) {
            Ok(again) if again == value => Rekey::Matches,
            _ => Rekey::Differs,
        },
    };

    Ok(RegisterRead {
        index,
        register,
        value,
        movement,
        consumption,
        band,
        rekey,
    })
}

/// The previous read is in the top `previous_top_pct` percent of full scale.
fn in_top_zone(policy: &Policy, full: i128, previous: i128) -> bool {
    let top = i128::from(policy.rollover.previous_top_pct.min(100));
    previous * 100 >= full * (100 - top)
}

/// A drop from `previous` to `current` is the dials passing full scale.
fn is_rollover(policy: &Policy, full: i128, previous: i128, current: i128) -> bool {
    let small = i128::from(policy.rollover.current_max_pct.min(100));
    in_top_zone(policy, full, previous) && current * 100 < full * small
}

/// Classifies a consumption against the expected window `[low_c, high_c]` (consumption units)
/// with the policy's percentage bands, exactly.
fn consumption_band(policy: &Policy, c: i128, low_c: Option<i128>, high_c: Option<i128>) -> Band {
    if low_c.is_none() && high_c.is_none() {
        return Band::Unchecked;
    }
    let bands = &policy.bands;
    // Percentages above 10,000 (100×) add nothing and could overflow.
    let pct = |p: u32| i128::from(p.min(10_000));
    if let Some(h) = high_c {
        if c * 100 > h * (100 + pct(bands.very_high_pct)) {
            return Band::VeryHigh;
        }
        if c * 100 > h * (100 + pct(bands.high_pct)) {
            return Band::High;
        }
    }
    if let Some(l) = low_c {
        if c * 100 < l * (100 - pct(bands.very_low_pct.min(100))) {
            return Band::VeryLow;
        }
        if c * 100 < l * (100 - pct(bands.low_pct.min(100))) {
            return Band::Low;
        }
    }
    Band::InRange
}

/// Without a previous read there is no consumption: the reading itself is compared with the
/// limits (which are readings), and can only be high or low.
fn reading_band(value: i128, low: Option<i128>, high: Option<i128>) -> Band {
    match (low, high) {
        (None, None) => Band::Unchecked,
        (_, Some(h)) if value > h => Band::High,
        (Some(l), _) if value < l => Band::Low,
        _ => Band::InRange,
    }
}
