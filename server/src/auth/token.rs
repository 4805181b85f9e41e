//! Access tokens: short-lived EdDSA JWTs. Issuing signs with the newest key and names it in the
//! header `kid`; verifying pins the algorithm, requires `iss`, `aud`, `sub` and `exp`, and accepts
//! only a kid from the database's key set (reloaded when a token names a kid this instance has not
//! seen yet, so keys created by another instance or a rotation are picked up).

use super::keys::{self, KeyError, KeySet};
use crate::config::TokenConfig;
use crate::store::{Store, UtilityId};
use fieldline_core::model::Role;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The `typ` claim of an access token (a refresh token can never pass as one).
pub const ACCESS_TYP: &str = "access";

/// Clock skew tolerated on `exp`, seconds.
const LEEWAY_SECS: u64 = 30;

/// How often an unknown kid may trigger a reload of the key set.
const RELOAD_INTERVAL: Duration = Duration::from_secs(10);

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The user id.
    pub sub: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issue time, seconds since the epoch.
    pub iat: u64,
    /// The user's role.
    pub role: Role,
    /// The user's utility id.
    pub utility: Uuid,
    /// The username, for logs and display.
    pub username: String,
    /// Always [`ACCESS_TYP`].
    pub typ: String,
}

/// Who a valid access token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The user id.
    pub user_id: Uuid,
    /// The utility every query is scoped to.
    pub utility_id: UtilityId,
    /// The role.
    pub role: Role,
    /// The username.
    pub username: String,
}

/// Why a token was not accepted. Never shown in detail to the client.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Malformed, badly signed, wrong issuer/audience/algorithm/type.
    #[error("invalid token: {0}")]
    Invalid(String),
    /// Well signed and addressed, but past its `exp` (the client should refresh).
    #[error("expired token")]
    Expired,
    /// The header names no kid, or one not in the key set.
    #[error("unknown signing key")]
    UnknownKey,
    /// Signing failed.
    #[error("signing failed: {0}")]
    Sign(String),
}

/// Signs and verifies access tokens with the database's key set.
pub struct TokenKeys {
    config: TokenConfig,
    store: Arc<dyn Store>,
    keys: RwLock<Arc<KeySet>>,
    /// When an unknown kid last made us reload; `None` until the first time.
    last_reload: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl TokenKeys {
    /// Loads (creating if needed) the key set from the store.
    pub async fn load(store: Arc<dyn Store>, config: TokenConfig) -> Result<TokenKeys, KeyError> {
        let set = keys::load_or_create(store.as_ref(), Self::grace(&config)).await?;
        Ok(TokenKeys {
            config,
            store,
            keys: RwLock::new(Arc::new(set)),
            last_reload: Mutex::new(None),
        })
    }

    /// How long a retired key keeps verifying: the longest a token it signed can live.
    fn grace(config: &TokenConfig) -> Duration {
        Duration::from_secs(config.access_ttl_secs.saturating_add(LEEWAY_SECS))
    }

    /// The token settings.
    pub fn config(&self) -> &TokenConfig {
        &self.config
    }

    fn current(&self) -> Arc<KeySet> {
        match self.keys.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The claims of a new access token for this user, valid from now for the configured TTL.
    pub fn access_claims(
        &self,
        user_id: Uuid,
        utility_id: UtilityId,
        role: Role,
        username: &str,
    ) -> AccessClaims {
        let now = now_secs();
        AccessClaims {
            iss: self.config.issuer.clone(),
            aud: self.config.audience.clone(),
            sub: user_id.to_string(),
            exp: now + self.config.access_ttl_secs,
            iat: now,
            role,
            utility: utility_id.0,
            username: username.to_string(),
            typ: ACCESS_TYP.to_string(),
        }
    }

    /// Signs `claims` with the active key. Tests use it to forge expired or misaddressed tokens.
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        let set = self.current();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(set.active.kid.clone());
        jsonwebtoken::encode(&header, claims, &set.active.encoding)
            .map_err(|e| TokenError::Sign(e.to_string()))
    }

    /// Verifies a token and returns who it speaks for.
    pub async fn verify(&self, token: &str) -> Result<VerifiedToken, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Invalid(e.to_string()))?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Invalid("algorithm is not EdDSA".into()));
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let mut set = self.current();
        if !set.verifying.contains_key(&kid) {
            self.reload_if_stale().await;
            set = self.current();
        }
        let key = set.verifying.get(&kid).ok_or(TokenError::UnknownKey)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        // The signature is checked before the claims, so `Expired` means a genuine token.
        let data = jsonwebtoken::decode::<AccessClaims>(token, key, &validation).map_err(|e| {
            match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid(e.to_string()),
            }
        })?;
        let claims = data.claims;
        if claims.typ != ACCESS_TYP {
            return Err(TokenError::Invalid("not an access token".into()));
        }
        let user_id = Uuid::parse_str(&claims.sub)
            .map_err(|_| TokenError::Invalid("subject is not a user id".into()))?;
        Ok(VerifiedToken {
            user_id,
            utility_id: UtilityId(claims.utility),
            role: claims.role,
            username: claims.username,
        })
    }

    /// Reloads the key set from the store, at most once per [`RELOAD_INTERVAL`].
    async fn reload_if_stale(&self) {
        {
            let Ok(mut last) = self.last_reload.lock() else {
                return;
            };
            if last.is_some_and(|at| at.elapsed() < RELOAD_INTERVAL) {
                return;
            }
            *last = Some(Instant::now());
        }
        match keys::load_or_create(self.store.as_ref(), Self::grace(&self.config)).await {
            Ok(set) => {
                if let Ok(mut guard) = self.keys.write() {
                    *guard = Arc::new(set);
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not reload signing keys"),
        }
    }
}
