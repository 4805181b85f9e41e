//! `fieldline-server`: the office API, storage, sign-in, demo data and the `fieldline` CLI.
//! The app is a function ([`http::app`], [`http::serve`]) so tests run it on `127.0.0.1:0`.

pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod http;
pub mod metrics;
pub mod orders;
pub mod push;
pub mod reference;
pub mod store;
pub mod sync;

pub use config::Config;
pub use http::{AppState, ServerClock, app, serve};

/// The allocator of every process that runs the server (the `fieldline` binary, the tests and
/// the benches link this crate). A sync allocates a few thousand small blocks per order (decoded
/// changes, automerge's columns, the record); mimalloc serves them in a fraction of glibc's time
/// (BENCHMARKS.md, "The allocator, whole-program optimisation and the last cuts").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
