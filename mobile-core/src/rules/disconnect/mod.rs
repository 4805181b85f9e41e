//! Disconnect for non-payment: eligibility is checked again on the device before the cut,
//! against the account snapshot it holds (and refused when that snapshot is too old); a medical
//! claim on site holds the cut; completing as `locked` needs the cut's evidence.
//!
//! A "cut" is a valve-off, a seal put on, or completing as `locked`: each runs every
//! eligibility rule, so no step of the cut can be recorded on an ineligible account.

mod completion;
mod eligibility;
mod hours;

use crate::action::FieldAction;
use crate::capture::{Capture, ValvePosition};
use crate::rules::{Input, Rule};

/// Completion code of a cut service.
pub(crate) const LOCKED: &str = "locked";
/// Completion code of a disconnect held for a medical claim on site.
pub(crate) const HELD_MEDICAL: &str = "held_medical";

/// The action is a step of cutting service.
pub(crate) fn is_cut(input: &Input<'_>) -> bool {
    match input.action {
        FieldAction::Capture { capture, .. } => matches!(
            capture,
            Capture::Valve {
                position: ValvePosition::Off,
                ..
            } | Capture::SealInstalled { .. }
        ),
        FieldAction::Complete { code, .. } => code.as_deref() == Some(LOCKED),
        _ => false,
    }
}

/// The disconnect rules, in the order they run: the snapshot's freshness first (nothing else
/// can be judged on a stale one), then the account, the calendar, the site, the evidence.
pub(super) static RULES: &[&dyn Rule] = &[
    &eligibility::SnapshotFresh,
    &eligibility::Balance,
    &eligibility::Notice,
    &eligibility::Hold,
    &eligibility::PaymentPlan,
    &eligibility::Moratorium,
    &hours::AllowedHours,
    &completion::MedicalClaim,
    &completion::Point,
    &completion::Outcome,
];
