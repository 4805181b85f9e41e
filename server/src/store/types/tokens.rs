//! What the token lifecycle keeps: refresh tokens (by hash, bound to a device, grouped in
//! families that rotate) and what a rotation or a lookup found.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A refresh token as stored: its SHA-256, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    /// SHA-256 of the opaque token.
    pub token_hash: Vec<u8>,
    /// The utility of its user.
    pub utility_id: super::UtilityId,
    /// The family: the token issued at registration and every token rotated from it.
    pub family_id: Uuid,
    /// The user it signs in.
    pub user_id: Uuid,
    /// The device it is bound to.
    pub device_id: Uuid,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
    /// When it was rotated (exchanged for the next one); presenting it again is a reuse.
    pub used_at: Option<DateTime<Utc>>,
    /// When its family was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A refresh token to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefreshToken {
    /// SHA-256 of the opaque token.
    pub token_hash: Vec<u8>,
    /// The family it starts or continues.
    pub family_id: Uuid,
    /// The user it signs in.
    pub user_id: Uuid,
    /// The device it is bound to.
    pub device_id: Uuid,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// What rotating a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The old token is marked used and the new one stored.
    Rotated,
    /// The old token was already used or revoked (a concurrent rotation won): nothing written.
    Stale,
}
