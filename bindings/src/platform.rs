//! Foreign traits for what the phone owns: the clock, the current location and secure storage
//! (Keychain, Android Keystore). An app passes its implementations to `FieldClient.open`; each
//! is optional, and the defaults are the system clock, no location, and the token kept in the
//! device database. Adapters here turn them into the core's platform traits.

use std::sync::Arc;

use fieldline_core::client::{self as core, ClientError};
use fieldline_core::model::GpsFix as CoreGpsFix;

use crate::error::FieldlineError;
use crate::types::GpsFix;

/// The device clock. Called on every action (the entry's device time) and when judging whether
/// the sign-in has expired; it must return at once.
#[uniffi::export(foreign)]
pub trait Clock: Send + Sync {
    /// Now, in milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The current location. Called once per recorded action that has no explicit fix; it must
/// return the latest known fix at once (never wait for a new one), or `None`.
#[uniffi::export(foreign)]
pub trait LocationSource: Send + Sync {
    /// The latest fix, or `None` (no permission, no signal).
    fn current_fix(&self) -> Option<GpsFix>;
}

/// Secure storage for the access token. Called at sign-in (save) and at each sync (load).
#[uniffi::export(foreign)]
pub trait SecretStore: Send + Sync {
    /// The secret stored under `key`, or `None`.
    fn load(&self, key: String) -> Result<Option<String>, FieldlineError>;
    /// Stores `value` under `key`, replacing what was there.
    fn save(&self, key: String, value: String) -> Result<(), FieldlineError>;
}

/// The app's clock, as the core's.
pub(crate) struct ClockAdapter(pub(crate) Arc<dyn Clock>);

impl core::Clock for ClockAdapter {
    fn now_ms(&self) -> i64 {
        self.0.now_ms()
    }
}

/// The app's location source, as the core's.
pub(crate) struct LocationAdapter(pub(crate) Arc<dyn LocationSource>);

impl core::LocationSource for LocationAdapter {
    fn current_fix(&self) -> Option<CoreGpsFix> {
        self.0.current_fix().map(CoreGpsFix::from)
    }
}

/// The app's secret store, as the core's.
pub(crate) struct SecretStoreAdapter(pub(crate) Arc<dyn SecretStore>);

impl core::SecretStore for SecretStoreAdapter {
    fn load(&self, key: &str) -> Result<Option<String>, ClientError> {
        Ok(self.0.load(key.to_string())?)
    }

    fn save(&self, key: &str, value: &str) -> Result<(), ClientError> {
        Ok(self.0.save(key.to_string(), value.to_string())?)
    }
}

/// The core's platform from what the app passed (defaults for what it left out).
pub(crate) fn platform(
    clock: Option<Arc<dyn Clock>>,
    location: Option<Arc<dyn LocationSource>>,
    secrets: Option<Arc<dyn SecretStore>>,
) -> core::Platform {
    let mut platform = core::Platform::default();
    if let Some(clock) = clock {
        platform.clock = Arc::new(ClockAdapter(clock));
    }
    if let Some(location) = location {
        platform.location = Arc::new(LocationAdapter(location));
    }
    platform.secrets =
        secrets.map(|s| Arc::new(SecretStoreAdapter(s)) as Arc<dyn core::SecretStore>);
    platform
}
