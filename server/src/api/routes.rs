//! `GET /api/v1/routes`: the utility's readers' routes, for office roles.

use crate::auth::AuthUser;
use crate::http::{ApiResult, AppState, ErrorBody, Json};
use crate::store::Route;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/routes", get(list_routes))
}

/// OpenAPI paths of this module.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list_routes))]
pub struct Doc;

/// A readers' route.
#[derive(Debug, Serialize, ToSchema)]
pub struct RouteView {
    /// Route id.
    pub id: Uuid,
    /// Short code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Billing cycle.
    pub cycle: Option<String>,
    /// Billing book.
    pub book: Option<String>,
    /// Day it is scheduled to be read.
    pub scheduled_day: Option<NaiveDate>,
    /// The user who normally walks it.
    pub default_assignee: Option<Uuid>,
}

impl From<Route> for RouteView {
    fn from(r: Route) -> Self {
        RouteView {
            id: r.id,
            code: r.code,
            name: r.name,
            cycle: r.cycle,
            book: r.book,
            scheduled_day: r.scheduled_day,
            default_assignee: r.default_assignee,
        }
    }
}

/// The routes of the caller's utility, by code.
#[utoipa::path(
    get,
    path = "/api/v1/routes",
    tag = "routes",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Routes by code", body = Vec<RouteView>),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Not an office role", body = ErrorBody),
    )
)]
pub async fn list_routes(
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<Json<Vec<RouteView>>> {
    auth.require_office()?;
    let routes = state.store.list_routes(auth.utility_id).await?;
    Ok(Json(routes.into_iter().map(RouteView::from).collect()))
}
