//! Costs of the work order document operations the server and the handheld do per order:
//! load, apply a device's changes, list new changes, read the typed record, save.
//! Run with `cargo bench -p fieldline-core --bench document` (results in BENCHMARKS.md).

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use fieldline_core::*;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn per_doc(name: &str, runs: u32, mut f: impl FnMut()) {
    let start = Instant::now();
    for _ in 0..runs {
        f();
    }
    let each: Duration = start.elapsed() / runs;
    println!("  {name:<34} {:>8.1} µs", each.as_secs_f64() * 1e6);
}

fn main() {
    let office = assigned_order("reader1");
    let base = office.save();
    let mut device = replica(&office, actor(1));
    let before = device.heads();
    let actions = [
        FieldAction::Arrive,
        normal_reading(),
        FieldAction::Note {
            code: None,
            text: "lid cracked".into(),
        },
        FieldAction::Note {
            code: None,
            text: "dog in yard".into(),
        },
        FieldAction::Complete {
            code: None,
            photos: vec![],
        },
    ];
    for (i, action) in actions.into_iter().enumerate() {
        device
            .record_field_action(action, ctx("reader1", 10 + i as i64), &reference())
            .expect("the rules accept the action");
    }
    let changes = device.changes_since(&before);
    let saved = device.save();
    println!(
        "cycle-read document: {} B at dispatch, {} B after five field entries",
        base.len(),
        saved.len()
    );
    let runs = 500;
    per_doc("load", runs, || {
        black_box(WorkOrderDoc::load(&base).expect("load"));
    });
    per_doc("load + apply 5 device changes", runs, || {
        let mut doc = WorkOrderDoc::load(&base).expect("load");
        doc.apply_changes(&changes).expect("apply");
        black_box(doc);
    });
    let doc = WorkOrderDoc::load(&saved).expect("load");
    per_doc("change_infos (5 new changes)", runs, || {
        black_box(doc.change_infos(&before));
    });
    per_doc("record (typed read + causality)", runs, || {
        black_box(doc.record().expect("record"));
    });
    per_doc("derive (record + status)", runs, || {
        black_box(doc.derive().expect("derive"));
    });
    per_doc("save", runs, || {
        black_box(doc.save());
    });
    let mut fresh = replica(&office, actor(2));
    let start = Instant::now();
    let notes = 50;
    for i in 0..notes {
        fresh
            .record_field_action(
                FieldAction::Note {
                    code: None,
                    text: format!("note {i}"),
                },
                ctx("reader1", 100 + i),
                &reference(),
            )
            .expect("note");
    }
    println!(
        "  {:<34} {:>8.1} µs (grows with the entries already there)",
        "record_field_action (rules + write)",
        start.elapsed().as_secs_f64() * 1e6 / notes as f64
    );
}
