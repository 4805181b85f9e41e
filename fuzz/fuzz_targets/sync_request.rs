//! Fuzzes the server's first contact with a device: the sync frame header and the bounded,
//! decompressing request decoder. Any input must give a request or an error, never a panic, and
//! never inflate past the limits.
#![no_main]

use fieldline_core::sync::wire::{self, WireLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = wire::peek(data);
    let limits = WireLimits {
        max_frame_bytes: 1 << 20,
        max_body_bytes: 4 << 20,
    };
    if let Ok(request) = wire::decode_request(data, &limits) {
        // What decodes re-encodes and decodes to the same request.
        let again = wire::decode_request(&wire::encode_request(&request), &WireLimits::default());
        assert_eq!(again.ok(), Some(request));
    }
});
