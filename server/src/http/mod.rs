//! The HTTP server as functions: [`app`] builds the router over an [`AppState`], [`serve`] runs it
//! on a listener the caller bound (tests bind `127.0.0.1:0`) until `shutdown` resolves.

mod clock;
mod error;
mod extract;
mod middleware;
mod state;

pub use clock::ServerClock;
pub use error::{ApiError, ApiResult, ErrorBody, ErrorDetail};
pub use extract::{ClientIp, Json, Path, Query};
pub use state::{AppState, StateError};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use std::future::Future;
use std::net::SocketAddr;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

/// The whole application: every route, JSON fallbacks for unknown paths and methods, the body
/// limit, security headers, `Connection: close` after refusing a body, metrics and request ids.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(crate::api::routes())
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.body_limit_bytes))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(axum::middleware::from_fn(
            middleware::close_after_refused_body,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::track_metrics,
        ))
        // Outermost: every request gets an `x-request-id` (the client's, or a new UUID), echoed
        // in the response and logged, so a user's error report can be found in the logs.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

async fn unknown_route() -> ApiError {
    ApiError::not_found("no such endpoint: see /api/openapi.json for the API")
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Serves [`app`] on `listener` until `shutdown` resolves, then closes the WebSocket poke
/// channels (stopping the state's poke hub) and finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Upgraded WebSocket connections outlive graceful shutdown's wait: close them through the hub.
    let push = std::sync::Arc::clone(&state.push);
    let shutdown = async move {
        shutdown.await;
        push.shutdown();
    };
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
