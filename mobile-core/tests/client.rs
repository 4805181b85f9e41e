//! The device client (feature `client`): store, actions, outbox, sync answers, user partition,
//! observers, and the HTTP calls against a small in-process fake of the server's contract.

#[path = "common/mod.rs"]
mod common;

#[path = "client/support.rs"]
mod support;

#[path = "client/actions.rs"]
mod actions;
#[path = "client/http.rs"]
mod http;
#[path = "client/partition.rs"]
mod partition;
#[path = "client/store.rs"]
mod store;
#[path = "client/sync.rs"]
mod sync;
