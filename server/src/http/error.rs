//! The one error type of the HTTP API. Every handler returns `Result<_, ApiError>`; this file is
//! the single seam where errors become status codes and JSON bodies
//! (`{"error": {"code", "message", "field"?, "rule"?}}`). Internal causes are logged, never shown.

use crate::store::StoreError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// What an API call can answer instead of its result.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (bad JSON, a wrong query parameter).
    #[error("{message}")]
    BadRequest {
        /// Stable machine code (`invalid_json`, `invalid_query`, …).
        code: &'static str,
        /// What to fix.
        message: String,
        /// The request field at fault, when known.
        field: Option<String>,
    },
    /// The request is well-formed but breaks a rule.
    #[error("{message}")]
    Validation {
        /// What to fix.
        message: String,
        /// The request field at fault.
        field: Option<String>,
        /// The rule that failed (the core's rule name).
        rule: Option<String>,
    },
    /// No valid credentials (missing, bad or expired token; wrong password).
    #[error("{message}")]
    Unauthorized {
        /// Stable machine code (`unauthorized`, `invalid_credentials`).
        code: &'static str,
        /// What to do.
        message: String,
    },
    /// Signed in, but the role may not do this.
    #[error("{message}")]
    Forbidden {
        /// What is not allowed.
        message: String,
    },
    /// No such resource (in the caller's utility).
    #[error("{message}")]
    NotFound {
        /// What was not found.
        message: String,
    },
    /// The HTTP method is not served at this path.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request conflicts with the current state (a taken name, a concurrent change).
    #[error("{message}")]
    Conflict {
        /// What conflicts.
        message: String,
    },
    /// The body is larger than the configured limit.
    #[error("request body too large")]
    PayloadTooLarge,
    /// The body is not `application/json`.
    #[error("{message}")]
    UnsupportedMediaType {
        /// What to send instead.
        message: String,
    },
    /// Too many attempts; retry after this many seconds.
    #[error("too many attempts")]
    TooManyRequests {
        /// Seconds until the next attempt may succeed.
        retry_after_secs: u64,
    },
    /// A dependency (the database) is not reachable.
    #[error("{message}")]
    Unavailable {
        /// What is down.
        message: String,
    },
    /// A fault on the server side; logged, shown only as "internal error".
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong, for programs (`code`) and for people (`message`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code (`unauthorized`, `not_found`, `validation_failed`, …).
    pub code: String,
    /// Human text saying what to fix.
    pub message: String,
    /// The request field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The rule that failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl ApiError {
    /// A 400 with a code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// A 422 about one field, optionally naming the rule.
    pub fn validation(
        field: impl Into<String>,
        rule: Option<&str>,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError::Validation {
            message: message.into(),
            field: Some(field.into()),
            rule: rule.map(str::to_string),
        }
    }

    /// A 401 for a missing, invalid or expired token.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::Unauthorized {
            code: "unauthorized",
            message: message.into(),
        }
    }

    /// A 403.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::Forbidden {
            message: message.into(),
        }
    }

    /// A 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::NotFound {
            message: message.into(),
        }
    }

    /// A 409.
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::Conflict {
            message: message.into(),
        }
    }

    /// A 500 from any internal error.
    pub fn internal(err: impl Into<anyhow::Error>) -> ApiError {
        ApiError::Internal(err.into())
    }

    /// The status code; the match is exhaustive so a new variant must choose one.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body shown to the client.
    pub fn body(&self) -> ErrorBody {
        let (code, message, field, rule): (&str, String, Option<String>, Option<String>) =
            match self {
                ApiError::BadRequest {
                    code,
                    message,
                    field,
                } => (code, message.clone(), field.clone(), None),
                ApiError::Validation {
                    message,
                    field,
                    rule,
                } => (
                    "validation_failed",
                    message.clone(),
                    field.clone(),
                    rule.clone(),
                ),
                ApiError::Unauthorized { code, message } => (code, message.clone(), None, None),
                ApiError::Forbidden { message } => ("forbidden", message.clone(), None, None),
                ApiError::NotFound { message } => ("not_found", message.clone(), None, None),
                ApiError::MethodNotAllowed => (
                    "method_not_allowed",
                    "this method is not allowed on this path".to_string(),
                    None,
                    None,
                ),
                ApiError::Conflict { message } => ("conflict", message.clone(), None, None),
                ApiError::PayloadTooLarge => (
                    "payload_too_large",
                    "the request body is larger than the server accepts".to_string(),
                    None,
                    None,
                ),
                ApiError::UnsupportedMediaType { message } => {
                    ("unsupported_media_type", message.clone(), None, None)
                }
                ApiError::TooManyRequests { retry_after_secs } => (
                    "too_many_requests",
                    format!("too many attempts: try again in {retry_after_secs} seconds"),
                    None,
                    None,
                ),
                ApiError::Unavailable { message } => ("unavailable", message.clone(), None, None),
                ApiError::Internal(_) => (
                    "internal",
                    "internal server error: the error was logged".to_string(),
                    None,
                    None,
                ),
            };
        ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message,
                field,
                rule,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(err) = &self {
            tracing::error!(error = %format!("{err:#}"), "request failed");
        }
        let status = self.status();
        let mut response = (status, Json(self.body())).into_response();
        if let ApiError::TooManyRequests { retry_after_secs } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::not_found("not found"),
            StoreError::Conflict(message) => ApiError::conflict(message),
            other => ApiError::Internal(other.into()),
        }
    }
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
