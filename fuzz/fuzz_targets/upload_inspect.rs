//! Fuzzes the trusted merge's inspection of an uploaded change: arbitrary bytes, taken as an
//! automerge change, applied to a stored work order and inspected (operations, entries, rules).
//! Any input must be refused or pass, never panic.
#![no_main]

use fieldline_core::document::automerge::ActorId;
use fieldline_core::document::trust::{self, Sections, Writer};
use fieldline_core::reference::ReferenceData;
use fieldline_core::*;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

/// A stored cycle-read order assigned to `reader1`.
static STORED: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let office = OfficeData {
        order_type: OrderType::CycleRead,
        reason: None,
        priority: Priority::Normal,
        source: Source::Cycle,
        created_by: "dispatcher".into(),
        created_at: Timestamp(1_790_000_000_000),
        due_at: None,
        appointment_start: None,
        appointment_end: None,
        route: None,
        sequence: None,
        premise: None,
        account: None,
        meter: None,
        instructions: None,
        details: Default::default(),
    };
    let actor = ActorId::from(vec![0; 16]);
    let Ok(mut doc) = WorkOrderDoc::create("order-1", &office, actor, Timestamp(1_790_000_000_000))
    else {
        return Vec::new();
    };
    let assign = OfficeAction::Assign {
        assignee: "reader1".into(),
        reason: None,
    };
    let _ = doc.apply_office_action(assign, "dispatcher", Timestamp(1_790_000_000_001));
    doc.save()
});

/// libfuzzer-sys aborts on every panic, even one the core contains; automerge 0.12 panics on
/// some malformed bytes, which the core turns into errors (`contain_panic`). A silent hook lets
/// those through; a panic that escapes the core still aborts (libFuzzer sees the unwind).
static QUIET: std::sync::Once = std::sync::Once::new();

fuzz_target!(|data: &[u8]| {
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let Ok(stored) = WorkOrderDoc::load(&STORED) else {
        return;
    };
    let Ok(sections) = Sections::of(&stored) else {
        return;
    };
    let Ok(mut merged) = WorkOrderDoc::load(&STORED) else {
        return;
    };
    if merged.apply_changes(&[data.to_vec()]).is_err() {
        return;
    }
    let new = merged.change_infos(&stored.heads());
    let writer = Writer {
        username: "reader1".into(),
        office: false,
        field: true,
    };
    let _ = trust::inspect(&sections, &merged, &new, &writer, &ReferenceData::default());
});
