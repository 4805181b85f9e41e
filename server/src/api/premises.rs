//! `GET /api/v1/premises` (search by address, paged) and `GET /api/v1/premises/{id}` (with its
//! meters and accounts), for office roles.

use super::meters::MeterView;
use super::page_request;
use crate::auth::AuthUser;
use crate::http::{ApiResult, AppState, ErrorBody, Json, Path, Query};
use crate::store::{Account, Premise};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use fieldline_core::model::{AccountStatus, Hazard};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/premises", get(search_premises))
        .route("/api/v1/premises/{id}", get(get_premise))
}

/// OpenAPI paths of this module.
#[derive(utoipa::OpenApi)]
#[openapi(paths(search_premises, get_premise))]
pub struct Doc;

/// Search parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PremiseQuery {
    /// Part of the address, case-insensitive.
    pub q: Option<String>,
    /// At most this many items (default 50, at most 1000).
    pub limit: Option<u32>,
    /// Skip this many items first.
    pub offset: Option<u32>,
}

/// A service address.
#[derive(Debug, Serialize, ToSchema)]
pub struct PremiseView {
    /// Premise id.
    pub id: Uuid,
    /// Street address.
    pub address: String,
    /// City.
    pub city: String,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
    /// Gate codes, dogs, keys.
    pub access_notes: Option<String>,
    /// Hazards with their alert level.
    #[schema(value_type = Vec<Object>)]
    pub hazards: Vec<Hazard>,
    /// Service area.
    pub service_area: Option<String>,
    /// Billing book.
    pub book: Option<String>,
}

impl From<Premise> for PremiseView {
    fn from(p: Premise) -> Self {
        PremiseView {
            id: p.id,
            address: p.address,
            city: p.city,
            lat: p.lat,
            lon: p.lon,
            access_notes: p.access_notes,
            hazards: p.hazards,
            service_area: p.service_area,
            book: p.book,
        }
    }
}

/// One page of premises.
#[derive(Debug, Serialize, ToSchema)]
pub struct PremisePage {
    /// This page's premises, by address.
    pub items: Vec<PremiseView>,
    /// How many match in all pages.
    pub total: i64,
    /// The page size used.
    pub limit: u32,
    /// The offset used.
    pub offset: u32,
}

/// A customer account at a premise.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    /// Account id.
    pub id: Uuid,
    /// Account number.
    pub number: String,
    /// Customer of record.
    pub customer_name: String,
    /// Billing status.
    #[schema(value_type = String)]
    pub status: AccountStatus,
    /// Balance, cents.
    pub balance_cents: i64,
    /// Past-due part of the balance, cents.
    pub past_due_cents: i64,
    /// When a disconnect notice was last served.
    pub notice_served_at: Option<DateTime<Utc>>,
    /// Medical certificate on file.
    pub medical_hold: bool,
    /// Life-support equipment registered.
    pub life_support: bool,
    /// On a payment plan.
    pub payment_plan: bool,
    /// When billing last refreshed these facts.
    pub as_of: DateTime<Utc>,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        AccountView {
            id: a.id,
            number: a.number,
            customer_name: a.customer_name,
            status: a.status,
            balance_cents: a.balance_cents,
            past_due_cents: a.past_due_cents,
            notice_served_at: a.notice_served_at,
            medical_hold: a.medical_hold,
            life_support: a.life_support,
            payment_plan: a.payment_plan,
            as_of: a.as_of,
        }
    }
}

/// A premise with its meters and accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PremiseDetail {
    /// The premise.
    #[serde(flatten)]
    pub premise: PremiseView,
    /// Meters installed there.
    pub meters: Vec<MeterView>,
    /// Accounts, newest first.
    pub accounts: Vec<AccountView>,
}

/// Searches the caller's utility's premises by address.
#[utoipa::path(
    get,
    path = "/api/v1/premises",
    tag = "premises",
    params(PremiseQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of premises", body = PremisePage),
        (status = 400, description = "Bad query parameters", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Not an office role", body = ErrorBody),
    )
)]
pub async fn search_premises(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(query): Query<PremiseQuery>,
) -> ApiResult<Json<PremisePage>> {
    auth.require_office()?;
    let page = page_request(query.limit, query.offset);
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let found = state
        .store
        .search_premises(auth.utility_id, q, page)
        .await?;
    Ok(Json(PremisePage {
        items: found.items.into_iter().map(PremiseView::from).collect(),
        total: found.total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// One premise with its meters and accounts.
#[utoipa::path(
    get,
    path = "/api/v1/premises/{id}",
    tag = "premises",
    params(("id" = Uuid, Path, description = "Premise id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The premise", body = PremiseDetail),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Not an office role", body = ErrorBody),
        (status = 404, description = "No such premise in your utility", body = ErrorBody),
    )
)]
pub async fn get_premise(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<PremiseDetail>> {
    auth.require_office()?;
    let premise = state.store.get_premise(auth.utility_id, id).await?;
    let meters = state.store.meters_for_premise(auth.utility_id, id).await?;
    let accounts = state
        .store
        .accounts_for_premise(auth.utility_id, id)
        .await?;
    Ok(Json(PremiseDetail {
        premise: premise.into(),
        meters: meters
            .into_iter()
            .map(|m| MeterView::new(m, true))
            .collect(),
        accounts: accounts.into_iter().map(AccountView::from).collect(),
    }))
}
