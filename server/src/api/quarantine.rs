//! `GET /api/v1/admin/quarantine`: the uploaded changes the trusted merge refused (a permission,
//! the schema, a limit, or a rule that held as the device saw the order), with why, the order,
//! the device and the user, newest first. For admins and supervisors: a quarantined change means
//! a broken or hostile client.

use super::page_request;
use crate::auth::AuthUser;
use crate::http::{ApiResult, AppState, ErrorBody, Json, Query};
use crate::store::QuarantinedChange;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use fieldline_core::model::Role;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/admin/quarantine", get(list_quarantine))
}

/// OpenAPI paths of this module.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list_quarantine))]
pub struct Doc;

/// Paging parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QuarantineQuery {
    /// At most this many items (default 50, at most 1000).
    pub limit: Option<u32>,
    /// Skip this many items first.
    pub offset: Option<u32>,
}

/// One quarantined change.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuarantinedView {
    /// The order it was uploaded for.
    pub order_id: Uuid,
    /// The automerge change hash, hex.
    pub change_hash: String,
    /// Stable reason code (`office_write`, `field_edit`, `schema`, `rule`, `actor_not_bound`,
    /// `not_assigned`, `depends_on_quarantined`...).
    pub code: String,
    /// What was wrong.
    pub message: String,
    /// The rule that refused it, for `rule`.
    pub rule: Option<String>,
    /// The field the rule or schema check named.
    pub field: Option<String>,
    /// The device that uploaded it.
    pub device_id: Uuid,
    /// The user signed in on that device.
    pub user_id: Uuid,
    /// When the server received it.
    pub received_at: DateTime<Utc>,
}

impl From<QuarantinedChange> for QuarantinedView {
    fn from(q: QuarantinedChange) -> Self {
        QuarantinedView {
            order_id: q.order_id,
            change_hash: q.change_hash,
            code: q.code,
            message: q.message,
            rule: q.rule,
            field: q.field,
            device_id: q.device_id,
            user_id: q.user_id,
            received_at: q.received_at,
        }
    }
}

/// One page of quarantined changes.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuarantinePage {
    /// This page's changes, newest first.
    pub items: Vec<QuarantinedView>,
    /// How many there are in all pages.
    pub total: i64,
    /// The page size used.
    pub limit: u32,
    /// The offset used.
    pub offset: u32,
}

/// Quarantined changes of the caller's utility, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/quarantine",
    tag = "sync",
    params(QuarantineQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of quarantined changes", body = QuarantinePage),
        (status = 400, description = "Bad query parameters", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Not an admin or supervisor", body = ErrorBody),
    )
)]
pub async fn list_quarantine(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(query): Query<QuarantineQuery>,
) -> ApiResult<Json<QuarantinePage>> {
    auth.require(&[Role::Admin, Role::Supervisor])?;
    let page = page_request(query.limit, query.offset);
    let found = state.store.list_quarantine(auth.utility_id, page).await?;
    Ok(Json(QuarantinePage {
        items: found.items.into_iter().map(QuarantinedView::from).collect(),
        total: found.total,
        limit: page.limit,
        offset: page.offset,
    }))
}
