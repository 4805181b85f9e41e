//! High-bill investigation rules, passing and refusing: the low-flow test's exact flow, the
//! findings and their follow-ups, and what completing needs.

use crate::fixtures::*;
use crate::table::*;
use fieldline_core::reference::ReferenceData;
use fieldline_core::*;

fn flow_test(v0: &str, v1: &str, minutes: i64) -> FieldAction {
    let t0 = Timestamp(CREATED.0 + 1_000);
    cap(Capture::LowFlowTest {
        register: 1,
        start: FlowSample {
            value: v0.into(),
            at: t0,
        },
        end: FlowSample {
            value: v1.into(),
            at: Timestamp(t0.0 + minutes * 60_000),
        },
    })
}

fn findings(
    visible_leak: LeakSide,
    recommendation: Recommendation,
    leak_indicator_moving: bool,
) -> FieldAction {
    cap(Capture::Investigation(Findings {
        leak_indicator_moving,
        house_valve: Some(HouseValveResult::IndicatorStopped),
        dye_test_leak: Some(false),
        irrigation: false,
        visible_leak,
        meter_condition: MeterCondition::Good,
        advice: Some("check the toilet flapper".into()),
        recommendation,
    }))
}

#[rustfmt::skip]
#[test]
fn high_bill_rules_table() {
    run(OrderType::HighBillInvestigation, vec![
        row("low-flow test with flow", flow_test("1050", "1052", 10), Accepted(&["low_flow"])),
        row("low-flow test, no flow", flow_test("1050", "1050", 10), Accepted(&[])),
        row("low-flow test going backwards", flow_test("1052", "1050", 10), Refused("high_bill.low_flow", "capture.end.value")),
        row("low-flow test with no time between", flow_test("1050", "1051", 0), Refused("high_bill.low_flow", "capture.end.at")),
        row("low-flow test keyed past the dials", flow_test("1050", "1050.5", 10), Refused("high_bill.low_flow", "capture.end.value")),
        row("nothing found", findings(LeakSide::None, Recommendation::None, false), Accepted(&[])).follow_ups(&[]),
        row("inside leak indicator", findings(LeakSide::Customer, Recommendation::AdjustmentReview, true), Accepted(&["leak", "adjustment_review"])).follow_ups(&[]),
        row("utility-side leak proposes a repair", findings(LeakSide::Utility, Recommendation::UtilityRepair, true), Accepted(&["leak"]))
            .follow_ups(&[FollowUpKind::UtilityRepair]),
        row("meter test recommended", findings(LeakSide::None, Recommendation::MeterTest, false), Accepted(&[])).follow_ups(&[FollowUpKind::MeterTest]),
        row("re-read recommended", findings(LeakSide::None, Recommendation::ReRead, false), Accepted(&[])).follow_ups(&[FollowUpKind::ReRead]),
        row("complete with every step", complete(None), Accepted(&[]))
            .after(vec![verified(), read("1050", 1), findings(LeakSide::None, Recommendation::None, false)]),
        row("complete without verifying", complete(None), Refused("high_bill.completion", "meter_verified"))
            .after(vec![read("1050", 1), findings(LeakSide::None, Recommendation::None, false)]),
        row("complete with a reading but no photo", complete(None), Refused("high_bill.completion", "readings"))
            .after(vec![verified(), read("1050", 0), findings(LeakSide::None, Recommendation::None, false)]),
        row("complete without findings", complete(None), Refused("high_bill.completion", "investigation"))
            .after(vec![verified(), read("1050", 1)]),
    ]);
}

#[test]
fn low_flow_test_computes_the_flow_per_minute_exactly() {
    let mut data = service_office(OrderType::HighBillInvestigation);
    // One decimal dial: 1050.0 → 1050.3 in 4 minutes = 0.075 units per minute.
    data.meter.as_mut().expect("meter").registers[0].dials_right = 1;
    let order = record(data, vec![]);
    let assessment = check_on(
        &order,
        Status::InProgress,
        &flow_test("1050.0", "1050.3", 4),
        &ReferenceData::default(),
    )
    .expect("accepted");
    assert_eq!(
        assessment.flow,
        Some(FlowRate {
            register: 1,
            volume_units: 3,
            decimals: 1,
            duration_ms: 240_000,
            per_minute_milli: 75,
        })
    );
}
