//! Replays every input under `fuzz/regressions/<target>/` (crashes the fuzzers ever found, and
//! hand-made malformed inputs) through the same code as the fuzz targets in `fuzz/`, in the
//! normal test run, so a fixed crash stays fixed without nightly or libFuzzer. The seed corpus
//! must still decode, so the fuzzers start from meaningful inputs.

use fieldline_core::WorkOrderDoc;
use fieldline_core::sync::wire::{self, WireLimits};
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
fn the_seed_corpus_decodes() {
    for (path, bytes) in files("corpus/sync_request") {
        assert!(sync_request(&bytes), "{} decodes", path.display());
    }
    for (path, bytes) in files("corpus/document_load") {
        assert!(document_load(&bytes), "{} loads", path.display());
    }
}
