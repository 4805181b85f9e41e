//! Costs of the work order document operations the server and the handheld do per order:
//! load, apply a device's changes, list new changes, read the typed record, save.
//! Run with `cargo bench -p fieldline-core --bench document` (results in BENCHMARKS.md). Times
//! are the CPU time of the bench thread where Linux reports it, so a busy machine skews them less.

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use fieldline_core::*;
use std::hint::black_box;
use std::time::Instant;

/// CPU time of the calling thread in nanoseconds (Linux `schedstat`), so other processes on the
/// machine do not count; `None` elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
}

/// Runs `f` in five rounds of about 0.2 s and prints the cheapest round's time per call: CPU time
/// of this thread where the OS reports it (it is updated at scheduler ticks, hence the long
/// rounds), wall time otherwise.
fn per_doc(name: &str, mut f: impl FnMut()) {
    let (probe, mut calls) = (Instant::now(), 0u32);
    while calls < 3 || probe.elapsed().as_secs_f64() < 0.02 {
        f();
        calls += 1;
    }
    let once = probe.elapsed().as_secs_f64() / f64::from(calls);
    let per_round = ((0.2 / once) as u32).max(1);
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let (cpu, wall) = (thread_cpu_ns(), Instant::now());
        for _ in 0..per_round {
            f();
        }
        let ns = match (cpu, thread_cpu_ns()) {
            (Some(before), Some(after)) => (after - before) as f64,
            _ => wall.elapsed().as_nanos() as f64,
        };
        best = best.min(ns / f64::from(per_round));
    }
    println!("  {name:<34} {:>8.1} µs", best / 1e3);
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
    per_doc("load", || {
        black_box(WorkOrderDoc::load(&base).expect("load"));
    });
    // What a cache of loaded documents would pay instead of a load.
    let loaded = WorkOrderDoc::load(&base).expect("load");
    per_doc("clone of a loaded document", || {
        black_box(loaded.clone());
    });
    per_doc("load + apply 5 device changes", || {
        let mut doc = WorkOrderDoc::load(&base).expect("load");
        doc.apply_changes(&changes).expect("apply");
        black_box(doc);
    });
    let decoded: Vec<document::automerge::Change> = changes
        .iter()
        .map(|b| document::automerge::Change::from_bytes(b.clone()).expect("a change"))
        .collect();
    per_doc("load + apply_new (5 decoded changes)", || {
        let mut doc = WorkOrderDoc::load(&base).expect("load");
        black_box(doc.apply_new(&decoded).expect("apply"));
        black_box(doc);
    });
    let doc = WorkOrderDoc::load(&saved).expect("load");
    per_doc("change_infos (5 new changes)", || {
        black_box(doc.change_infos(&before));
    });
    per_doc("record (typed read + causality)", || {
        black_box(doc.record().expect("record"));
    });
    per_doc("derive (record + status)", || {
        black_box(doc.derive().expect("derive"));
    });
    per_doc("save", || {
        black_box(doc.save());
    });
    let mut fresh = replica(&office, actor(2));
    let (cpu, wall) = (thread_cpu_ns(), Instant::now());
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
        match (cpu, thread_cpu_ns()) {
            (Some(before), Some(after)) => (after - before) as f64 / 1e3,
            _ => wall.elapsed().as_secs_f64() * 1e6,
        } / notes as f64
    );
}
