//! The Ed25519 keys access tokens are signed with. They live in the database (through the store's
//! signing-key methods) so every server instance and every restart signs and verifies with the
//! same set; the first instance to start creates one.

use crate::store::{SigningKey, Store, StoreError};
use chrono::Utc;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{DecodingKey, EncodingKey};
use rand::rngs::OsRng;
use std::collections::HashMap;

/// The JWT algorithm name stored with each key.
pub const ALGORITHM: &str = "EdDSA";

/// Why the key set could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The store failed.
    #[error("signing keys: {0}")]
    Store(#[from] StoreError),
    /// A new key could not be encoded.
    #[error("signing key encoding: {0}")]
    Encode(String),
    /// The store holds no usable key even after creating one.
    #[error("no active EdDSA signing key in the database")]
    NoActiveKey,
}

/// The key that signs new tokens.
pub(crate) struct ActiveKey {
    pub(crate) kid: String,
    pub(crate) encoding: EncodingKey,
}

/// Every key a token may name, by kid, and the one that signs.
pub(crate) struct KeySet {
    pub(crate) active: ActiveKey,
    pub(crate) verifying: HashMap<String, DecodingKey>,
}

/// A fresh Ed25519 key with a random kid.
pub fn generate_key() -> Result<SigningKey, KeyError> {
    let key = ed25519_dalek::SigningKey::generate(&mut OsRng);
    let der = key
        .to_pkcs8_der()
        .map_err(|e| KeyError::Encode(e.to_string()))?;
    Ok(SigningKey {
        kid: uuid::Uuid::new_v4().simple().to_string(),
        algorithm: ALGORITHM.to_string(),
        private_key_der: der.as_bytes().to_vec(),
        public_key: key.verifying_key().to_bytes().to_vec(),
        created_at: Utc::now(),
        retired_at: None,
    })
}

/// Loads the key set, creating the first key when the database has none. A retired key still
/// verifies for `grace` after its retirement (tokens it signed may still be alive), then never.
pub(crate) async fn load_or_create(
    store: &dyn Store,
    grace: std::time::Duration,
) -> Result<KeySet, KeyError> {
    let mut active = active_eddsa(store).await?;
    if active.is_none() {
        match store.insert_signing_key(&generate_key()?).await {
            // Another instance raced us to it: use whatever is newest now.
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
        tracing::info!("created a token signing key");
        active = active_eddsa(store).await?;
    }
    let active = active.ok_or(KeyError::NoActiveKey)?;
    let cutoff = chrono::Duration::from_std(grace)
        .ok()
        .and_then(|grace| Utc::now().checked_sub_signed(grace))
        .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC);
    let verifying = store
        .list_signing_keys()
        .await?
        .into_iter()
        .filter(|k| k.algorithm == ALGORITHM)
        .filter(|k| k.retired_at.is_none_or(|at| at > cutoff))
        .map(|k| (k.kid.clone(), DecodingKey::from_ed_der(&k.public_key)))
        .collect();
    Ok(KeySet {
        active: ActiveKey {
            kid: active.kid.clone(),
            encoding: EncodingKey::from_ed_der(&active.private_key_der),
        },
        verifying,
    })
}

/// The newest active EdDSA key (the store lists newest first).
async fn active_eddsa(store: &dyn Store) -> Result<Option<SigningKey>, KeyError> {
    Ok(store
        .list_active_signing_keys()
        .await?
        .into_iter()
        .find(|k| k.algorithm == ALGORITHM))
}

/// Rotates the signing key: retires every active key now and stores a new one. Tokens signed by
/// the old keys keep verifying until they expire; running instances pick the new key up the first
/// time they see a token naming it, or at their next start.
pub async fn rotate(store: &dyn Store) -> Result<SigningKey, KeyError> {
    let new = generate_key()?;
    store.insert_signing_key(&new).await?;
    let now = Utc::now();
    for key in store.list_active_signing_keys().await? {
        if key.kid != new.kid {
            store.retire_signing_key(&key.kid, now).await?;
        }
    }
    Ok(new)
}
