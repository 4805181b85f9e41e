//! `GET /api/v1/meters?serial=` and `GET /api/v1/meters/{id}`: meters with their registers. Every
//! role may look a meter up (a crew checks a serial it found), but only office roles see previous
//! reads, limits and read history: blind re-reads must stay blind on the handheld.

use super::page_request;
use crate::auth::AuthUser;
use crate::http::{ApiResult, AppState, ErrorBody, Json, Path, Query};
use crate::store::{Meter, MeterRead, MeterRegister};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/meters", get(search_meters))
        .route("/api/v1/meters/{id}", get(get_meter))
}

/// OpenAPI paths of this module.
#[derive(utoipa::OpenApi)]
#[openapi(paths(search_meters, get_meter))]
pub struct Doc;

/// Search parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MeterQuery {
    /// Serial number or its beginning.
    pub serial: Option<String>,
    /// At most this many items (default 50, at most 1000).
    pub limit: Option<u32>,
    /// Skip this many items first.
    pub offset: Option<u32>,
}

/// One register of a meter. Previous read and limits are shown to office roles only.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterView {
    /// 1-based register number.
    pub number: u32,
    /// Dials left of the decimal point.
    pub dials_left: u32,
    /// Dials right of the decimal point.
    pub dials_right: u32,
    /// Multiplier.
    pub multiplier: u32,
    /// Unit.
    pub unit: String,
    /// Last actual reading (office roles only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_read: Option<String>,
    /// When it was taken (office roles only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_read_at: Option<DateTime<Utc>>,
    /// Lowest expected next reading (office roles only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low_limit: Option<f64>,
    /// Highest expected next reading (office roles only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high_limit: Option<f64>,
}

impl RegisterView {
    fn new(r: MeterRegister, office: bool) -> Self {
        RegisterView {
            number: r.number,
            dials_left: r.dials_left,
            dials_right: r.dials_right,
            multiplier: r.multiplier,
            unit: r.unit,
            last_read: r.last_read.filter(|_| office),
            last_read_at: r.last_read_at.filter(|_| office),
            low_limit: r.low_limit.filter(|_| office),
            high_limit: r.high_limit.filter(|_| office),
        }
    }
}

/// A meter and its registers.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeterView {
    /// Meter id.
    pub id: Uuid,
    /// Serial / badge number.
    pub serial: String,
    /// Premise it is installed at.
    pub premise_id: Option<Uuid>,
    /// Size.
    pub size: String,
    /// Where it is at the premise.
    pub location_code: Option<String>,
    /// `active`, `removed`, `in_stock`.
    pub status: String,
    /// When it was installed.
    pub installed_at: Option<DateTime<Utc>>,
    /// Registers by number.
    pub registers: Vec<RegisterView>,
}

impl MeterView {
    /// The view of `meter`; `office` decides whether reads and limits are shown.
    pub fn new(meter: Meter, office: bool) -> Self {
        MeterView {
            id: meter.id,
            serial: meter.serial,
            premise_id: meter.premise_id,
            size: meter.size,
            location_code: meter.location_code,
            status: meter.status,
            installed_at: meter.installed_at,
            registers: meter
                .registers
                .into_iter()
                .map(|r| RegisterView::new(r, office))
                .collect(),
        }
    }
}

/// One page of meters.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeterPage {
    /// This page's meters, by serial.
    pub items: Vec<MeterView>,
    /// How many match in all pages.
    pub total: i64,
    /// The page size used.
    pub limit: u32,
    /// The offset used.
    pub offset: u32,
}

/// One historical read.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadView {
    /// Register number.
    pub register: u32,
    /// Value as the register showed it.
    pub value: String,
    /// When it was read.
    pub read_at: DateTime<Utc>,
    /// `actual` or `estimated`.
    pub kind: String,
}

impl From<MeterRead> for ReadView {
    fn from(r: MeterRead) -> Self {
        ReadView {
            register: r.register,
            value: r.value,
            read_at: r.read_at,
            kind: r.kind.as_str().to_string(),
        }
    }
}

/// A meter with its read history (history for office roles only).
#[derive(Debug, Serialize, ToSchema)]
pub struct MeterDetail {
    /// The meter.
    #[serde(flatten)]
    pub meter: MeterView,
    /// Read history, oldest first per register (office roles only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reads: Option<Vec<ReadView>>,
}

/// Meters of the caller's utility whose serial starts with `serial`.
#[utoipa::path(
    get,
    path = "/api/v1/meters",
    tag = "meters",
    params(MeterQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of meters", body = MeterPage),
        (status = 400, description = "Bad query parameters", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
    )
)]
pub async fn search_meters(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(query): Query<MeterQuery>,
) -> ApiResult<Json<MeterPage>> {
    let office = auth.role.is_office();
    let page = page_request(query.limit, query.offset);
    let serial = query
        .serial
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let found = state
        .store
        .search_meters(auth.utility_id, serial, page)
        .await?;
    Ok(Json(MeterPage {
        items: found
            .items
            .into_iter()
            .map(|m| MeterView::new(m, office))
            .collect(),
        total: found.total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// One meter with its registers, and its read history for office roles.
#[utoipa::path(
    get,
    path = "/api/v1/meters/{id}",
    tag = "meters",
    params(("id" = Uuid, Path, description = "Meter id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The meter", body = MeterDetail),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 404, description = "No such meter in your utility", body = ErrorBody),
    )
)]
pub async fn get_meter(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<MeterDetail>> {
    let office = auth.role.is_office();
    let meter = state.store.get_meter(auth.utility_id, id).await?;
    let reads = if office {
        let reads = state.store.meter_reads(auth.utility_id, id).await?;
        Some(reads.into_iter().map(ReadView::from).collect())
    } else {
        None
    };
    Ok(Json(MeterDetail {
        meter: MeterView::new(meter, office),
        reads,
    }))
}
