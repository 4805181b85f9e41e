//! The HTTP API, one module per resource. Each module exposes `routes()` (full paths, so the
//! OpenAPI annotations read the same as the router) and `Doc` (its OpenAPI paths); this file
//! merges both. To add a resource: write `routes()` + `Doc` in its module, then add one line to
//! [`routes`] and one to [`openapi::document`].

mod auth;
mod health;
mod me;
mod meters;
pub mod openapi;
pub mod orders;
mod paging;
mod premises;
mod routes;
mod users;

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
        .merge(meters::routes())
        .merge(routes::routes())
        .merge(orders::routes())
        .merge(health::routes())
        .merge(openapi::routes())
}
