//! The HTTP API, one module per resource. Each module exposes `routes()` (full paths, so the
//! OpenAPI annotations read the same as the router) and `Doc` (its OpenAPI paths); this file
//! merges both. To add a resource: write `routes()` + `Doc` in its module, then add one line to
//! [`routes`] and one to [`openapi::document`].
//!
//! A handler takes `State<AppState>`, an [`AuthUser`](crate::auth::AuthUser) (401 without a valid
//! token; `auth.require(&[..])?` / `auth.require_office()?` for 403), and the error-mapping
//! extractors `crate::http::{Json, Query, Path}`; it returns `ApiResult<Json<T>>` and scopes every
//! store call to `auth.utility_id`. Annotate it with `#[utoipa::path(..., security(("bearer" =
//! [])), responses(..., (status = 401, body = ErrorBody)))]` and list it in the module's `Doc`.

mod accounts;
mod auth;
mod corrections;
mod devices;
mod follow_ups;
mod health;
mod me;
mod meters;
pub mod openapi;
pub mod orders;
mod paging;
mod premises;
mod quarantine;
mod re_reads;
mod reference;
mod routes;
mod sync;
mod users;
mod ws;

pub use paging::page_request;

use crate::http::AppState;
use axum::Router;

/// Every route of the API (`/api/v1/...`, `/api/openapi.json`) and the operational endpoints
/// (`/healthz`, `/readyz`, `/metrics`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(auth::routes())
        .merge(me::routes())
        .merge(users::routes())
        .merge(premises::routes())
        .merge(accounts::routes())
        .merge(meters::routes())
        .merge(routes::routes())
        .merge(orders::routes())
        .merge(follow_ups::routes())
        .merge(corrections::routes())
        .merge(re_reads::routes())
        .merge(reference::routes())
        .merge(devices::routes())
        .merge(quarantine::routes())
        .merge(sync::routes())
        .merge(ws::routes())
        .merge(health::routes())
        .merge(openapi::routes())
}
