//! `POST /api/v1/orders/{id}/corrections/{entry_id}`: the office accepts or dismisses a reader's
//! correction of the meter record (see [`crate::orders::corrections`]).

use crate::auth::AuthUser;
use crate::http::{ApiError, ApiResult, AppState, ErrorBody, Json, Path};
use crate::orders::OrderDetail;
use crate::orders::corrections::{self, CorrectionDecision};
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use fieldline_core::ReviewDecision;
use fieldline_core::document::MAX_TEXT_BYTES;
use serde::Deserialize;
use utoipa::ToSchema;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/v1/orders/{id}/corrections/{entry_id}",
        post(decide_correction),
    )
}

/// OpenAPI paths of this module.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(decide_correction),
    components(schemas(DecisionRequest, Decision))
)]
pub struct Doc;

/// What the office decides about a meter-record correction.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Apply the corrections to the meter record.
    Accept,
    /// Leave the meter record as it is.
    Dismiss,
}

/// The decision and an optional note for the order's log.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `accept` or `dismiss`.
    pub decision: Decision,
    /// Why (kept in the office log with the decision).
    pub note: Option<String>,
}

/// Accepts or dismisses a reader's meter-record correction (field entry `entry_id`, a
/// `meter_correction` capture). Accept corrects the meter record (and the premise's access
/// notes) and records the decision in the order's office log in one transaction; dismiss only
/// records it. Both resolve the entry's `meter_info_correction` exceptions; of two concurrent
/// decisions one lands and the other is 409.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/corrections/{entry_id}",
    tag = "orders",
    params(
        ("id" = String, Path, description = "Order id (UUID) or office number"),
        ("entry_id" = String, Path, description = "The field entry of the meter correction"),
    ),
    request_body = DecisionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order with the decision in its office log"),
        (status = 400, description = "Not an order id or number", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Not an office role", body = ErrorBody),
        (status = 404, description = "No such order in your utility", body = ErrorBody),
        (status = 409, description = "Already decided, the meter record changed since the reading, or the new serial is another meter's", body = ErrorBody),
        (status = 422, description = "Not a meter-correction entry of this order, or the note is too long", body = ErrorBody),
    )
)]
pub async fn decide_correction(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, entry_id)): Path<(String, String)>,
    Json(body): Json<DecisionRequest>,
) -> ApiResult<Json<OrderDetail>> {
    auth.require_office()?;
    if body
        .note
        .as_ref()
        .is_some_and(|n| n.len() > MAX_TEXT_BYTES / 2)
    {
        return Err(ApiError::validation(
            "note",
            None,
            format!("keep the note under {} bytes", MAX_TEXT_BYTES / 2),
        ));
    }
    let stored = super::orders::visible_order(&state, &auth, &id).await?;
    let by = state.store.get_user(auth.utility_id, auth.user_id).await?;
    let decided = CorrectionDecision {
        decision: match body.decision {
            Decision::Accept => ReviewDecision::Accepted,
            Decision::Dismiss => ReviewDecision::Dismissed,
        },
        note: body.note,
    };
    let detail = corrections::decide(
        state.store.as_ref(),
        auth.utility_id,
        &by,
        stored.summary.id,
        &entry_id,
        decided,
        state.now(),
    )
    .await?;
    // The crew that holds the order learns of the note.
    let assignee = detail.summary.projection.assignee_id;
    state
        .push
        .poke_for_changes(auth.utility_id, &[(assignee, assignee)])
        .await;
    Ok(Json(detail))
}
