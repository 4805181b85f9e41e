//! What the phone owns and the client only borrows: the clock, the current location and secure
//! storage for the access token. Each is a trait with a default, so a client opens with just a
//! data directory; the FFI turns them into foreign traits an app implements.

use super::error::ClientError;
use crate::model::GpsFix;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The device clock. Field entries carry its time as the device's claim (the server keeps its
/// own receipt time beside it), and the token's expiry is judged by it.
pub trait Clock: Send + Sync {
    /// Now, in milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// Where the device is, when an action is recorded without an explicit fix.
pub trait LocationSource: Send + Sync {
    /// The latest fix, or `None` when there is none (no permission, no signal). Must not block
    /// waiting for a fix: the action is recorded either way.
    fn current_fix(&self) -> Option<GpsFix>;
}

/// Secure storage for secrets (the platform keychain / keystore). Without one, the access token
/// stays in the device database, where it has always been.
pub trait SecretStore: Send + Sync {
    /// The secret under `key`, if any.
    fn load(&self, key: &str) -> Result<Option<String>, ClientError>;
    /// Stores `value` under `key`, replacing what was there.
    fn save(&self, key: &str, value: &str) -> Result<(), ClientError>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// No location: actions are recorded without a fix unless the caller passes one.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLocation;

impl LocationSource for NoLocation {
    fn current_fix(&self) -> Option<GpsFix> {
        None
    }
}

/// What the database holds in place of a token that lives in the [`SecretStore`].
const IN_SECRET_STORE: &str = "\u{0}in-secret-store";

/// Which of the account's tokens a secret is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// The short-lived access token.
    Access,
    /// The device-bound refresh token.
    Refresh,
}

/// The platform services a [`super::FieldClient`] uses.
#[derive(Clone)]
pub struct Platform {
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The location source.
    pub location: Arc<dyn LocationSource>,
    /// Secure storage for the access and refresh tokens; `None` keeps them in the device
    /// database.
    pub secrets: Option<Arc<dyn SecretStore>>,
}

impl Default for Platform {
    fn default() -> Self {
        Platform {
            clock: Arc::new(SystemClock),
            location: Arc::new(NoLocation),
            secrets: None,
        }
    }
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("secrets", &self.secrets.is_some())
            .finish_non_exhaustive()
    }
}

impl Platform {
    /// The secret-store key of a device account's token of `kind` (device ids are unique per
    /// store and account, so two stores on one phone never share a token).
    fn token_key(kind: TokenKind, device_id: &str) -> String {
        let kind = match kind {
            TokenKind::Access => "access-token",
            TokenKind::Refresh => "refresh-token",
        };
        format!("fieldline.{kind}.{device_id}")
    }

    /// Puts a fresh token where it belongs and returns what the database keeps for it.
    pub(crate) fn stash_token(
        &self,
        kind: TokenKind,
        device_id: &str,
        token: &str,
    ) -> Result<String, ClientError> {
        match &self.secrets {
            Some(secrets) => {
                secrets.save(&Self::token_key(kind, device_id), token)?;
                Ok(IN_SECRET_STORE.to_string())
            }
            None => Ok(token.to_string()),
        }
    }

    /// The token for what the database kept: itself, or the secret store's copy.
    pub(crate) fn unstash_token(
        &self,
        kind: TokenKind,
        device_id: &str,
        stored: String,
    ) -> Result<String, ClientError> {
        if stored != IN_SECRET_STORE {
            return Ok(stored);
        }
        let missing = || {
            ClientError::Unauthorized(
                "the sign-in is gone from secure storage: sign in again".into(),
            )
        };
        let secrets = self.secrets.as_ref().ok_or_else(missing)?;
        secrets
            .load(&Self::token_key(kind, device_id))?
            .ok_or_else(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    #[derive(Default)]
    struct MemorySecrets(Mutex<HashMap<String, String>>);

    impl SecretStore for MemorySecrets {
        fn load(&self, key: &str) -> Result<Option<String>, ClientError> {
            Ok(self
                .0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(key)
                .cloned())
        }
        fn save(&self, key: &str, value: &str) -> Result<(), ClientError> {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key.to_string(), value.to_string());
            Ok(())
        }
    }

    #[test]
    fn without_a_secret_store_the_token_stays_in_the_database() {
        let platform = Platform::default();
        let stored = platform
            .stash_token(TokenKind::Access, "d1", "tok")
            .unwrap();
        assert_eq!(stored, "tok");
        assert_eq!(
            platform
                .unstash_token(TokenKind::Access, "d1", stored)
                .unwrap(),
            "tok"
        );
    }

    #[test]
    fn with_a_secret_store_the_database_keeps_only_a_marker() {
        let secrets = Arc::new(MemorySecrets::default());
        let platform = Platform {
            secrets: Some(secrets.clone()),
            ..Platform::default()
        };
        let stored = platform
            .stash_token(TokenKind::Access, "d1", "tok")
            .unwrap();
        assert_ne!(stored, "tok");
        assert_eq!(
            platform
                .unstash_token(TokenKind::Access, "d1", stored.clone())
                .unwrap(),
            "tok"
        );
        assert!(
            platform
                .unstash_token(TokenKind::Access, "d2", stored)
                .is_err()
        );
    }

    #[test]
    fn a_token_lost_from_secure_storage_asks_for_a_new_sign_in() {
        let platform = Platform {
            secrets: Some(Arc::new(MemorySecrets::default())),
            ..Platform::default()
        };
        let err = platform
            .unstash_token(TokenKind::Access, "d1", IN_SECRET_STORE.to_string())
            .unwrap_err();
        assert!(matches!(err, ClientError::Unauthorized(_)), "{err:?}");
    }
}
