//! `GET /api/v1/ws`: the poke channel. After the upgrade the server sends `{"type":"hello"}`,
//! then `{"type":"changed"}` when something changed for the signed-in user; the client answers
//! each by syncing through `POST /api/v1/sync`. No data travels here.
//!
//! Auth is checked before the upgrade (a 401 JSON error otherwise), with the access token from
//! `Authorization: Bearer …` or, for browsers (their WebSocket API cannot set headers), from
//! `?access_token=…`. A token in a URL can end up in proxy logs and browser history; this server
//! never logs query strings, tokens are short-lived, and the channel carries no data, so the
//! trade-off is acceptable here. Clients that can set headers should.

use crate::auth::AuthUser;
use crate::http::{ApiError, AppState, ErrorBody, Query};
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/ws", get(connect))
}

/// OpenAPI paths of this module.
#[derive(utoipa::OpenApi)]
#[openapi(paths(connect))]
pub struct Doc;

/// Query parameters of the upgrade.
#[derive(Debug, Deserialize)]
pub struct WsParams {
    /// The access token, for clients that cannot send an `Authorization` header.
    pub access_token: Option<String>,
}

/// Opens the poke channel (WebSocket). Server messages are text frames: `{"type":"hello"}` once,
/// then `{"type":"changed"}` (at most one per `push.coalesce_ms`) whenever the user should
/// sync. Client text is ignored; binary messages or messages over
/// `push.max_client_message_bytes` close the connection. Past `push.max_connections_per_user`
/// open connections, the user's oldest is closed with code 1008.
#[utoipa::path(
    get,
    path = "/api/v1/ws",
    tag = "sync",
    params(("access_token" = Option<String>, Query,
        description = "Access token, when the client cannot send `Authorization: Bearer`")),
    security(("bearer" = [])),
    responses(
        (status = 101, description = "Switching to the WebSocket poke channel"),
        (status = 400, description = "Not a WebSocket upgrade request", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
    )
)]
pub async fn connect(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<WsParams>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let user = authenticate(&state, &headers, params.access_token.as_deref()).await?;
    let upgrade = upgrade.map_err(|_| {
        ApiError::bad_request(
            "websocket_required",
            "this endpoint is a WebSocket: connect with a WebSocket client",
        )
    })?;
    let config = state.push.config().clone();
    // Subscribed before the upgrade so no poke falls between the handshake and the loop.
    let subscription = state.push.subscribe(user.utility_id, user.user_id);
    tracing::debug!(user_id = %user.user_id, utility = %user.utility_id, "push connection opened");
    let limit = config.max_client_message_bytes;
    Ok(upgrade
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| crate::push::socket::run(socket, subscription, config)))
}

/// The user of the header's bearer token or, when there is no header, of `access_token`.
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    query_token: Option<&str>,
) -> Result<AuthUser, ApiError> {
    let token = match headers.get(AUTHORIZATION) {
        Some(header) => header
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be `Bearer <access_token>`")
            })?,
        None => query_token.map(str::trim).filter(|t| !t.is_empty()).ok_or_else(|| {
            ApiError::unauthorized(
                "sign in first: send `Authorization: Bearer <access_token>` or `?access_token=`",
            )
        })?,
    };
    match state.tokens.verify(token).await {
        Ok(verified) => Ok(AuthUser {
            user_id: verified.user_id,
            utility_id: verified.utility_id,
            role: verified.role,
            username: verified.username,
        }),
        Err(e) => Err(crate::auth::token_refused(&e)),
    }
}
