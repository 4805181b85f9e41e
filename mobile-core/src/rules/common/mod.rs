//! Checks every order type shares (DOMAIN.md "Checks every order shares"): who may act, what
//! the order's lifecycle allows, the shared code lists, and the plausibility flags.

mod codes;
mod lifecycle;
mod plausibility;

pub use plausibility::receipt_time_flag;

use super::Rule;

/// The common rules, in the order they run: who, then lifecycle, then codes, then flags.
pub(super) static RULES: &[&dyn Rule] = &[
    &lifecycle::NotAssignee,
    &lifecycle::OrderClosed,
    &lifecycle::Sequence,
    &lifecycle::StartedBeforeComplete,
    &lifecycle::CompletionTime,
    &crate::rules::steps::Step,
    &codes::NotDoneReason,
    &codes::CompletionCode,
    &plausibility::DeviceTime,
    &plausibility::OffSite,
];
