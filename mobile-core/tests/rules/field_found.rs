//! Field-found order rules, passing and refusing: a known problem with its photo and GPS fix,
//! recorded before completing.

use crate::table::*;
use fieldline_core::*;

fn problem(code: &str) -> Capture {
    Capture::Problem {
        code: code.into(),
        severity: ProblemSeverity::High,
    }
}

#[rustfmt::skip]
#[test]
fn field_found_rules_table() {
    run(OrderType::FieldFound, vec![
        row("a leak with photo and GPS", cap_photo(problem("leak"), PhotoKind::Leak), Accepted(&["leak"])),
        row("an unknown problem", cap_photo(problem("ufo"), PhotoKind::Leak), Refused("field_found.problem", "capture.code")),
        row("other without a note", cap_photo(problem("other"), PhotoKind::Box), Refused("field_found.problem", "note")),
        row("without a photo", cap(problem("damaged_box")), Refused("field_found.problem", "photos")),
        row("without GPS", cap_photo(problem("damaged_box"), PhotoKind::Box), Refused("field_found.problem", "gps")).no_gps(),
        row("complete after the problem", complete(None), Accepted(&[])).after(vec![cap_photo(problem("damaged_box"), PhotoKind::Box)]),
        row("complete without the problem", complete(None), Refused("field_found.completion", "problem")),
    ]);
}
