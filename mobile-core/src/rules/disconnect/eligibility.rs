//! Disconnect eligibility against the account snapshot the device holds: fresh enough, past due
//! over the threshold, notice served long enough ago, no medical or life-support hold, no
//! payment plan, no weather moratorium for the area.
//!
//! Each rule judges what the device had seen. A payment posted, a hold or a moratorium declared
//! after the device's snapshot is not a refusal of the crew's work: the server compares with
//! its own account state when the cut merges and raises an exception for the office.

use super::is_cut;
use crate::model::{AccountSnapshot, Timestamp};
use crate::outcome::Refusal;
use crate::rules::Input;

/// The account snapshot, or the refusal for an order that lacks one.
fn account<'a>(id: &str, input: &Input<'a>) -> Result<&'a AccountSnapshot, Refusal> {
    input.record.office.account.as_ref().ok_or_else(|| {
        Refusal::new(
            id,
            "account",
            "This order carries no account information. Sync or call in before cutting.",
        )
    })
}

rule! {
    /// `disconnect.snapshot_fresh`: the account snapshot is no older than the policy allows.
    SnapshotFresh = "disconnect.snapshot_fresh" on ["capture", "complete"], |id, input, _out| {
        if !is_cut(input) {
            return Ok(());
        }
        let account = account(id, input)?;
        let max_age = input.reference.policy.disconnect.snapshot_max_age_ms.max(0);
        if input.context.device_time.0.saturating_sub(account.as_of.0) <= max_age {
            return Ok(());
        }
        Err(Refusal::new(
            id,
            "account.as_of",
            "The account information on this handheld is too old to cut service. Sync, or call \
             the office, before cutting.",
        ))
    }
}

rule! {
    /// `disconnect.balance`: the past-due balance is over the policy's threshold.
    Balance = "disconnect.balance" on ["capture", "complete"], |id, input, _out| {
        if !is_cut(input) {
            return Ok(());
        }
        let account = account(id, input)?;
        if account.past_due_cents >= input.reference.policy.disconnect.min_past_due_cents {
            return Ok(());
        }
        Err(Refusal::new(
            id,
            "account.past_due_cents",
            "The past-due balance is under the disconnect threshold. Do not cut; complete as \
             not done and call the office.",
        ))
    }
}

rule! {
    /// `disconnect.notice`: a notice was served at least the policy's days before the cut.
    Notice = "disconnect.notice" on ["capture", "complete"], |id, input, _out| {
        if !is_cut(input) {
            return Ok(());
        }
        let account = account(id, input)?;
        let days = i64::from(input.reference.policy.disconnect.notice_days);
        let served_long_enough = account.notice_served_at.is_some_and(|served| {
            input.context.device_time.0.saturating_sub(served.0) >= days * Timestamp::DAY_MS
        });
        if served_long_enough {
            return Ok(());
        }
        Err(Refusal::new(
            id,
            "account.notice_served_at",
            format!("No disconnect notice was served at least {days} days ago. Do not cut."),
        ))
    }
}

rule! {
    /// `disconnect.hold`: no medical certificate or life-support hold on the account.
    Hold = "disconnect.hold" on ["capture", "complete"], |id, input, _out| {
        if !is_cut(input) {
            return Ok(());
        }
        let account = account(id, input)?;
        if !account.medical_hold && !account.life_support {
            return Ok(());
        }
        Err(Refusal::new(
            id,
            "account.medical_hold",
            "The account has a medical or life-support hold. Do not cut.",
        ))
    }
}

rule! {
    /// `disconnect.payment_plan`: the customer is not on a payment plan.
    PaymentPlan = "disconnect.payment_plan" on ["capture", "complete"], |id, input, _out| {
        if !is_cut(input) {
            return Ok(());
        }
        if !account(id, input)?.payment_plan {
            return Ok(());
        }
        Err(Refusal::new(
            id,
            "account.payment_plan",
            "The customer is on a payment plan. Do not cut.",
        ))
    }
}

rule! {
    /// `disconnect.moratorium`: the premise's service area is not under a weather moratorium.
    Moratorium = "disconnect.moratorium" on ["capture", "complete"], |id, input, _out| {
        if !is_cut(input) {
            return Ok(());
        }
        let areas = &input.reference.policy.disconnect.moratorium_areas;
        match input.record.office.details.service_area.as_deref() {
            Some(area) if areas.iter().any(|a| a.eq_ignore_ascii_case(area)) => Err(Refusal::new(
                id,
                "service_area",
                format!("Service area {area} is under a disconnect moratorium. Do not cut."),
            )),
            _ => Ok(()),
        }
    }
}
