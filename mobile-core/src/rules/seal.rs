//! Seal and lock rules: a seal put on has the utility's number format and is not already used;
//! a seal found (reconnect, inspection) or removed (turn-on) must be the one recorded when
//! service was shut off, and a broken, missing or different seal flags `tamper` and proposes an
//! inspection.

use crate::action::FieldAction;
use crate::capture::{Capture, SealCondition};
use crate::outcome::{Flag, FollowUpKind, FollowUpProposal, Refusal};
use crate::rules::{Input, Rule};

/// Flag: a seal was broken, missing or not the recorded one.
pub(crate) const TAMPER: &str = "tamper";
/// Flag: the seal's number is not the one recorded.
pub(crate) const SEAL_MISMATCH: &str = "seal_mismatch";

rule! {
    /// `seal.format`: a seal put on has the policy's prefix and digit count.
    Format = "seal.format" on ["capture"], |id, input, _out| {
        let Some(Capture::SealInstalled { number }) = input.action.capture() else {
            return Ok(());
        };
        let format = &input.reference.policy.seal_format;
        if format.normalize(number).is_some() {
            return Ok(());
        }
        Err(Refusal::new(
            id,
            "capture.number",
            format!(
                "Seal numbers look like {} ({} then {} digits). Check the number on the seal.",
                format.example(),
                format.prefix,
                format.digits
            ),
        ))
    }
}

rule! {
    /// `seal.unique`: a seal put on is not one the device knows as used: one the office listed
    /// when it dispatched, or one already recorded on this order.
    ///
    /// The device only knows the seals it has seen: a seal another crew used meanwhile passes
    /// here, and the server raises that as an exception for the office instead of a refusal.
    Unique = "seal.unique" on ["capture"], |id, input, _out| {
        let Some(Capture::SealInstalled { number }) = input.action.capture() else {
            return Ok(());
        };
        let format = &input.reference.policy.seal_format;
        let Some(number) = format.normalize(number) else {
            return Ok(());
        };
        let canon = |n: &str| format.normalize(n).unwrap_or_else(|| n.trim().to_ascii_uppercase());
        let listed = input.record.office.details.used_seals.iter().any(|s| canon(s) == number);
        let on_this_order = input.record.field.iter().any(|e| {
            matches!(&e.action, FieldAction::Capture { capture: Capture::SealInstalled { number: n }, .. } if canon(n) == number)
        });
        if !listed && !on_this_order {
            return Ok(());
        }
        Err(Refusal::new(
            id,
            "capture.number",
            "This seal number is already in use. Use a new seal and key its number.",
        ))
    }
}

rule! {
    /// `seal.found`: the seal found must be intact and the recorded one; otherwise the capture
    /// is accepted, flagged `tamper` and proposes an inspection. An intact seal needs its number.
    Found = "seal.found" on ["capture"], |id, input, out| {
        let Some(Capture::SealFound { number, condition }) = input.action.capture() else {
            return Ok(());
        };
        let number = number.as_deref().map(str::trim).filter(|n| !n.is_empty());
        if *condition == SealCondition::Intact && number.is_none() {
            return Err(Refusal::new(id, "capture.number", "Key the number on the seal."));
        }
        let problem = match (condition, number) {
            (SealCondition::Broken, _) => Some("seal_broken"),
            (SealCondition::Missing, _) => Some("seal_missing"),
            (SealCondition::Intact, Some(n)) if !matches_recorded(input, n) => Some(SEAL_MISMATCH),
            _ => None,
        };
        if let Some(reason) = problem {
            tamper(out, reason);
        }
        Ok(())
    }
}

rule! {
    /// `seal.removed`: never refuses; a seal removed at turn-on that is not the recorded one is
    /// flagged `tamper` and proposes an inspection.
    Removed = "seal.removed" on ["capture"], |id, input, out| {
        let Some(Capture::SealRemoved { number }) = input.action.capture() else {
            return Ok(());
        };
        if number.trim().is_empty() {
            return Err(Refusal::new(id, "capture.number", "Key the number of the seal you removed."));
        }
        if !matches_recorded(input, number) {
            tamper(out, SEAL_MISMATCH);
        }
        Ok(())
    }
}

/// The number is the seal recorded when service was shut off (true when none was recorded).
fn matches_recorded(input: &Input<'_>, number: &str) -> bool {
    let Some(recorded) = input.record.office.details.recorded_seal.as_deref() else {
        return true;
    };
    let format = &input.reference.policy.seal_format;
    let canon = |n: &str| {
        format
            .normalize(n)
            .unwrap_or_else(|| n.trim().to_ascii_uppercase())
    };
    canon(recorded) == canon(number)
}

fn tamper(out: &mut crate::outcome::Assessment, reason: &str) {
    out.flags.push(Flag {
        detail: Some(reason.replace('_', " ")),
        ..Flag::new(TAMPER)
    });
    if reason == SEAL_MISMATCH {
        out.flags.push(Flag::new(SEAL_MISMATCH));
    }
    out.follow_ups
        .push(FollowUpProposal::new(FollowUpKind::Inspection, reason));
}

/// The seal rules, in the order they run.
pub(super) static RULES: &[&dyn Rule] = &[&Format, &Unique, &Found, &Removed];
