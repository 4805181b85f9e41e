//! `GET /api/v1/users`: the utility's users, for office roles.

use crate::auth::AuthUser;
use crate::http::{ApiResult, AppState, ErrorBody, Json};
use crate::store::User;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/users", get(list_users))
}

/// OpenAPI paths of this module.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list_users))]
pub struct Doc;

/// A user as the office sees it (never the password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// User id.
    pub id: Uuid,
    /// Sign-in name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: String,
    /// Whether the user may sign in.
    pub active: bool,
    /// When the user was created.
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        UserView {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            role: user.role.to_string(),
            active: user.active,
            created_at: user.created_at,
        }
    }
}

/// The users of the caller's utility.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Users by username", body = Vec<UserView>),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Not an office role", body = ErrorBody),
    )
)]
pub async fn list_users(
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<Json<Vec<UserView>>> {
    auth.require_office()?;
    let users = state.store.list_users(auth.utility_id).await?;
    Ok(Json(users.into_iter().map(UserView::from).collect()))
}
