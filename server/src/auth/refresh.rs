//! Refresh tokens: opaque 256-bit random strings bound to one device of one user, stored only as
//! their SHA-256, rotated on every use. A device gets the first token of a family when it
//! registers (which needs a password sign-in); each `POST /api/v1/auth/refresh` marks the
//! presented token used and answers with a new access token and the family's next refresh token.
//! Presenting a used token again means it was copied: the whole family is revoked and the event
//! is logged (ids only, never a token).

use crate::http::{ApiError, AppState};
use crate::store::{NewRefreshToken, RefreshToken, Rotation, StoreError, UtilityId};
use chrono::{DateTime, Utc};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Every refresh token starts with this, so one found in a log or a paste is recognisable.
pub const REFRESH_PREFIX: &str = "flr_";

/// Longest refresh token looked up (a real one is 68 characters); longer input is refused
/// without hashing or querying.
const MAX_REFRESH_TOKEN_CHARS: usize = 128;

/// A refresh token handed to a device, with its lifetime.
#[derive(Debug, Clone)]
pub struct IssuedRefresh {
    /// The opaque token (shown once, never stored).
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// What a successful refresh answers.
#[derive(Debug, Clone)]
pub struct RefreshedPair {
    /// A new access token.
    pub access_token: String,
    /// Its lifetime in seconds.
    pub expires_in: u64,
    /// The family's next refresh token (the presented one is now used).
    pub refresh: IssuedRefresh,
}

/// The SHA-256 of a token, as the store keys it.
pub fn hash_refresh_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let mut token = String::with_capacity(REFRESH_PREFIX.len() + 64);
    token.push_str(REFRESH_PREFIX);
    for b in bytes {
        token.push_str(&format!("{b:02x}"));
    }
    token
}

fn new_token(
    state: &AppState,
    family: Uuid,
    user_id: Uuid,
    device_id: Uuid,
    now: DateTime<Utc>,
) -> (IssuedRefresh, NewRefreshToken) {
    let ttl = state.tokens.config().refresh_ttl_secs;
    let token = new_secret();
    let expires_at = i64::try_from(ttl)
        .ok()
        .and_then(chrono::Duration::try_seconds)
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let stored = NewRefreshToken {
        token_hash: hash_refresh_token(&token),
        family_id: family,
        user_id,
        device_id,
        created_at: now,
        expires_at,
    };
    (
        IssuedRefresh {
            token,
            expires_in: ttl,
        },
        stored,
    )
}

/// Starts a new family for a device registered to `user_id` (revoking the device's earlier
/// one: a device holds one sign-in) and returns its first token.
pub async fn issue_for_device(
    state: &AppState,
    utility: UtilityId,
    user_id: Uuid,
    device_id: Uuid,
) -> Result<IssuedRefresh, ApiError> {
    let (issued, stored) = new_token(state, Uuid::new_v4(), user_id, device_id, Utc::now());
    state.store.start_refresh_family(utility, &stored).await?;
    Ok(issued)
}

fn refused(code: &'static str, message: &str) -> ApiError {
    ApiError::Unauthorized {
        code,
        message: message.to_string(),
    }
}

/// Revokes the family of a token presented a second time, and logs it.
async fn revoke_reused(state: &AppState, stored: &RefreshToken) -> Result<ApiError, ApiError> {
    let revoked = state
        .store
        .revoke_refresh_family(stored.utility_id, stored.family_id, Utc::now())
        .await?;
    tracing::warn!(
        utility_id = %stored.utility_id,
        user_id = %stored.user_id,
        device_id = %stored.device_id,
        family_id = %stored.family_id,
        revoked,
        "a used refresh token was presented again: its family is revoked"
    );
    state.metrics.login_failed("refresh_reused");
    Ok(refused(
        "refresh_token_reused",
        "this refresh token was already used, so it may have been copied: every token of this \
         sign-in is revoked; sign in again",
    ))
}

/// Exchanges a refresh token for a new access token and the family's next refresh token.
pub async fn refresh(state: &AppState, presented: &str) -> Result<RefreshedPair, ApiError> {
    let presented = presented.trim();
    if presented.is_empty()
        || presented.len() > MAX_REFRESH_TOKEN_CHARS
        || !presented.starts_with(REFRESH_PREFIX)
    {
        return Err(refused(
            "invalid_refresh_token",
            "this is not a refresh token: sign in again",
        ));
    }
    let Some(stored) = state
        .store
        .find_refresh_token(&hash_refresh_token(presented))
        .await?
    else {
        return Err(refused(
            "invalid_refresh_token",
            "this refresh token is unknown: sign in again",
        ));
    };
    let now = Utc::now();
    if stored.revoked_at.is_some() {
        return Err(refused(
            "refresh_token_revoked",
            "this sign-in was revoked: sign in again",
        ));
    }
    if stored.used_at.is_some() {
        return Err(revoke_reused(state, &stored).await?);
    }
    if stored.expires_at <= now {
        return Err(refused(
            "refresh_token_expired",
            "this sign-in has expired: sign in again",
        ));
    }
    let user = match state
        .store
        .get_user(stored.utility_id, stored.user_id)
        .await
    {
        Ok(user) if user.active => user,
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(refused(
                "user_inactive",
                "this user no longer exists or was deactivated",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let device = state
        .store
        .get_device(stored.utility_id, stored.device_id)
        .await?;
    if device.revoked_at.is_some() || device.user_id != user.id {
        return Err(refused(
            "device_revoked",
            "an administrator revoked this device: it can no longer sign in or sync",
        ));
    }
    let (issued, next) = new_token(state, stored.family_id, user.id, device.id, now);
    match state
        .store
        .rotate_refresh_token(stored.utility_id, &stored.token_hash, &next, now)
        .await?
    {
        Rotation::Rotated => {}
        // Another request rotated (or revoked) it between our read and our write: a reuse.
        Rotation::Stale => return Err(revoke_reused(state, &stored).await?),
    }
    let claims = state
        .tokens
        .access_claims(user.id, user.utility_id, user.role, &user.username);
    let access_token = state.tokens.sign(&claims).map_err(ApiError::internal)?;
    tracing::info!(user_id = %user.id, device_id = %device.id, "access token refreshed");
    Ok(RefreshedPair {
        access_token,
        expires_in: state.tokens.config().access_ttl_secs,
        refresh: issued,
    })
}
