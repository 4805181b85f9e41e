//! `POST /api/v1/auth/login`: username and password in, access token out.
//! (`/api/v1/auth/refresh` with device-bound rotating refresh tokens comes with offline sync.)

use crate::auth;
use crate::http::{ApiResult, AppState, ClientIp, ErrorBody, Json};
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/auth/login", post(login))
}

/// OpenAPI paths of this module.
#[derive(utoipa::OpenApi)]
#[openapi(paths(login))]
pub struct Doc;

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
        (status = 422, description = "Missing or unknown fields", body = ErrorBody),
        (status = 429, description = "Too many failed attempts", body = ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(request): Json<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
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
