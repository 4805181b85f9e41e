//! High-bill investigation and meter exchange rules, passing and refusing: the low-flow test's
//! exact flow, findings and their follow-ups, and the exchange as one unit.

use crate::fixtures::*;
use crate::table::*;
use fieldline_core::reference::{ReferenceData, StockMeter};
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

fn stock(r: &mut ReferenceData) {
    r.meter_stock = vec![StockMeter {
        serial: "NEW1".into(),
        size: "5/8\"".into(),
        dials_left: 6,
        dials_right: 0,
        registers: 1,
    }];
}

fn exchange(
    old_serial: &str,
    old_value: &str,
    new_serial: &str,
    new_reading: &str,
    photos: usize,
) -> FieldAction {
    FieldAction::Capture {
        capture: Capture::Exchange {
            reason: "age".into(),
            old: OldMeter {
                serial: old_serial.into(),
                readings: vec![input(1, old_value, None)],
            },
            new: NewMeter {
                serial: new_serial.into(),
                initial_readings: vec![new_reading.into()],
                radio_id: Some("R-77".into()),
            },
        },
        photos: (0..photos).map(|_| photo(PhotoKind::Meter)).collect(),
        note: None,
    }
}

#[rustfmt::skip]
#[test]
fn meter_exchange_rules_table() {
    let with_reason = |reason: &str| match exchange("SN1", "1050", "NEW1", "000000", 2) {
        FieldAction::Capture { capture: Capture::Exchange { old, new, .. }, photos, note } => FieldAction::Capture {
            capture: Capture::Exchange { reason: reason.into(), old, new },
            photos,
            note,
        },
        other => other,
    };
    run(OrderType::MeterExchange, vec![
        row("exchange into a stock meter", exchange("SN1", "1050", "NEW1", "000000", 2), Accepted(&[])).reference(stock),
        row("exchange into a meter issued to the order", exchange("SN1", "1050", "ISSUED9", "00000", 2), Accepted(&[]))
            .office(|o| o.details.issued_meters = vec!["ISSUED9".into()]),
        row("unknown reason", with_reason("bored"), Refused("meter_exchange.reason", "capture.reason")).reference(stock),
        row("reason that needs a note", with_reason("upsize"), Refused("meter_exchange.reason", "note")).reference(stock),
        row("old serial is not the order's meter", exchange("SN9", "1050", "NEW1", "000000", 2), Refused("meter_exchange.old_meter", "old.serial")).reference(stock),
        row("old final read past the dials", exchange("SN1", "123456", "NEW1", "000000", 2), Refused("cycle_read.full_scale", "old.readings[0].value")).reference(stock),
        row("old final read below the last", exchange("SN1", "0990", "NEW1", "000000", 2), Refused("cycle_read.negative", "old.readings[0].confirmation")).reference(stock),
        row("old final read missing a register", exchange("SN1", "1050", "NEW1", "000000", 2), Refused("meter_exchange.old_meter", "old.readings"))
            .reference(stock)
            .office(|o| o.meter.as_mut().expect("meter").registers.push(register(2, (5, 0), None, (None, None)))),
        row("new serial same as the old", exchange("SN1", "1050", "sn1", "000000", 2), Refused("meter_exchange.new_meter", "new.serial")).reference(stock),
        row("new meter not in stock", exchange("SN1", "1050", "NEW2", "000000", 2), Refused("meter_exchange.new_meter", "new.serial")).reference(stock),
        row("new reading past the new dials", exchange("SN1", "1050", "NEW1", "1000000", 2), Refused("meter_exchange.new_meter", "new.initial_readings[0]")).reference(stock),
        row("one photo only", exchange("SN1", "1050", "NEW1", "000000", 1), Refused("meter_exchange.photos", "photos")).reference(stock),
        row("complete after the exchange", complete(None), Accepted(&[])).after(vec![exchange("SN1", "1050", "NEW1", "000000", 2)]),
        row("complete without the exchange", complete(None), Refused("meter_exchange.completion", "exchange")),
        row("a plain reading is not an exchange step", read("1050", 0), Refused("common.step", "readings")),
    ]);
}
