//! Utilities, their users and the server's token signing keys.

use super::UtilityId;
use chrono::{DateTime, Utc};
use fieldline_core::model::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A utility hosted on this server: the tenant every other row belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Utility {
    /// Its id.
    pub id: UtilityId,
    /// Short unique name used at sign-in (`riverton`).
    pub slug: String,
    /// Display name (`Riverton Water`).
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// What it takes to create a utility.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewUtility {
    /// Short unique name used at sign-in.
    pub slug: String,
    /// Display name.
    pub name: String,
}

/// A person who signs in to one utility.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Its id.
    pub id: Uuid,
    /// The utility it belongs to.
    pub utility_id: UtilityId,
    /// Sign-in name, unique within the utility.
    pub username: String,
    /// Name shown in the console.
    pub display_name: String,
    /// What the user may do.
    pub role: Role,
    /// Argon2 PHC string (the caller hashes; the store never sees a password).
    pub password_hash: String,
    /// Inactive users cannot sign in.
    pub active: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// What it takes to create a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewUser {
    /// Sign-in name, unique within the utility.
    pub username: String,
    /// Name shown in the console.
    pub display_name: String,
    /// What the user may do.
    pub role: Role,
    /// Argon2 PHC string.
    pub password_hash: String,
}

/// A key the server signs access tokens with. Keys are server-wide, not per utility: a token
/// names its utility in a claim, and one key set lets any instance verify any token.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// Key id, carried in the token header.
    pub kid: String,
    /// JWT algorithm (`EdDSA`).
    pub algorithm: String,
    /// Private key, PKCS#8 DER. Never logged: `Debug` leaves it out.
    pub private_key_der: Vec<u8>,
    /// Public key bytes.
    pub public_key: Vec<u8>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stopped being used for signing; `None` while active.
    pub retired_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("private_key_der", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish()
    }
}
