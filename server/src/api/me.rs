//! `GET /api/v1/me`: who the token speaks for, for every role.

use crate::auth::AuthUser;
use crate::http::{ApiError, ApiResult, AppState, ErrorBody, Json};
use crate::store::StoreError;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/me", get(me))
}

/// OpenAPI paths of this module.
#[derive(utoipa::OpenApi)]
#[openapi(paths(me))]
pub struct Doc;

/// The signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// User id.
    pub id: Uuid,
    /// Sign-in name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: String,
    /// The user's utility.
    pub utility: MeUtility,
}

/// The signed-in user's utility.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeUtility {
    /// Utility id.
    pub id: Uuid,
    /// Short name used at sign-in.
    pub slug: String,
    /// Display name.
    pub name: String,
}

/// The signed-in user and their utility.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in user", body = Me),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
    )
)]
pub async fn me(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Me>> {
    let user = match state.store.get_user(auth.utility_id, auth.user_id).await {
        Ok(user) if user.active => user,
        Ok(_) | Err(StoreError::NotFound) => {
            return Err(ApiError::unauthorized(
                "this user no longer exists or was deactivated: sign in again",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let utility = state.store.get_utility(auth.utility_id).await?;
    Ok(Json(Me {
        id: user.id,
        username: user.username,
        display_name: user.display_name,
        role: user.role.to_string(),
        utility: MeUtility {
            id: utility.id.0,
            slug: utility.slug,
            name: utility.name,
        },
    }))
}
