//! The HTTP calls a device makes: sign in, register the device and its actors (which hands it a
//! refresh token), refresh its tokens, and the sync exchange. Blocking (ureq) on purpose: the app calls the client from its own background
//! thread, and the core stays free of an async runtime. Server errors are mapped to
//! [`ClientError`] here, at one seam: 401 means "sign in again", 426 "update the app".
//!
//! Plain HTTP for now; TLS is ureq's `rustls` feature plus a root store (webpki or the
//! platform's verifier) when devices leave the lab.

use super::error::ClientError;
use crate::sync::wire;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The largest answer the client reads (the wire limits check the frame again).
const MAX_ANSWER_BYTES: u64 = 32 * 1024 * 1024;

/// What the server answers to a sign-in.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct LoginAnswer {
    pub access_token: String,
    pub expires_in: i64,
    pub user: LoginUser,
}

/// The signed-in user, as the server describes them.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct LoginUser {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub utility: String,
}

/// What the server answers to a device registration: the first refresh token of the sign-in.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RegisterAnswer {
    pub refresh_token: String,
}

/// What the server answers to a refresh: a new pair (the old refresh token is used up).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RefreshAnswer {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: String,
}

#[derive(Serialize)]
struct RefreshBody<'a> {
    refresh_token: &'a str,
}

/// `POST /api/v1/devices`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DeviceRegistration<'a> {
    pub device_id: &'a str,
    pub name: &'a str,
    pub app_version: &'a str,
    pub protocol_version: u32,
    pub actors: &'a [String],
}

#[derive(Serialize)]
struct LoginBody<'a> {
    username: &'a str,
    password: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    utility: Option<&'a str>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
}

/// A blocking HTTP client for one device.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    agent: ureq::Agent,
}

impl Http {
    pub(crate) fn new() -> Http {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .new_agent();
        Http { agent }
    }

    /// Signs in with a username and password.
    pub(crate) fn login(
        &self,
        server: &str,
        username: &str,
        password: &str,
        utility: Option<&str>,
    ) -> Result<LoginAnswer, ClientError> {
        let body = serde_json::to_vec(&LoginBody {
            username,
            password,
            utility,
        })
        .map_err(|e| ClientError::Other(e.to_string()))?;
        let answer = self.post(
            server,
            "/api/v1/auth/login",
            None,
            "application/json",
            &body,
        )?;
        serde_json::from_slice(&answer)
            .map_err(|e| ClientError::Protocol(format!("unexpected sign-in answer: {e}")))
    }

    /// Registers the device for the signed-in user and binds its actors; the answer carries a
    /// new refresh token (the device's previous one is revoked by it).
    pub(crate) fn register_device(
        &self,
        server: &str,
        token: &str,
        registration: &DeviceRegistration<'_>,
    ) -> Result<RegisterAnswer, ClientError> {
        let body =
            serde_json::to_vec(registration).map_err(|e| ClientError::Other(e.to_string()))?;
        let answer = self.post(
            server,
            "/api/v1/devices",
            Some(token),
            "application/json",
            &body,
        )?;
        serde_json::from_slice(&answer)
            .map_err(|e| ClientError::Protocol(format!("unexpected registration answer: {e}")))
    }

    /// Exchanges the refresh token for a new pair. A refusal is `Unauthorized` (sign in again).
    pub(crate) fn refresh(
        &self,
        server: &str,
        refresh_token: &str,
    ) -> Result<RefreshAnswer, ClientError> {
        let body = serde_json::to_vec(&RefreshBody { refresh_token })
            .map_err(|e| ClientError::Other(e.to_string()))?;
        let answer = self.post(
            server,
            "/api/v1/auth/refresh",
            None,
            "application/json",
            &body,
        )?;
        serde_json::from_slice(&answer)
            .map_err(|e| ClientError::Protocol(format!("unexpected refresh answer: {e}")))
    }

    /// One sync exchange: a request frame out, a response frame back.
    pub(crate) fn sync(
        &self,
        server: &str,
        token: &str,
        frame: &[u8],
    ) -> Result<Vec<u8>, ClientError> {
        self.post(
            server,
            "/api/v1/sync",
            Some(token),
            wire::CONTENT_TYPE,
            frame,
        )
    }

    /// `GET /api/v1/reference` unless the server's current version is `have` (it answers 304):
    /// the newer reference data's JSON, or `None` when unchanged or when the server does not
    /// serve reference data (404: an older server).
    pub(crate) fn reference(
        &self,
        server: &str,
        token: &str,
        have: u32,
    ) -> Result<Option<Vec<u8>>, ClientError> {
        let url = format!("{}/api/v1/reference", server.trim_end_matches('/'));
        let mut response = self
            .agent
            .get(&url)
            .header("Authorization", format!("Bearer {token}"))
            .header("If-None-Match", format!("\"{have}\""))
            .call()
            .map_err(network)?;
        let status = response.status().as_u16();
        match status {
            304 | 404 => Ok(None),
            200 => response
                .body_mut()
                .with_config()
                .limit(MAX_ANSWER_BYTES)
                .read_to_vec()
                .map(Some)
                .map_err(network),
            401 => Err(ClientError::Unauthorized(
                "the server refused the token while fetching reference data".into(),
            )),
            _ => Err(ClientError::Network(format!(
                "fetching reference data failed (HTTP {status})"
            ))),
        }
    }

    fn post(
        &self,
        server: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: &[u8],
    ) -> Result<Vec<u8>, ClientError> {
        let url = format!("{}{path}", server.trim_end_matches('/'));
        let mut request = self.agent.post(&url).content_type(content_type);
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let mut response = request.send(body).map_err(network)?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_vec()
            .map_err(network)?;
        if (200..300).contains(&status) {
            return Ok(bytes);
        }
        Err(refusal(status, &bytes))
    }
}

/// The error for a non-2xx answer with `body`: the server's JSON error (code and message) when
/// it sent one. Shared with the poke channel's handshake (`push/channel.rs`), so both read a
/// refusal the same way.
pub(crate) fn refusal(status: u16, body: &[u8]) -> ClientError {
    let (code, message) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(body) => (body.error.code, body.error.message),
        Err(_) => (
            format!("http_{status}"),
            String::from_utf8_lossy(body).chars().take(200).collect(),
        ),
    };
    let text = format!("{message} ({code})");
    match status {
        401 => ClientError::Unauthorized(text),
        // A revoked device cannot fix this by itself: only a new sign-in (after an admin
        // lets it back) will do, so it reads as "sign in again"; its work is kept.
        403 if code == "device_revoked" => ClientError::Unauthorized(text),
        426 => ClientError::UpdateRequired(text),
        400..=499 => ClientError::Protocol(format!("the server refused the request: {text}")),
        _ => ClientError::Network(format!("the server failed (HTTP {status}): {text}")),
    }
}

fn network(err: ureq::Error) -> ClientError {
    ClientError::Network(err.to_string())
}
