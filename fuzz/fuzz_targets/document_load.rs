//! Fuzzes the document loader the server and devices run on stored and received bytes:
//! `WorkOrderDoc::load`, then the typed read and the derivation. Any input must load and read,
//! or give an error, never a panic.
#![no_main]

use fieldline_core::WorkOrderDoc;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = WorkOrderDoc::load(data) {
        if let Ok(record) = doc.record() {
            let _ = fieldline_core::derive(&record);
        }
    }
});
