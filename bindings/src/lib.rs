//! `fieldline-ffi`: the native library phone apps load. Until the bindings issue lands it only
//! re-exports the core, so the workspace layout is in place and the crate builds in CI.

pub use fieldline_core as core;
