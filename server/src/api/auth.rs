//! `POST /api/v1/auth/login`: username and password in, access token out.
//! `POST /api/v1/auth/refresh`: a device's refresh token in, a new access token and the next
//! refresh token out (the first one comes with the device registration, `POST /api/v1/devices`).

use crate::auth;
use crate::http::{ApiError, ApiResult, AppState, ClientIp, ErrorBody, Json};
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/refresh", post(refresh))
}

/// OpenAPI paths of this module.
#[derive(utoipa::OpenApi)]
#[openapi(paths(login, refresh))]
pub struct Doc;

/// Longest username accepted at sign-in, in characters.
pub const MAX_USERNAME_CHARS: usize = 100;
/// Longest password accepted, in bytes: Argon2 never hashes more (a longer one is refused before
/// any work is done).
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Longest utility slug accepted at sign-in, in characters.
pub const MAX_UTILITY_CHARS: usize = 100;

/// Sign-in request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Sign-in name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Utility slug; needed only when the username exists in several utilities.
    #[serde(default)]
    pub utility: Option<String>,
}

/// A signed-in user as the sign-in answer shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginUser {
    /// User id (the token's `sub`).
    pub id: Uuid,
    /// Sign-in name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role (`reader`, `inspector`, `dispatcher`, `supervisor`, `admin`).
    pub role: String,
    /// Utility slug.
    pub utility: String,
    /// Utility id (the token's `utility` claim).
    pub utility_id: Uuid,
}

/// Sign-in answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// EdDSA-signed JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
    /// Who signed in.
    pub user: LoginUser,
}

/// Signs in with a username and password.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 400, description = "Bad JSON, or the username needs a utility", body = ErrorBody),
        (status = 401, description = "Wrong username or password", body = ErrorBody),
        (status = 422, description = "Missing or unknown fields, or one too long (rule `max_length`)", body = ErrorBody),
        (status = 429, description = "Too many failed attempts", body = ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(request): Json<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let too_long = |field: &str, limit: String| {
        Err(ApiError::validation(
            field,
            Some("max_length"),
            format!("{field} is longer than {limit}"),
        ))
    };
    if request.username.chars().count() > MAX_USERNAME_CHARS {
        return too_long("username", format!("{MAX_USERNAME_CHARS} characters"));
    }
    if request.password.len() > MAX_PASSWORD_BYTES {
        return too_long("password", format!("{MAX_PASSWORD_BYTES} bytes"));
    }
    if request
        .utility
        .as_ref()
        .is_some_and(|u| u.chars().count() > MAX_UTILITY_CHARS)
    {
        return too_long("utility", format!("{MAX_UTILITY_CHARS} characters"));
    }
    let success = auth::login(
        &state,
        &request.username,
        &request.password,
        request.utility.as_deref(),
        ip,
    )
    .await?;
    Ok(Json(LoginResponse {
        access_token: success.access_token,
        token_type: "Bearer".to_string(),
        expires_in: success.expires_in,
        user: LoginUser {
            id: success.user.id,
            username: success.user.username,
            display_name: success.user.display_name,
            role: success.user.role.to_string(),
            utility: success.utility_slug,
            utility_id: success.user.utility_id.0,
        },
    }))
}

/// Refresh request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The device's current refresh token (`flr_…`).
    pub refresh_token: String,
}

/// Refresh answer: a new pair; the presented refresh token is used up.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefreshResponse {
    /// A new access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The next refresh token: keep it and forget the old one.
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: u64,
}

/// Exchanges a device's refresh token for a new access token and refresh token. A refresh
/// token works once: presenting a used one revokes every token of that sign-in.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair", body = RefreshResponse),
        (status = 400, description = "Bad JSON", body = ErrorBody),
        (status = 401, description = "Refused: `invalid_refresh_token`, `refresh_token_expired`, \
            `refresh_token_revoked`, `refresh_token_reused` (the sign-in is now revoked), \
            `user_inactive`, `device_revoked`; sign in again", body = ErrorBody),
        (status = 422, description = "Missing or unknown fields", body = ErrorBody),
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    Json(request): Json<RefreshRequest>,
) -> ApiResult<Json<RefreshResponse>> {
    let pair = auth::refresh::refresh(&state, &request.refresh_token).await?;
    Ok(Json(RefreshResponse {
        access_token: pair.access_token,
        token_type: "Bearer".to_string(),
        expires_in: pair.expires_in,
        refresh_token: pair.refresh.token,
        refresh_expires_in: pair.refresh.expires_in,
    }))
}
