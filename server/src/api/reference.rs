//! `GET /api/v1/reference` (any signed-in user: the current reference data, as devices use it)
//! and `PUT /api/v1/reference` (admins: publish the next version, validated by the core's
//! types and the rules' needs; every earlier version is kept).

use crate::auth::AuthUser;
use crate::http::{ApiResult, AppState, ErrorBody, Json};
use crate::reference;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fieldline_core::Role;
use fieldline_core::reference::ReferenceData;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/reference", get(get_reference).put(put_reference))
}

/// OpenAPI paths of this module.
#[derive(utoipa::OpenApi)]
#[openapi(paths(get_reference, put_reference))]
pub struct Doc;

/// The current reference data (codes, checklists, policy) with its version. Devices send
/// `If-None-Match: "<their version>"` and get 304 when it is still current.
#[utoipa::path(
    get,
    path = "/api/v1/reference",
    tag = "reference",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The current reference data; `ETag` is its version", body = Object),
        (status = 304, description = "`If-None-Match` named the current version"),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
    )
)]
pub async fn get_reference(
    State(state): State<AppState>,
    auth: AuthUser,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let current = reference::current(state.store.as_ref(), auth.utility_id).await?;
    let etag = format!("\"{}\"", current.version);
    let have = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if have == Some(etag.as_str()) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    Ok(([(header::ETAG, etag)], Json(current)).into_response())
}

/// Publishes the next version of the reference data (admins). Send the whole data with
/// `version` = current + 1.
#[utoipa::path(
    put,
    path = "/api/v1/reference",
    tag = "reference",
    request_body(content = Object, description = "The whole reference data, version = current + 1"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Published; the new current version", body = Object),
        (status = 400, description = "Not reference data (the message names the field)", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, description = "Not the next version (someone published meanwhile)", body = ErrorBody),
        (status = 422, description = "Duplicate codes, impossible hours or seal format, too large", body = ErrorBody),
    )
)]
pub async fn put_reference(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(body): Json<ReferenceData>,
) -> ApiResult<Json<ReferenceData>> {
    auth.require(&[Role::Admin])?;
    let by = state.store.get_user(auth.utility_id, auth.user_id).await?;
    Ok(Json(
        reference::publish(
            state.store.as_ref(),
            auth.utility_id,
            &by,
            body,
            state.now(),
        )
        .await?,
    ))
}
