//! `fieldline-server`: the office API, storage, sign-in, demo data and the `fieldline` CLI.

pub mod cli;
pub mod demo;
pub mod store;
