//! Sign-in: check a username and password, throttle failures, and issue an access token.
//! An unknown user and a wrong password get the same answer after the same work (a dummy hash is
//! verified for unknown users), so sign-in does not reveal which usernames exist.

use super::password::verify_passwords;
use crate::http::{ApiError, AppState};
use crate::store::User;
use std::net::IpAddr;

/// The message of every failed sign-in.
pub const BAD_CREDENTIALS: &str = "wrong username or password";

/// A successful sign-in.
#[derive(Debug, Clone)]
pub struct LoginSuccess {
    /// The signed JWT.
    pub access_token: String,
    /// Its lifetime in seconds.
    pub expires_in: u64,
    /// Who signed in.
    pub user: User,
    /// The slug of the user's utility.
    pub utility_slug: String,
}

/// Checks the credentials and issues a token; `utility` (a slug) picks the utility when the same
/// username exists in several.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    utility: Option<&str>,
    ip: Option<IpAddr>,
) -> Result<LoginSuccess, ApiError> {
    if let Err(retry_after_secs) = state.login_limiter.check(username, ip) {
        state.metrics.login_failed("rate_limited");
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    let candidates = state
        .store
        .find_users_by_username(username, utility)
        .await?;
    let hashes: Vec<String> = if candidates.is_empty() {
        vec![state.dummy_password_hash.to_string()]
    } else {
        candidates.iter().map(|u| u.password_hash.clone()).collect()
    };
    let matches = verify_passwords(password.to_string(), hashes).await;
    let mut matched: Vec<User> = candidates
        .into_iter()
        .zip(matches)
        .filter(|(user, ok)| *ok && user.active)
        .map(|(user, _)| user)
        .collect();
    let user = match matched.len() {
        1 => matched.remove(0),
        0 => {
            state.login_limiter.record_failure(username, ip);
            state.metrics.login_failed("bad_credentials");
            tracing::info!("sign-in refused");
            return Err(ApiError::Unauthorized {
                code: "invalid_credentials",
                message: BAD_CREDENTIALS.to_string(),
            });
        }
        _ => {
            state.metrics.login_failed("ambiguous_utility");
            return Err(ApiError::BadRequest {
                code: "utility_required",
                message: "this username exists in several utilities: add \"utility\": \"<slug>\""
                    .to_string(),
                field: Some("utility".to_string()),
            });
        }
    };
    let utility = state.store.get_utility(user.utility_id).await?;
    let claims = state
        .tokens
        .access_claims(user.id, user.utility_id, user.role, &user.username);
    let access_token = state.tokens.sign(&claims).map_err(ApiError::internal)?;
    tracing::info!(user_id = %user.id, utility_id = %user.utility_id, "signed in");
    Ok(LoginSuccess {
        access_token,
        expires_in: state.tokens.config().access_ttl_secs,
        user,
        utility_slug: utility.slug,
    })
}
