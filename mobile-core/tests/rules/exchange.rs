//! Meter exchange rules, passing and refusing: the old meter (serial, final reads through the
//! cycle-read rules), the new meter (in stock, differs, initial reads on its dials), photos,
//! and the exchange before completing.

use crate::fixtures::*;
use crate::table::*;
use fieldline_core::reference::{ReferenceData, StockMeter};
use fieldline_core::*;

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
