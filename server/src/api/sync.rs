//! `POST /api/v1/sync`: one device sync. The body and the answer are binary sync frames
//! (`application/x-fieldline-sync`, see `fieldline_core::sync::wire`); errors stay JSON
//! `ErrorBody`s with stable codes (`update_required`, `sync_too_large`, `invalid_sync_frame`,
//! `device_not_registered`, `device_revoked`).

use crate::auth::AuthUser;
use crate::http::{ApiError, AppState, ErrorBody, ErrorDetail};
use crate::store::StoreError;
use crate::sync::{SyncError, handle_frame};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use fieldline_core::sync::wire::{CONTENT_TYPE, encode_response};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/sync", post(sync))
}

/// OpenAPI paths of this module.
#[derive(utoipa::OpenApi)]
#[openapi(paths(sync))]
pub struct Doc;

/// An error answer with a code of its own (the shared `ApiError` codes are fixed), or any
/// `ApiError`.
#[derive(Debug)]
pub(super) enum HttpError {
    /// A status, a stable code and a message.
    Coded(StatusCode, &'static str, String),
    /// One of the shared errors.
    Api(ApiError),
}

impl From<ApiError> for HttpError {
    fn from(err: ApiError) -> Self {
        HttpError::Api(err)
    }
}

impl From<StoreError> for HttpError {
    fn from(err: StoreError) -> Self {
        HttpError::Api(err.into())
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        match self {
            HttpError::Coded(status, code, message) => {
                let body = ErrorBody {
                    error: ErrorDetail {
                        code: code.to_string(),
                        message,
                        field: None,
                        rule: None,
                    },
                };
                (status, axum::Json(body)).into_response()
            }
            HttpError::Api(err) => err.into_response(),
        }
    }
}

impl From<SyncError> for HttpError {
    fn from(err: SyncError) -> Self {
        let coded = |status, code, message: String| HttpError::Coded(status, code, message);
        match err {
            SyncError::UpdateRequired(m) => {
                coded(StatusCode::UPGRADE_REQUIRED, "update_required", m)
            }
            SyncError::TooLarge(m) => coded(StatusCode::PAYLOAD_TOO_LARGE, "sync_too_large", m),
            SyncError::Malformed(m) => coded(StatusCode::BAD_REQUEST, "invalid_sync_frame", m),
            SyncError::DeviceNotRegistered(m) => {
                coded(StatusCode::FORBIDDEN, "device_not_registered", m)
            }
            SyncError::DeviceRevoked => super::devices::revoked(),
            SyncError::UserInactive => HttpError::Api(ApiError::unauthorized(
                "this user no longer exists or was deactivated: sign in again",
            )),
            SyncError::Busy => HttpError::Api(ApiError::Unavailable {
                message: "the orders are being changed by someone else: sync again".to_string(),
            }),
            SyncError::Store(e) => HttpError::Api(e.into()),
            SyncError::Order(e) => HttpError::Api(ApiError::internal(e)),
        }
    }
}

/// Syncs a device: uploads its unacknowledged changes and answers with everything it may see
/// since its feed cursor.
#[utoipa::path(
    post,
    path = "/api/v1/sync",
    tag = "sync",
    security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/x-fieldline-sync",
        description = "A sync request frame"),
    responses(
        (status = 200, description = "A sync response frame", body = Vec<u8>,
            content_type = "application/x-fieldline-sync"),
        (status = 400, description = "Not a readable sync request (`invalid_sync_frame`)", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "The device is not registered to you (`device_not_registered`), or an administrator revoked it (`device_revoked`): nothing was stored", body = ErrorBody),
        (status = 413, description = "Over a size or count limit, named in the message (`sync_too_large`)", body = ErrorBody),
        (status = 415, description = "Not `application/x-fieldline-sync`", body = ErrorBody),
        (status = 426, description = "The app is too old (`update_required`): nothing was stored", body = ErrorBody),
    )
)]
pub async fn sync(
    State(state): State<AppState>,
    auth: AuthUser,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, HttpError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with(CONTENT_TYPE) {
        return Err(ApiError::UnsupportedMediaType {
            message: format!("send a sync frame as `{CONTENT_TYPE}`"),
        }
        .into());
    }
    let limit = state.config.sync.max_frame_bytes;
    let frame = axum::body::to_bytes(body, limit).await.map_err(|_| {
        HttpError::Coded(
            StatusCode::PAYLOAD_TOO_LARGE,
            "sync_too_large",
            format!(
                "the sync frame is larger than {limit} bytes (sync.max_frame_bytes): \
                 sync in smaller batches"
            ),
        )
    })?;
    let synced = handle_frame(
        state.store.as_ref(),
        &state.config.sync,
        auth.utility_id,
        auth.user_id,
        &frame,
        state.now(),
    )
    .await?;
    // Other devices whose orders this upload changed (the new crew after a reassignment gets the
    // old crew's late work) hear about it now rather than at their next scheduled sync.
    state
        .push
        .poke_after_upload(auth.utility_id, auth.user_id, &synced.changed_assignees)
        .await;
    let mut answer = encode_response(&synced.response).into_response();
    answer
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    Ok(answer)
}
