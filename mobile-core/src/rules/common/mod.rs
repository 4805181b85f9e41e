//! Checks every order type shares (DOMAIN.md "Checks every order shares"): who may act, what
//! the order's lifecycle allows, the shared code lists, and the plausibility flags.

mod codes;
mod lifecycle;
mod plausibility;
mod sizes;

pub use plausibility::receipt_time_flag;
pub use sizes::{MAX_ID_BYTES, MAX_ITEMS, MAX_PHOTOS};

use super::Rule;

/// The common rules, in the order they run: who, then lifecycle, then codes, then flags.
pub(super) static RULES: &[&dyn Rule] = &[
    &sizes::Size,
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
