//! Disconnect for non-payment, passing and refusing: eligibility against the account snapshot
//! the device holds (freshness, balance, notice, holds, plan, moratorium), allowed hours, the
//! medical claim on site, the seal rules and what each outcome needs.

use crate::fixtures::*;
use crate::table::*;
use fieldline_core::*;

const HOUR: i64 = 3_600_000;

fn cut() -> FieldAction {
    valve(ValvePosition::Off, Some(DisconnectPoint::CurbStop))
}

fn full_cut() -> Vec<FieldAction> {
    vec![
        verified(),
        read("1050", 1),
        cut(),
        cap_photo(
            Capture::SealInstalled {
                number: "FL004521".into(),
            },
            PhotoKind::Lock,
        ),
        customer(false, false, true),
    ]
}

fn account(o: &mut OfficeData) -> &mut AccountSnapshot {
    o.account.as_mut().expect("fixture has an account")
}

#[rustfmt::skip]
#[test]
fn disconnect_rules_table() {
    let without = |skip: usize| {
        let mut steps = full_cut();
        steps.remove(skip);
        steps
    };
    run(OrderType::Disconnect, vec![
        // Eligibility, on every step of the cut.
        row("eligible cut", cut(), Accepted(&[])),
        row("stale snapshot: sync or call in", cut(), Refused("disconnect.snapshot_fresh", "account.as_of"))
            .office(|o| account(o).as_of = Timestamp(CREATED.0 - 13 * HOUR)),
        row("no account on the order", cut(), Refused("disconnect.snapshot_fresh", "account")).office(|o| o.account = None),
        row("balance under the threshold", cut(), Refused("disconnect.balance", "account.past_due_cents"))
            .office(|o| account(o).past_due_cents = 4_999),
        row("balance at the threshold", cut(), Accepted(&[])).office(|o| account(o).past_due_cents = 5_000),
        row("no notice served", cut(), Refused("disconnect.notice", "account.notice_served_at"))
            .office(|o| account(o).notice_served_at = None),
        row("notice served too recently", cut(), Refused("disconnect.notice", "account.notice_served_at"))
            .office(|o| account(o).notice_served_at = Some(Timestamp(CREATED.0 - 9 * Timestamp::DAY_MS))),
        row("medical hold", cut(), Refused("disconnect.hold", "account.medical_hold")).office(|o| account(o).medical_hold = true),
        row("life support", cut(), Refused("disconnect.hold", "account.medical_hold")).office(|o| account(o).life_support = true),
        row("payment plan", cut(), Refused("disconnect.payment_plan", "account.payment_plan")).office(|o| account(o).payment_plan = true),
        row("moratorium in the area", cut(), Refused("disconnect.moratorium", "service_area"))
            .reference(|r| r.policy.disconnect.moratorium_areas = vec!["NORTH".into()]),
        row("moratorium elsewhere", cut(), Accepted(&[]))
            .reference(|r| r.policy.disconnect.moratorium_areas = vec!["south".into()]),
        row("after the cutoff hour", cut(), Refused("disconnect.allowed_hours", "device_time")).at(7 * HOUR),
        row("before the start hour", cut(), Refused("disconnect.allowed_hours", "device_time")).at(-HOUR),
        row("on a Saturday", cut(), Refused("disconnect.allowed_hours", "device_time")).at(5 * Timestamp::DAY_MS)
            .office(|o| account(o).as_of = Timestamp(CREATED.0 + 5 * Timestamp::DAY_MS)),
        row("on a holiday", cut(), Refused("disconnect.allowed_hours", "device_time"))
            .reference(|r| r.policy.disconnect.holidays = vec!["2026-09-21".into()]),
        row("after cutoff with a same-day reconnect crew", cut(), Accepted(&[])).at(7 * HOUR)
            .reference(|r| r.policy.disconnect.same_day_reconnect = true),
        row("steps that are not a cut need no eligibility", verified(), Accepted(&[])).office(|o| account(o).payment_plan = true),
        row("a seal is a step of the cut", seal_on("FL004521"), Refused("disconnect.payment_plan", "account.payment_plan"))
            .office(|o| account(o).payment_plan = true),
        // The site.
        row("shut off without a point", valve(ValvePosition::Off, None), Refused("disconnect.point", "capture.point")),
        row("medical claim on site", cap(Capture::MedicalClaim { claimant: Some("resident".into()) }), Accepted(&[])),
        row("no cut after a medical claim", cut(), Refused("disconnect.medical_claim", "action"))
            .after(vec![cap(Capture::MedicalClaim { claimant: None })]),
        // Seals.
        row("seal in format", seal_on("fl004521"), Accepted(&[])),
        row("seal with wrong prefix", seal_on("XX004521"), Refused("seal.format", "capture.number")),
        row("seal with too few digits", seal_on("FL4521"), Refused("seal.format", "capture.number")),
        row("seal the office lists as used", seal_on("FL004521"), Refused("seal.unique", "capture.number"))
            .office(|o| o.details.used_seals = vec!["fl004521".into()]),
        row("seal already on this order", seal_on("FL004521"), Refused("seal.unique", "capture.number")).after(vec![seal_on("FL004521")]),
        // Outcomes.
        row("locked with every step", complete(Some("locked")), Accepted(&[])).after(full_cut()),
        row("locked, lock photo at completion", complete_photo(Some("locked"), PhotoKind::Lock), Accepted(&[]))
            .after(vec![verified(), read("1050", 1), cut(), seal_on("FL004521"), customer(false, false, true)]),
        row("locked without a lock photo", complete(Some("locked")), Refused("disconnect.outcome", "photos"))
            .after(vec![verified(), read("1050", 1), cut(), seal_on("FL004521"), customer(false, false, true)]),
        row("locked without verifying", complete(Some("locked")), Refused("disconnect.outcome", "meter_verified")).after(without(0)),
        row("locked without reading", complete(Some("locked")), Refused("disconnect.outcome", "readings")).after(without(1)),
        row("locked without valve off", complete(Some("locked")), Refused("disconnect.outcome", "valve")).after(without(2)),
        row("locked without a seal", complete(Some("locked")), Refused("disconnect.outcome", "seal_installed")).after(without(3)),
        row("locked without customer contact", complete(Some("locked")), Refused("disconnect.outcome", "customer")).after(without(4)),
        row("locked after the cutoff", complete(Some("locked")), Refused("disconnect.allowed_hours", "device_time")).after(full_cut()).at(7 * HOUR),
        row("held for a medical claim", complete(Some("held_medical")), Accepted(&["held_medical"]))
            .after(vec![cap(Capture::MedicalClaim { claimant: None })]),
        row("held without a medical claim", complete(Some("held_medical")), Refused("disconnect.outcome", "medical_claim")),
        row("no outcome code", complete(None), Refused("disconnect.outcome", "code")).after(full_cut()),
        row("customer paid on site", FieldAction::NotDone { reason: "customer_paid".into(), note: None }, Accepted(&[])),
    ]);
}
