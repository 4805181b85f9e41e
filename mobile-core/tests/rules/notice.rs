//! Disconnect notice delivery rules, passing and refusing: recipient, photo, GPS fix, and the
//! delivery before completing.

use crate::table::*;
use fieldline_core::*;

fn delivered(method: NoticeMethod, recipient: Option<&str>) -> FieldAction {
    cap_photo(
        Capture::NoticeDelivered {
            method,
            recipient: recipient.map(str::to_string),
        },
        PhotoKind::Notice,
    )
}

#[rustfmt::skip]
#[test]
fn notice_rules_table() {
    run(OrderType::DisconnectNotice, vec![
        row("posted", delivered(NoticeMethod::Posted, None), Accepted(&[])),
        row("refused at the door", delivered(NoticeMethod::Refused, None), Accepted(&[])),
        row("handed to a named adult", delivered(NoticeMethod::HandedToAdult, Some("A. Smith")), Accepted(&[])),
        row("handed to an unnamed adult", delivered(NoticeMethod::HandedToAdult, Some(" ")), Refused("notice.recipient", "capture.recipient")),
        row("delivered without a photo", cap(Capture::NoticeDelivered { method: NoticeMethod::Posted, recipient: None }), Refused("notice.photo", "photos")),
        row("delivered without GPS", delivered(NoticeMethod::Posted, None), Refused("notice.gps", "gps")).no_gps(),
        row("complete after delivery", complete(None), Accepted(&[])).after(vec![delivered(NoticeMethod::Posted, None)]),
        row("complete without delivery", complete(None), Refused("notice.completion", "notice_delivered")),
        row("a reading is not a notice step", read("1050", 0), Refused("common.step", "readings")),
    ]);
}
