//! `POST /api/v1/devices`: registers the signed-in user's handheld and binds the automerge actors
//! it writes with, so the server can tell who wrote each uploaded change. Idempotent.

use super::sync::HttpError;
use crate::auth::AuthUser;
use crate::http::{ApiError, AppState, ErrorBody, Json};
use crate::store::{NewDevice, Registration};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use chrono::{DateTime, Utc};
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
    Router::new().route("/api/v1/devices", post(register))
}

/// OpenAPI paths of this module.
#[derive(utoipa::OpenApi)]
#[openapi(paths(register))]
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
            Ok(Json(RegisteredDevice {
                device_id: device.id,
                registered_at: device.registered_at,
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
