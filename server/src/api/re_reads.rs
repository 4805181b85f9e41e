//! `POST /api/v1/re-reads` creates a blind re-read (the disputed and previous values stay on
//! the server); `GET /api/v1/orders/{id}/re-read` shows those values and the server's
//! comparison once the re-read's reading arrived. Office roles only.

use crate::auth::AuthUser;
use crate::http::{ApiError, ApiResult, AppState, ErrorBody, Json, Path};
use crate::orders::re_read::{self, DisputedRead, ReReadRequest};
use crate::orders::{OrderDetail, OrderError};
use crate::store::{HiddenRegister, ReReadOutcome};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/re-reads", post(create_re_read))
        .route("/api/v1/orders/{id}/re-read", get(re_read_state))
}

/// OpenAPI paths of this module.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create_re_read, re_read_state),
    components(schemas(
        ReReadRequest,
        DisputedRead,
        ReReadState,
        HiddenRegister,
        ReReadOutcome
    ))
)]
pub struct Doc;

/// A re-read's hidden values and comparison.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReReadState {
    /// The re-read order.
    pub order_id: Uuid,
    /// Per register: the disputed and previous reads and the limits (never sent to devices).
    pub hidden: Vec<HiddenRegister>,
    /// The server's comparison, once every disputed register was read.
    pub outcome: Option<ReReadOutcome>,
}

/// Creates a blind re-read of a meter (office roles).
#[utoipa::path(
    post,
    path = "/api/v1/re-reads",
    tag = "orders",
    request_body = ReReadRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The re-read, blind"),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Not an office role", body = ErrorBody),
        (status = 422, description = "Unknown meter or reader, bad disputed read, or an audit given to the audited reader", body = ErrorBody),
    )
)]
pub async fn create_re_read(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(body): Json<ReReadRequest>,
) -> ApiResult<(StatusCode, Json<OrderDetail>)> {
    auth.require_office()?;
    let by = state.store.get_user(auth.utility_id, auth.user_id).await?;
    let detail = re_read::create_re_read(
        state.store.as_ref(),
        auth.utility_id,
        &by,
        body,
        state.now(),
    )
    .await?;
    state
        .push
        .poke_for_changes(
            auth.utility_id,
            &[(None, detail.summary.projection.assignee_id)],
        )
        .await;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// A re-read's hidden values and the server's comparison (office roles).
#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}/re-read",
    tag = "orders",
    params(("id" = Uuid, Path, description = "Order id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Hidden values and outcome", body = ReReadState),
        (status = 400, description = "Not an order id", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Not an office role", body = ErrorBody),
        (status = 404, description = "No such order in your utility", body = ErrorBody),
    )
)]
pub async fn re_read_state(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<ReReadState>> {
    auth.require_office()?;
    let Ok(order_id) = id.parse::<Uuid>() else {
        return Err(ApiError::bad_request(
            "invalid_path",
            format!("`{id}` is not an order id (a UUID)"),
        ));
    };
    let utility = auth.utility_id;
    state
        .store
        .get_order(utility, order_id)
        .await
        .map_err(OrderError::from)?;
    Ok(Json(ReReadState {
        order_id,
        hidden: state.store.re_read_values(utility, order_id).await?,
        outcome: state.store.re_read_outcome(utility, order_id).await?,
    }))
}
