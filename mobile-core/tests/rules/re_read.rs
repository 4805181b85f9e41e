//! Re-read rules, passing and refusing: blind office data, a photo with every reading, audit
//! re-reads by another reader, every register read before completing.

use crate::fixtures::*;
use crate::table::*;
use fieldline_core::*;

fn audit(o: &mut OfficeData) {
    o.details.audit = true;
    o.details.original_reader = Some(READER.into());
}

#[rustfmt::skip]
#[test]
fn re_read_rules_table() {
    run(OrderType::ReRead, vec![
        row("re-read with a photo", read("1050", 1), Accepted(&[])),
        row("re-read without a photo", read("1050", 0), Refused("re_read.photo", "photos")),
        row("re-read keyed past the dials", read("123456", 1), Refused("cycle_read.full_scale", "readings[0].value")),
        row("audit by the original reader", read("1050", 1), Refused("re_read.other_reader", "user")).office(audit),
        row("audit by another reader", read("1050", 1), Accepted(&[])).office(|o| {
            o.details.audit = true;
            o.details.original_reader = Some("reader9".into());
        }),
        row("a plain re-read by the original reader", read("1050", 1), Accepted(&[])).office(|o| o.details.original_reader = Some(READER.into())),
        row("complete after reading", complete(None), Accepted(&[])).after(vec![read("1050", 1)]),
        row("complete without reading", complete(None), Refused("re_read.completion", "readings")),
    ]);
}

#[test]
fn blind_office_data_carries_no_previous_or_limits() {
    let blind = office(vec![usual_register()], AccountStatus::Active).blind();
    let register = blind.register(1).expect("register 1");
    assert_eq!(register.previous_read, None);
    assert_eq!(register.previous_read_at, None);
    assert_eq!((register.low_limit, register.high_limit), (None, None));
    // The reading rules can then only check the dials: every value is unchecked.
    let order = record(
        OfficeData {
            order_type: OrderType::ReRead,
            ..blind
        },
        vec![],
    );
    let assessment = check_on(
        &order,
        Status::InProgress,
        &reading(vec![input(1, "5", None)], 1, None),
        &reference::ReferenceData::default(),
    )
    .expect("accepted");
    assert_eq!(assessment.readings[0].validation, Validation::Unchecked);
}
