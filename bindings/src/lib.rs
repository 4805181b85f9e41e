//! `fieldline-ffi`: the native library phone apps load. It puts the device client of
//! `fieldline-core` (feature `client`) behind uniffi proc-macros, so Kotlin, Swift and Python get
//! one module each: a [`FieldClient`] object, records and enums for what it shows and takes, one
//! error enum, observers with cancel-on-drop handles, and foreign traits for what the phone owns.
//!
//! The FFI types mirror the core's (see `bindings/README.md`, "Why mirror types"): the core keeps
//! serde types with `usize`, tuples and newtypes that uniffi cannot carry, and a new core
//! `FieldAction` variant is one variant and two match arms in [`action`].

pub mod action;
pub mod capture;
pub mod client;
pub mod error;
pub mod observer;
pub mod platform;
pub mod push;
pub mod requirements;
pub mod types;

pub use action::{FieldAction, PhotoKind, PhotoRef, ReadMethod, ReadingInput};
pub use capture::*;
pub use client::FieldClient;
pub use error::{FailureKind, FieldlineError};
pub use observer::{ObserverHandle, OrderObserver, SyncState, SyncStateObserver};
pub use platform::{Clock, LocationSource, SecretStore};
pub use push::{PushEvent, PushHandle, PushObserver, SyncCause};
pub use requirements::*;
pub use types::*;

uniffi::setup_scaffolding!("fieldline");
