//! Size limits on field actions: each limit passes at its maximum and refuses just past it.

use crate::fixtures::*;
use crate::table::*;
use fieldline_core::rules::{MAX_ID_BYTES, MAX_ITEMS, MAX_PHOTOS};
use fieldline_core::*;

const MAX_TEXT: usize = fieldline_core::document::MAX_TEXT_BYTES;

fn with_note(capture: Capture, note: String) -> FieldAction {
    FieldAction::Capture {
        capture,
        photos: vec![],
        note: Some(note),
    }
}

fn with_photos(n: usize) -> FieldAction {
    FieldAction::Capture {
        capture: Capture::Customer {
            present: true,
            notified: true,
            door_hanger: false,
        },
        photos: (0..n)
            .map(|i| PhotoRef {
                sha256: format!("{i:064x}"),
                kind: PhotoKind::Meter,
            })
            .collect(),
        note: None,
    }
}

fn serial(len: usize) -> FieldAction {
    cap(Capture::MeterVerified {
        serial: "S".repeat(len),
    })
}

fn customer_capture() -> Capture {
    Capture::Customer {
        present: true,
        notified: true,
        door_hanger: false,
    }
}

#[rustfmt::skip]
#[test]
fn size_limits_table() {
    run(OrderType::TurnOn, vec![
        row("note at the limit", with_note(customer_capture(), "n".repeat(MAX_TEXT)), Accepted(&[])),
        row("note past the limit", with_note(customer_capture(), "n".repeat(MAX_TEXT + 1)), Refused("common.size", "note")),
        row("photos at the limit", with_photos(MAX_PHOTOS), Accepted(&[])),
        row("photos past the limit", with_photos(MAX_PHOTOS + 1), Refused("common.size", "photos")),
        // At the limit the serial is merely wrong; past it, it is refused for its size first.
        row("serial at the limit", serial(MAX_ID_BYTES), Refused("service.serial", "capture.serial")),
        row("serial past the limit", serial(MAX_ID_BYTES + 1), Refused("common.size", "capture.serial")),
        row("seal number past the limit", cap(Capture::SealRemoved { number: "9".repeat(MAX_ID_BYTES + 1) }), Refused("common.size", "capture.number")),
        row("free-text note past the limit", FieldAction::Note { code: None, text: "n".repeat(MAX_TEXT + 1) }, Refused("common.size", "text")),
        row("readings past the limit", reading((0..=MAX_ITEMS as u32).map(|r| input(r + 1, "1", None)).collect(), 0, None), Refused("common.size", "readings")),
    ]);
    let answers = |n: usize| cap(Capture::Checklist {
        template: "tamper".into(),
        version: 1,
        answers: (0..n).map(|i| ChecklistAnswer { question: format!("q{i}"), answer: Answer::YesNo(true) }).collect(),
    });
    run(OrderType::Inspection, vec![
        row("answers past the limit", answers(MAX_ITEMS + 1), Refused("common.size", "capture.answers")),
        row("text answer past the limit", cap(Capture::Checklist {
            template: "tamper".into(),
            version: 1,
            answers: vec![ChecklistAnswer { question: "remarks".into(), answer: Answer::Text("r".repeat(MAX_TEXT + 1)) }],
        }), Refused("common.size", "capture.answers[0].answer")),
    ]);
}
