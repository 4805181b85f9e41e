//! The `AuthUser` extractor: every protected handler takes one, so no handler can forget to check
//! the bearer token, and every query it makes is scoped to the token's utility.

use super::TokenError;
use crate::http::{ApiError, AppState};
use crate::store::UtilityId;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use fieldline_core::model::Role;
use uuid::Uuid;

/// The signed-in user a request acts for, from a valid `Authorization: Bearer` access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    /// The user's id.
    pub user_id: Uuid,
    /// The user's utility: every query of the request uses it.
    pub utility_id: UtilityId,
    /// The user's role.
    pub role: Role,
    /// The user's sign-in name.
    pub username: String,
}

/// Office roles: dispatcher, supervisor, admin.
pub const OFFICE_ROLES: &[Role] = &[Role::Dispatcher, Role::Supervisor, Role::Admin];

impl AuthUser {
    /// `Ok` when the user has one of `roles`, else a 403 naming them.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::forbidden(format!(
                "this needs one of the roles {}; you are signed in as {}",
                names.join(", "),
                self.role
            )))
        }
    }

    /// `Ok` for dispatchers, supervisors and admins.
    pub fn require_office(&self) -> Result<(), ApiError> {
        self.require(OFFICE_ROLES)
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            ApiError::unauthorized("sign in first: send `Authorization: Bearer <access_token>`")
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be `Bearer <access_token>`")
            })?;
        match state.tokens.verify(token).await {
            Ok(verified) => Ok(AuthUser {
                user_id: verified.user_id,
                utility_id: verified.utility_id,
                role: verified.role,
                username: verified.username,
            }),
            Err(e) => Err(token_refused(&e)),
        }
    }
}

/// The 401 for a presented access token that was not accepted: `token_expired` when only its
/// time is up (refresh and retry), `invalid_token` otherwise (sign in again). The cause is logged
/// at debug level, never the token.
pub fn token_refused(err: &TokenError) -> ApiError {
    tracing::debug!(error = %err, "access token refused");
    match err {
        TokenError::Expired => ApiError::Unauthorized {
            code: "token_expired",
            message: "the access token has expired: refresh it (POST /api/v1/auth/refresh) \
                      or sign in again"
                .to_string(),
        },
        TokenError::Invalid(_) | TokenError::UnknownKey | TokenError::Sign(_) => {
            ApiError::Unauthorized {
                code: "invalid_token",
                message: "the access token is not valid here: sign in again".to_string(),
            }
        }
    }
}
