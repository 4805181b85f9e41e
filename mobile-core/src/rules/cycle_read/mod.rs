//! The cycle-read rules of DOMAIN.md ("Cycle read", rules 1–8), one small rule per concern, in
//! the order they run: what the crew must fix first comes first (the register and dials, then a
//! re-key, then a photo, then a note).

mod analysis;
mod codes;
mod completion;
mod consumption;
mod dials;
mod fixed;
mod limits;
mod skip;

use super::Rule;

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
    // Rules 6 and 7 for skips.
    &skip::SkipCode,
    &skip::SkipPhoto,
    &skip::SkipNote,
    // Rule 6 at completion.
    &completion::ReadingOrSkip,
];
