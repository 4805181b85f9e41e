//! `GET /api/v1/orders/{id}/follow-ups`: the follow-up orders an order's field work created,
//! and, when the order is itself a follow-up, the order and entry it came from.

use crate::auth::AuthUser;
use crate::http::{ApiError, ApiResult, AppState, ErrorBody, Json, Path};
use crate::orders::OrderError;
use crate::store::FollowUpLink;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/orders/{id}/follow-ups", get(order_follow_ups))
}

/// OpenAPI paths of this module.
#[derive(utoipa::OpenApi)]
#[openapi(paths(order_follow_ups), components(schemas(FollowUps, FollowUpLink)))]
pub struct Doc;

/// An order's follow-up links both ways.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUps {
    /// The order.
    pub order_id: Uuid,
    /// The order and field entry this order was created from, when it is a follow-up.
    pub origin: Option<FollowUpLink>,
    /// The follow-up orders this order's field entries created, oldest first.
    pub follow_ups: Vec<FollowUpLink>,
}

/// An order's follow-ups and origin (office roles).
#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}/follow-ups",
    tag = "orders",
    params(("id" = String, Path, description = "Order id (UUID) or office number")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order's follow-ups and origin", body = FollowUps),
        (status = 400, description = "Not an order id or number", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Not an office role", body = ErrorBody),
        (status = 404, description = "No such order in your utility", body = ErrorBody),
    )
)]
pub async fn order_follow_ups(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<FollowUps>> {
    auth.require_office()?;
    let utility = auth.utility_id;
    let stored = if let Ok(uuid) = id.parse::<Uuid>() {
        state.store.get_order(utility, uuid).await
    } else if let Ok(number) = id.parse::<i64>() {
        state.store.get_order_by_number(utility, number).await
    } else {
        return Err(ApiError::bad_request(
            "invalid_path",
            format!("`{id}` is not an order id (a UUID) or an order number"),
        ));
    }
    .map_err(OrderError::from)?;
    let order_id = stored.summary.id;
    Ok(Json(FollowUps {
        order_id,
        origin: state.store.follow_up_origin(utility, order_id).await?,
        follow_ups: state.store.follow_ups_of(utility, order_id).await?,
    }))
}
