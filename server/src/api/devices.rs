//! `POST /api/v1/devices`: registers the signed-in user's handheld and binds the automerge actors
//! it writes with, so the server can tell who wrote each uploaded change, and hands it the first
//! refresh token of its sign-in. Admins list devices (`GET /api/v1/devices`) and revoke one
//! (`POST /api/v1/devices/{id}/revoke`): its refresh tokens die and its next sync is refused,
//! while everything it uploaded stays.

use super::sync::HttpError;
use crate::auth::{AuthUser, refresh};
use crate::http::{ApiError, ApiResult, AppState, ErrorBody, Json, Path};
use crate::store::{Device, NewDevice, Registration, StoreError};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use chrono::{DateTime, Utc};
use fieldline_core::model::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Longest device name.
const MAX_NAME: usize = 100;
/// Most actors bound per call.
const MAX_ACTORS: usize = 16;
/// Longest actor id, in bytes (automerge actors are usually 16).
const MAX_ACTOR_BYTES: usize = 32;
/// Longest app version string.
const MAX_APP_VERSION: usize = 64;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/devices", post(register).get(list_devices))
        .route("/api/v1/devices/{id}/revoke", post(revoke_device))
}

/// OpenAPI paths of this module.
#[derive(utoipa::OpenApi)]
#[openapi(paths(register, list_devices, revoke_device))]
pub struct Doc;

/// A device registration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterDevice {
    /// The device's id (chosen by the app, stable for the installation).
    pub device_id: Uuid,
    /// A name for people, at most 100 characters.
    pub name: String,
    /// The app's version (`1.4.2`).
    pub app_version: String,
    /// The sync protocol version the app speaks.
    pub protocol_version: u32,
    /// Automerge actor ids (hex, 1–32 bytes) the device writes with; at most 16 per call.
    pub actors: Vec<String>,
}

/// A registered device.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredDevice {
    /// The device's id.
    pub device_id: Uuid,
    /// When it was first registered.
    pub registered_at: DateTime<Utc>,
    /// The first refresh token of this sign-in on the device (`POST /api/v1/auth/refresh`).
    /// Registering again starts a new one and revokes the previous.
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: u64,
}

/// A device as an administrator sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceView {
    /// The device's id.
    pub id: Uuid,
    /// The user it is registered to.
    pub user_id: Uuid,
    /// Its name.
    pub name: String,
    /// The app version it last announced.
    pub app_version: String,
    /// When it was first registered.
    pub registered_at: DateTime<Utc>,
    /// When it last synced.
    pub last_sync_at: Option<DateTime<Utc>>,
    /// When an administrator revoked it (it may no longer sync).
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<Device> for DeviceView {
    fn from(d: Device) -> Self {
        DeviceView {
            id: d.id,
            user_id: d.user_id,
            name: d.name,
            app_version: d.app_version,
            registered_at: d.registered_at,
            last_sync_at: d.last_sync_at,
            revoked_at: d.revoked_at,
        }
    }
}

/// The 403 of a revoked device.
pub(super) fn revoked() -> HttpError {
    HttpError::Coded(
        StatusCode::FORBIDDEN,
        "device_revoked",
        "an administrator revoked this device: it can no longer sign in or sync \
         (its work already on the server is kept)"
            .to_string(),
    )
}

/// Registers (or updates) the signed-in user's device and binds its actors.
#[utoipa::path(
    post,
    path = "/api/v1/devices",
    tag = "sync",
    security(("bearer" = [])),
    request_body = RegisterDevice,
    responses(
        (status = 200, description = "Registered; the actors are bound to it", body = RegisteredDevice),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "An administrator revoked this device (`device_revoked`)", body = ErrorBody),
        (status = 409, description = "The device belongs to another user, or an actor to another device (`actor_taken`)", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(body): Json<RegisterDevice>,
) -> Result<Json<RegisteredDevice>, HttpError> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(invalid(
            "name",
            format!("give the device a name of 1 to {MAX_NAME} characters"),
        ));
    }
    if body.app_version.trim().is_empty() || body.app_version.len() > MAX_APP_VERSION {
        return Err(invalid(
            "app_version",
            format!("the app version must be 1 to {MAX_APP_VERSION} characters"),
        ));
    }
    if body.actors.len() > MAX_ACTORS {
        return Err(invalid(
            "actors",
            format!("bind at most {MAX_ACTORS} actors per call"),
        ));
    }
    let actors = body
        .actors
        .iter()
        .map(|a| normalize_actor(a))
        .collect::<Result<Vec<_>, _>>()?;
    match state
        .store
        .get_device(auth.utility_id, body.device_id)
        .await
    {
        Ok(device) if device.revoked_at.is_some() && device.user_id == auth.user_id => {
            return Err(revoked());
        }
        Ok(_) | Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    let new = NewDevice {
        id: body.device_id,
        user_id: auth.user_id,
        name: name.to_string(),
        app_version: body.app_version.trim().to_string(),
        protocol_version: body.protocol_version,
        actors,
        at: Utc::now(),
    };
    match state.store.register_device(auth.utility_id, &new).await? {
        Registration::Registered(device) => {
            tracing::info!(device_id = %device.id, "device registered");
            let issued =
                refresh::issue_for_device(&state, auth.utility_id, auth.user_id, device.id).await?;
            Ok(Json(RegisteredDevice {
                device_id: device.id,
                registered_at: device.registered_at,
                refresh_token: issued.token,
                refresh_expires_in: issued.expires_in,
            }))
        }
        Registration::DeviceTaken => Err(HttpError::Coded(
            StatusCode::CONFLICT,
            "device_taken",
            "this device id is registered to another user: use a new device id".to_string(),
        )),
        Registration::ActorTaken(actor) => Err(HttpError::Coded(
            StatusCode::CONFLICT,
            "actor_taken",
            format!("actor {actor} is bound to another device: take a new actor id"),
        )),
    }
}

/// The utility's devices, revoked ones too (admins only).
#[utoipa::path(
    get,
    path = "/api/v1/devices",
    tag = "sync",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Devices by registration time", body = Vec<DeviceView>),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    )
)]
pub async fn list_devices(
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<Json<Vec<DeviceView>>> {
    auth.require(&[Role::Admin])?;
    let devices = state.store.list_devices(auth.utility_id).await?;
    Ok(Json(devices.into_iter().map(DeviceView::from).collect()))
}

/// Revokes a device (admins only): its refresh tokens stop working at once and its next sync is
/// refused with `device_revoked`; what it uploaded stays. Revoking twice keeps the first time.
#[utoipa::path(
    post,
    path = "/api/v1/devices/{id}/revoke",
    tag = "sync",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Device id")),
    responses(
        (status = 200, description = "Revoked", body = DeviceView),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such device", body = ErrorBody),
    )
)]
pub async fn revoke_device(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<DeviceView>> {
    auth.require(&[Role::Admin])?;
    let device = match state
        .store
        .revoke_device(auth.utility_id, id, Utc::now())
        .await
    {
        Ok(device) => device,
        Err(StoreError::NotFound) => return Err(ApiError::not_found("no such device")),
        Err(e) => return Err(e.into()),
    };
    tracing::warn!(device_id = %device.id, by = %auth.user_id, "device revoked");
    Ok(Json(DeviceView::from(device)))
}

/// An actor id as the store keeps it (lowercase hex, as automerge prints it), or why not.
fn normalize_actor(actor: &str) -> Result<String, HttpError> {
    let hex = actor.trim().to_ascii_lowercase();
    let valid = !hex.is_empty()
        && hex.len().is_multiple_of(2)
        && hex.len() <= MAX_ACTOR_BYTES * 2
        && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if valid {
        Ok(hex)
    } else {
        Err(invalid(
            "actors",
            format!("an actor id must be 1 to {MAX_ACTOR_BYTES} bytes in hex"),
        ))
    }
}

fn invalid(field: &str, message: String) -> HttpError {
    ApiError::validation(field, None, message).into()
}
