//! Password hashing: Argon2id PHC strings. Hashing and verifying are slow on purpose, so the async
//! callers run them on the blocking pool.

use crate::config::PasswordHashConfig;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The configured Argon2 parameters are out of range.
    #[error("invalid password hash parameters: {0}")]
    Params(String),
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The blocking task did not finish.
    #[error("password hashing task failed: {0}")]
    Task(String),
}

fn hasher(config: &PasswordHashConfig) -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(
        config.memory_kib,
        config.iterations,
        config.parallelism,
        None,
    )
    .map_err(|e| PasswordError::Params(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into an Argon2id PHC string with a fresh random salt (blocking).
pub fn hash_password_blocking(
    password: &str,
    config: &PasswordHashConfig,
) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher(config)?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Hashes a password on the blocking pool.
pub async fn hash_password(
    password: String,
    config: PasswordHashConfig,
) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password, &config))
        .await
        .map_err(|e| PasswordError::Task(e.to_string()))?
}

/// Whether `password` matches the PHC string (blocking). A malformed stored hash never matches.
pub fn verify_password_blocking(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        // The parameters come from the stored hash, so old hashes keep verifying after a change
        // of the configured cost.
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Checks `password` against each hash on the blocking pool; returns which ones match.
pub async fn verify_passwords(password: String, hashes: Vec<String>) -> Vec<bool> {
    let count = hashes.len();
    tokio::task::spawn_blocking(move || {
        hashes
            .iter()
            .map(|phc| verify_password_blocking(&password, phc))
            .collect()
    })
    .await
    .unwrap_or_else(|_| vec![false; count])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let config = PasswordHashConfig::insecure_fast_for_tests();
        let phc = hash_password_blocking("correct horse", &config).expect("hashes");
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_password_blocking("correct horse", &phc));
        assert!(!verify_password_blocking("wrong", &phc));
        assert!(!verify_password_blocking("correct horse", "not a hash"));
    }
}
