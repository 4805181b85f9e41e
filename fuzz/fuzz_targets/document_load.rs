//! Fuzzes the document loader the server and devices run on stored and received bytes:
//! `WorkOrderDoc::load`, then the typed read and the derivation. Any input must load and read,
//! or give an error, never a panic.
#![no_main]

use fieldline_core::WorkOrderDoc;
use libfuzzer_sys::fuzz_target;

/// libfuzzer-sys aborts on every panic, even one the core contains; automerge 0.12 panics on
/// some malformed bytes, which the core turns into errors (`contain_panic`). A silent hook lets
/// those through; a panic that escapes the core still aborts (libFuzzer sees the unwind).
static QUIET: std::sync::Once = std::sync::Once::new();

fuzz_target!(|data: &[u8]| {
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    if let Ok(doc) = WorkOrderDoc::load(data) {
        if let Ok(record) = doc.record() {
            let _ = fieldline_core::derive(&record);
        }
    }
});
