//! `/api/v1/orders`: list, read, create and act on work orders. Every office action goes through
//! the order's automerge document (the same one devices sync) via the order service, so status
//! and exceptions are always the core's derivation. Field roles see only their own orders.

use crate::api::page_request;
use crate::auth::AuthUser;
use crate::http::{ApiError, ApiResult, AppState, ErrorBody, Json, Path, Query};
use crate::orders::{self, NewOrderRequest, OrderDetail, OrderDetailsRequest, OrderError};
use crate::store::{
    AssigneeFilter, ChangeRecord, OrderFilter, OrderSummary, StoredOrder, UtilityId,
};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use fieldline_core::{OfficeAction, OrderType, Status};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orders", get(list_orders).post(create_order))
        .route("/api/v1/orders/{id}", get(get_order))
        .route("/api/v1/orders/{id}/history", get(order_history))
        .route("/api/v1/orders/{id}/assign", post(assign_order))
        .route("/api/v1/orders/{id}/unassign", post(unassign_order))
        .route("/api/v1/orders/{id}/cancel", post(cancel_order))
        .route("/api/v1/orders/{id}/notes", post(add_note))
        .route("/api/v1/orders/{id}/close", post(close_order))
}

/// OpenAPI paths of the order endpoints.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list_orders,
        create_order,
        get_order,
        order_history,
        assign_order,
        unassign_order,
        cancel_order,
        add_note,
        close_order
    ),
    components(schemas(
        NewOrderRequest,
        OrderDetailsRequest,
        OrderListItem,
        OrderList,
        AssignRequest,
        ReasonRequest,
        NoteRequest,
        CloseRequest,
        HistoryEntry
    ))
)]
pub struct Doc;

impl From<OrderError> for ApiError {
    fn from(err: OrderError) -> Self {
        match err {
            OrderError::NotFound => ApiError::not_found("no order with that id in your utility"),
            OrderError::Invalid { field, message } => ApiError::validation(field, None, message),
            OrderError::Refused(refusal) => {
                ApiError::validation(refusal.field, Some(&refusal.rule), refusal.message)
            }
            OrderError::Conflict { field, message } => {
                ApiError::conflict(format!("{field}: {message}"))
            }
            OrderError::Busy => ApiError::conflict(
                "the order is being changed by someone else right now: try again",
            ),
            OrderError::Document(e) => ApiError::Internal(e.into()),
            OrderError::Store(e) => e.into(),
        }
    }
}

/// Filters and paging of the order list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this status (`unassigned`, `assigned`, … `completed`, `cancelled`, `closed`).
    status: Option<String>,
    /// Only this order type (`cycle_read`, `turn_on`, …).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    order_type: Option<String>,
    /// Only this assignee's username, or `unassigned`.
    assignee: Option<String>,
    /// Only this route code (then in walk order).
    route: Option<String>,
    /// Page size (1–1000, default 50).
    limit: Option<u32>,
    /// Items to skip.
    offset: Option<u32>,
}

/// One order in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderListItem {
    /// Document id.
    pub id: Uuid,
    /// Office number.
    pub number: i64,
    /// Order type.
    pub order_type: String,
    /// Derived status.
    pub status: String,
    /// Priority.
    pub priority: String,
    /// Source.
    pub source: String,
    /// Assignee username.
    pub assignee: Option<String>,
    /// Route code.
    pub route: Option<String>,
    /// Walk sequence.
    pub sequence: Option<u32>,
    /// Premise id.
    pub premise_id: Option<Uuid>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
    /// Due time.
    pub due_at: Option<DateTime<Utc>>,
    /// Exception codes to review.
    pub exceptions: Vec<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A page of orders.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderList {
    /// The orders of this page.
    pub items: Vec<OrderListItem>,
    /// Matching orders in all pages.
    pub total: i64,
    /// Page size used.
    pub limit: u32,
    /// Items skipped.
    pub offset: u32,
}

/// Names of users and routes of a utility, to show usernames and codes instead of ids.
struct Names {
    users: HashMap<Uuid, String>,
    routes: HashMap<Uuid, String>,
}

impl Names {
    async fn load(state: &AppState, utility: UtilityId) -> ApiResult<Names> {
        let users = state.store.list_users(utility).await?;
        let routes = state.store.list_routes(utility).await?;
        Ok(Names {
            users: users.into_iter().map(|u| (u.id, u.username)).collect(),
            routes: routes.into_iter().map(|r| (r.id, r.code)).collect(),
        })
    }

    fn item(&self, summary: OrderSummary) -> OrderListItem {
        let p = summary.projection;
        OrderListItem {
            id: summary.id,
            number: summary.number,
            order_type: p.order_type.to_string(),
            status: p.status.to_string(),
            priority: p.priority.to_string(),
            source: p.source.to_string(),
            assignee: p.assignee_id.and_then(|id| self.users.get(&id).cloned()),
            route: p.route_id.and_then(|id| self.routes.get(&id).cloned()),
            sequence: p.sequence,
            premise_id: p.premise_id,
            lat: p.lat,
            lon: p.lon,
            due_at: p.due_at,
            exceptions: p.exceptions.into_iter().map(|e| e.code).collect(),
            updated_at: summary.updated_at,
        }
    }
}

/// Lists orders. Office roles see every order of their utility; readers and inspectors only the
/// orders assigned to them.
#[utoipa::path(
    get,
    path = "/api/v1/orders",
    tag = "orders",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of orders", body = OrderList),
        (status = 400, description = "A filter value is not valid", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
    )
)]
pub async fn list_orders(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<OrderList>> {
    let utility = auth.utility_id;
    let mut filter = OrderFilter {
        status: match &query.status {
            Some(s) => Some(Status::parse(s).ok_or_else(|| {
                invalid_filter("status", s, Status::ALL.iter().map(|s| s.as_str()))
            })?),
            None => None,
        },
        order_type: match &query.order_type {
            Some(t) => Some(OrderType::parse(t).ok_or_else(|| {
                invalid_filter("type", t, OrderType::ALL.iter().map(|t| t.as_str()))
            })?),
            None => None,
        },
        assignee: None,
        route_id: None,
    };
    if let Some(name) = &query.assignee {
        filter.assignee = Some(if name == "unassigned" {
            AssigneeFilter::Unassigned
        } else {
            match state.store.get_user_by_username(utility, name).await {
                Ok(user) => AssigneeFilter::User(user.id),
                Err(crate::store::StoreError::NotFound) => {
                    return Err(bad_query(
                        "invalid_query",
                        "assignee",
                        format!("there is no user `{name}`: give a username or `unassigned`"),
                    ));
                }
                Err(other) => return Err(other.into()),
            }
        });
    }
    if let Some(code) = &query.route {
        match state.store.get_route_by_code(utility, code).await {
            Ok(route) => filter.route_id = Some(route.id),
            Err(crate::store::StoreError::NotFound) => {
                return Err(bad_query(
                    "invalid_query",
                    "route",
                    format!("there is no route `{code}`"),
                ));
            }
            Err(other) => return Err(other.into()),
        }
    }
    if auth.role.is_field() {
        // A crew sees only its own work, whatever it asked for.
        filter.assignee = Some(AssigneeFilter::User(auth.user_id));
    }
    let page = page_request(query.limit, query.offset);
    let found = state.store.list_orders(utility, &filter, page).await?;
    let names = Names::load(&state, utility).await?;
    Ok(Json(OrderList {
        items: found.items.into_iter().map(|s| names.item(s)).collect(),
        total: found.total,
        limit: page.limit,
        offset: page.offset,
    }))
}

fn bad_query(_code: &'static str, field: &str, message: String) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_query",
        message,
        field: Some(field.to_string()),
    }
}

fn invalid_filter<'a>(field: &str, value: &str, valid: impl Iterator<Item = &'a str>) -> ApiError {
    let valid: Vec<&str> = valid.collect();
    bad_query(
        "invalid_query",
        field,
        format!(
            "`{value}` is not a {field}: use one of {}",
            valid.join(", ")
        ),
    )
}

/// Creates an order. The premise, meter and account are snapshotted into the order's document;
/// `assignee` assigns it at once.
#[utoipa::path(
    post,
    path = "/api/v1/orders",
    tag = "orders",
    request_body = NewOrderRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new order (see GET /api/v1/orders/{id})"),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 403, description = "Not an office role", body = ErrorBody),
        (status = 422, description = "A field is invalid; `field` says which", body = ErrorBody),
    )
)]
pub async fn create_order(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(request): Json<NewOrderRequest>,
) -> ApiResult<(StatusCode, Json<OrderDetail>)> {
    auth.require_office()?;
    let by = state.store.get_user(auth.utility_id, auth.user_id).await?;
    let detail = orders::create_order(
        state.store.as_ref(),
        auth.utility_id,
        &by,
        request,
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

/// Finds an order by document id or office number, visible to the caller.
pub(crate) async fn visible_order(
    state: &AppState,
    auth: &AuthUser,
    id: &str,
) -> ApiResult<StoredOrder> {
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
    if auth.role.is_field() && stored.summary.projection.assignee_id != Some(auth.user_id) {
        // Not theirs: answer as if it did not exist, so crews cannot probe other orders.
        return Err(OrderError::NotFound.into());
    }
    Ok(stored)
}

/// One order: office data, the office log, the field work as a timeline, derived status and
/// exceptions.
///
/// `field` lists the crew's entries in causal order: every entry comes after each entry its
/// writer had seen (the document's change history, never device clocks). Entries made without
/// either having seen the other (two devices offline) are ordered by device time, then entry id,
/// so every read of the same document gives the same timeline. Each entry keeps the document's
/// fields (`id`, `action`, `context` with the device's claimed user, time and GPS, `assessment`
/// with its flags, `rules_version`, `reference_version`, `origin`) and adds `user` and
/// `device_id` (who the server bound the change to), `device_time` (RFC 3339), `received_at`
/// (when the server received it; null if it has no log row), `exceptions` (codes of the order's
/// exceptions naming the entry) and `concurrent_with` (ids of the entries it is concurrent with).
#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}",
    tag = "orders",
    params(("id" = String, Path, description = "Order id (UUID) or office number")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order with its document's contents and derivation; \
            `field` is the crew's work in causal order, concurrent entries by device time then \
            entry id"),
        (status = 404, description = "No such order in your utility", body = ErrorBody),
    )
)]
pub async fn get_order(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderDetail>> {
    let stored = visible_order(&state, &auth, &id).await?;
    Ok(Json(
        orders::detail(state.store.as_ref(), auth.utility_id, stored.summary.id).await?,
    ))
}

/// One entry of an order's audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    /// Position in the order's log.
    pub position: i64,
    /// Change hash.
    pub hash: String,
    /// What the change did (`office:assign`, `field:reading`).
    pub summary: String,
    /// Who made it (username), from the server's binding, never from the change.
    pub user: Option<String>,
    /// The device it came from (none for office edits made on the server).
    pub device_id: Option<Uuid>,
    /// The device's clock when it was made (a claim).
    pub device_time: Option<DateTime<Utc>>,
    /// When the server received it.
    pub received_at: DateTime<Utc>,
    /// The automerge actor, hex.
    pub actor: String,
}

/// The audit trail of an order: every change with user, device, device time and server time.
#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}/history",
    tag = "orders",
    params(("id" = String, Path, description = "Order id (UUID) or office number")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changes in log order", body = Vec<HistoryEntry>),
        (status = 403, description = "Not an office role", body = ErrorBody),
        (status = 404, description = "No such order in your utility", body = ErrorBody),
    )
)]
pub async fn order_history(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<HistoryEntry>>> {
    auth.require_office()?;
    let stored = visible_order(&state, &auth, &id).await?;
    let history = state
        .store
        .order_history(auth.utility_id, stored.summary.id)
        .await?;
    let names = Names::load(&state, auth.utility_id).await?;
    Ok(Json(
        history
            .into_iter()
            .map(
                |ChangeRecord {
                     position, change, ..
                 }| HistoryEntry {
                    position,
                    user: change.user_id.and_then(|id| names.users.get(&id).cloned()),
                    hash: change.hash,
                    summary: change.summary,
                    device_id: change.device_id,
                    device_time: change.device_time,
                    received_at: change.received_at,
                    actor: change.actor,
                },
            )
            .collect(),
    ))
}

/// Body of an assignment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// Username of the reader or inspector.
    pub assignee: String,
    /// Why (shown in the history).
    pub reason: Option<String>,
}

/// Body of an action that takes a reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Why.
    pub reason: Option<String>,
}

/// Body of a note to the crew.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    /// The note.
    pub text: String,
}

/// Body of a review close.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// Review note.
    pub note: Option<String>,
}

async fn office_action(
    state: &AppState,
    auth: &AuthUser,
    id: &str,
    action: OfficeAction,
) -> ApiResult<Json<OrderDetail>> {
    auth.require_office()?;
    let stored = visible_order(state, auth, id).await?;
    let by = state.store.get_user(auth.utility_id, auth.user_id).await?;
    let (detail, assignees) = orders::apply_office_action_traced(
        state.store.as_ref(),
        auth.utility_id,
        &by,
        stored.summary.id,
        action,
        state.now(),
    )
    .await?;
    // After the commit: the old assignee learns of a revocation, the new one of the order.
    state
        .push
        .poke_for_changes(auth.utility_id, &[assignees])
        .await;
    Ok(Json(detail))
}

/// Assigns (or reassigns) an order to a reader or inspector. A crew that was working it offline
/// keeps its work; the order then shows `worked_after_reassign`.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/assign",
    tag = "orders",
    params(("id" = String, Path, description = "Order id (UUID) or office number")),
    request_body = AssignRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order after the assignment"),
        (status = 403, description = "Not an office role", body = ErrorBody),
        (status = 404, description = "No such order in your utility", body = ErrorBody),
        (status = 422, description = "Not a field user, or the order is finished", body = ErrorBody),
    )
)]
pub async fn assign_order(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    Json(body): Json<AssignRequest>,
) -> ApiResult<Json<OrderDetail>> {
    let action = OfficeAction::Assign {
        assignee: body.assignee,
        reason: body.reason,
    };
    office_action(&state, &auth, &id, action).await
}

/// Takes an order back from its assignee.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/unassign",
    tag = "orders",
    params(("id" = String, Path, description = "Order id (UUID) or office number")),
    request_body = ReasonRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order after the change"),
        (status = 422, description = "Nothing to take back", body = ErrorBody),
    )
)]
pub async fn unassign_order(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    Json(body): Json<ReasonRequest>,
) -> ApiResult<Json<OrderDetail>> {
    office_action(
        &state,
        &auth,
        &id,
        OfficeAction::Unassign {
            reason: body.reason,
        },
    )
    .await
}

/// Cancels an order (a reason is required). If the crew completes it offline meanwhile, their
/// work is kept and the order shows `completed_after_cancel`.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/cancel",
    tag = "orders",
    params(("id" = String, Path, description = "Order id (UUID) or office number")),
    request_body = ReasonRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order after the cancellation"),
        (status = 422, description = "No reason, or the order is already finished", body = ErrorBody),
    )
)]
pub async fn cancel_order(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    Json(body): Json<ReasonRequest>,
) -> ApiResult<Json<OrderDetail>> {
    let reason = body.reason.unwrap_or_default();
    office_action(&state, &auth, &id, OfficeAction::Cancel { reason }).await
}

/// Adds a note for the crew.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/notes",
    tag = "orders",
    params(("id" = String, Path, description = "Order id (UUID) or office number")),
    request_body = NoteRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The order with the note"),
        (status = 422, description = "Empty or too long", body = ErrorBody),
    )
)]
pub async fn add_note(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    Json(body): Json<NoteRequest>,
) -> ApiResult<Json<OrderDetail>> {
    office_action(
        &state,
        &auth,
        &id,
        OfficeAction::Note {
            text: body.text,
            review: None,
        },
    )
    .await
}

/// Closes a finished order after review.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/close",
    tag = "orders",
    params(("id" = String, Path, description = "Order id (UUID) or office number")),
    request_body = CloseRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The closed order"),
        (status = 422, description = "The order is not finished", body = ErrorBody),
    )
)]
pub async fn close_order(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    Json(body): Json<CloseRequest>,
) -> ApiResult<Json<OrderDetail>> {
    office_action(&state, &auth, &id, OfficeAction::Close { note: body.note }).await
}
