//! Special read rules, passing and refusing: a final read not below the last (unless rolled
//! over), a photo, the customer's presence before completing.

use crate::fixtures::*;
use crate::table::*;
use fieldline_core::*;

fn move_out(o: &mut OfficeData) {
    o.details.special_read = Some(SpecialReadKind::MoveOut);
}

#[rustfmt::skip]
#[test]
fn special_read_rules_table() {
    run(OrderType::SpecialRead, vec![
        row("final read above the last", read("1050", 1), Accepted(&[])).office(move_out),
        row("final read below the last", read("0990", 1), Refused("special_read.final_not_below", "readings[0].value")).office(move_out),
        row("final read that rolled over", reading(vec![input(1, "00005", Some("5"))], 1, None), Accepted(&["rollover_read"]))
            .office(|o| {
                o.details.special_read = Some(SpecialReadKind::MoveOut);
                o.meter.as_mut().expect("meter").registers[0].previous_read = Some(99_990.0);
            }),
        row("control read below the last needs the negative steps", read("0990", 1), Refused("cycle_read.negative", "readings[0].confirmation"))
            .office(|o| o.details.special_read = Some(SpecialReadKind::Control)),
        row("special read without a photo", read("1050", 0), Refused("special_read.photo", "photos")).office(move_out),
        row("complete with reading and customer", complete(None), Accepted(&[])).after(vec![read("1050", 1), customer(true, false, false)]),
        row("complete without reading", complete(None), Refused("special_read.completion", "readings")).after(vec![customer(true, false, false)]),
        row("complete without customer", complete(None), Refused("special_read.completion", "customer")).after(vec![read("1050", 1)]),
    ]);
}
