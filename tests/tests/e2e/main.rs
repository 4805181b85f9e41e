//! One test binary for all end-to-end tests (one link step on CI's two cores). Each module is one
//! area; every test starts its own server on 127.0.0.1:0 with a fresh store.

mod auth;
mod corrections;
mod crash;
mod demo;
mod errors;
mod fixtures;
mod isolation;
mod limits;
mod lookups;
mod offline_expiry;
mod ops;
mod order_types;
mod orders;
mod push;
mod push_device;
mod refresh;
mod seals;
mod security_matrix;
mod sync_devices;
mod sync_server;
mod trust;
mod workflows;
