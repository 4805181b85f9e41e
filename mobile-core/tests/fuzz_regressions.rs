//! Replays every input under `fuzz/regressions/<target>/` (crashes the fuzzers ever found, and
//! hand-made malformed inputs) through the same code as the fuzz targets in `fuzz/`, in the
//! normal test run, so a fixed crash stays fixed without nightly or libFuzzer. The seed corpus
//! must still decode, so the fuzzers start from meaningful inputs.

use fieldline_core::document::automerge::ActorId;
use fieldline_core::document::trust::{self, Sections, Writer};
use fieldline_core::reference::ReferenceData;
use fieldline_core::sync::wire::{self, WireLimits};
use fieldline_core::*;
use std::path::{Path, PathBuf};

/// The limits the `sync_request` target decodes under.
const LIMITS: WireLimits = WireLimits {
    max_frame_bytes: 1 << 20,
    max_body_bytes: 4 << 20,
};

fn files(dir: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(dir);
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("a directory entry").path();
            let bytes = std::fs::read(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            (path, bytes)
        })
        .collect();
    out.sort();
    out
}

/// The body of the `sync_request` target.
fn sync_request(data: &[u8]) -> bool {
    let _ = wire::peek(data);
    match wire::decode_request(data, &LIMITS) {
        Ok(request) => {
            let again =
                wire::decode_request(&wire::encode_request(&request), &WireLimits::default());
            assert_eq!(again.ok(), Some(request));
            true
        }
        Err(_) => false,
    }
}

/// The body of the `document_load` target.
fn document_load(data: &[u8]) -> bool {
    match WorkOrderDoc::load(data) {
        Ok(doc) => match doc.record() {
            Ok(record) => {
                let _ = fieldline_core::derive(&record);
                true
            }
            Err(_) => false,
        },
        Err(_) => false,
    }
}

/// The stored order of the `upload_inspect` target: a cycle read assigned to `reader1`.
fn stored_order() -> WorkOrderDoc {
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
    let mut doc = WorkOrderDoc::create("order-1", &office, actor, Timestamp(1_790_000_000_000))
        .expect("create");
    let assign = OfficeAction::Assign {
        assignee: "reader1".into(),
        reason: None,
    };
    doc.apply_office_action(assign, "dispatcher", Timestamp(1_790_000_000_001))
        .expect("assign");
    doc
}

/// The body of the `upload_inspect` target: whether the change applies and passes inspection.
fn upload_inspect(data: &[u8]) -> bool {
    let stored = stored_order();
    let sections = Sections::of(&stored).expect("sections");
    let mut merged = WorkOrderDoc::load(&stored.save()).expect("load");
    if merged.apply_changes(&[data.to_vec()]).is_err() {
        return false;
    }
    let new = merged.change_infos(&stored.heads());
    let writer = Writer {
        username: "reader1".into(),
        office: false,
        field: true,
    };
    match trust::inspect(
        &sections,
        &merged,
        &new,
        &writer,
        &ReferenceData::default().into(),
    ) {
        Ok(quarantined) => !new.is_empty() && quarantined.is_empty(),
        Err(_) => false,
    }
}

/// libFuzzer names what it finds `crash-…`/`oom-…`/`timeout-…`: such an input only has to run
/// without panicking (it may be valid once fixed); the hand-made ones must also be refused.
fn found_by_fuzzer(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    ["crash-", "oom-", "timeout-", "slow-unit-"]
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

#[test]
fn sync_request_regressions_are_refused_without_panicking() {
    let inputs = files("regressions/sync_request");
    assert!(inputs.len() >= 5, "the hand-made inputs are there");
    for (path, bytes) in inputs {
        let accepted = sync_request(&bytes);
        assert!(
            !accepted || found_by_fuzzer(&path),
            "{} is malformed and must be refused",
            path.display()
        );
    }
}

#[test]
fn document_load_regressions_are_refused_without_panicking() {
    let inputs = files("regressions/document_load");
    assert!(inputs.len() >= 5, "the hand-made inputs are there");
    for (path, bytes) in inputs {
        let accepted = document_load(&bytes);
        assert!(
            !accepted || found_by_fuzzer(&path),
            "{} is malformed and must be refused",
            path.display()
        );
    }
}

#[test]
fn upload_inspect_regressions_are_refused_without_panicking() {
    let inputs = files("regressions/upload_inspect");
    assert!(inputs.len() >= 3, "the hand-made inputs are there");
    for (path, bytes) in inputs {
        let accepted = upload_inspect(&bytes);
        assert!(
            !accepted || found_by_fuzzer(&path),
            "{} is malformed or forged and must be refused",
            path.display()
        );
    }
}

#[test]
fn the_seed_corpus_decodes() {
    for (path, bytes) in files("corpus/upload_inspect") {
        assert!(upload_inspect(&bytes), "{} passes", path.display());
    }
    for (path, bytes) in files("corpus/sync_request") {
        assert!(sync_request(&bytes), "{} decodes", path.display());
    }
    for (path, bytes) in files("corpus/document_load") {
        assert!(document_load(&bytes), "{} loads", path.display());
    }
}
