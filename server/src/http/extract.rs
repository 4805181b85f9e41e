//! Extractors that answer bad input with an [`ApiError`] JSON body instead of axum's plain-text
//! rejections: `Json` (bad JSON 400, wrong types / unknown fields 422, too large 413), `Query`,
//! and `ClientIp` (the peer address, for the sign-in rate limit).

use super::error::ApiError;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};

/// A JSON body (request) or JSON answer (response). Request types should carry
/// `#[serde(deny_unknown_fields)]` so a misspelt field is an error, not silently ignored.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let detail = rejection.body_text();
    match rejection {
        JsonRejection::JsonDataError(_) => describe_data_error(&detail),
        JsonRejection::JsonSyntaxError(_) => ApiError::bad_request(
            "invalid_json",
            format!("the request body is not valid JSON: {detail}"),
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType {
            message: "send the body as JSON with `Content-Type: application/json`".to_string(),
        },
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        _ => ApiError::bad_request("invalid_body", "the request body could not be read"),
    }
}

/// Turns serde's "`path`: what is wrong" into a 422 naming the field and the rule
/// (`unknown_field`, `required`, `type`).
fn describe_data_error(detail: &str) -> ApiError {
    let inner = detail
        .split_once("into the target type: ")
        .map_or(detail, |(_, rest)| rest);
    let backticked = |after: &str| {
        inner
            .split_once(after)
            .and_then(|(_, rest)| rest.split_once('`'))
            .map(|(name, _)| name.to_string())
    };
    let path = inner
        .split_once(": ")
        .map(|(path, _)| path)
        .filter(|path| !path.is_empty() && !path.contains(' '))
        .map(str::to_string);
    let (field, rule) = if inner.contains("unknown field `") {
        (
            path.or_else(|| backticked("unknown field `")),
            "unknown_field",
        )
    } else if inner.contains("missing field `") {
        let missing = backticked("missing field `");
        let field = match (path, missing) {
            (Some(parent), Some(name)) => Some(format!("{parent}.{name}")),
            (None, name) => name,
            (parent, None) => parent,
        };
        (field, "required")
    } else {
        (path, "type")
    };
    ApiError::Validation {
        message: format!("invalid request body: {inner}"),
        field,
        rule: Some(rule.to_string()),
    }
}

/// Query-string parameters; a bad value is a 400 naming the problem.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    ApiError::bad_request(
        "invalid_query",
        format!("invalid query parameters: {}", rejection.body_text()),
    )
}

/// The client's IP address as the socket saw it; `None` when the server was not started with
/// connection info (tests driving the router directly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

/// Path parameters; a malformed id is a 400 JSON error naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(ApiError::bad_request(
                "invalid_path",
                format!("invalid path parameter: {}", rejection.body_text()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(err: ApiError) -> (Option<String>, Option<String>, String) {
        match err {
            ApiError::Validation {
                field,
                rule,
                message,
            } => (field, rule, message),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    const PREFIX: &str = "Failed to deserialize the JSON body into the target type: ";

    #[test]
    fn data_errors_name_the_field_and_rule() {
        let (field, rule, message) = parts(describe_data_error(&format!(
            "{PREFIX}x: unknown field `x`, expected one of `username` at line 1 column 34"
        )));
        assert_eq!(field.as_deref(), Some("x"));
        assert_eq!(rule.as_deref(), Some("unknown_field"));
        assert!(
            message.starts_with("invalid request body: x: unknown field"),
            "{message}"
        );

        let (field, rule, _) = parts(describe_data_error(&format!(
            "{PREFIX}username: invalid type: integer `42`, expected a string at line 1 column 14"
        )));
        assert_eq!(field.as_deref(), Some("username"));
        assert_eq!(rule.as_deref(), Some("type"));

        let (field, rule, _) = parts(describe_data_error(&format!(
            "{PREFIX}missing field `username` at line 1 column 16"
        )));
        assert_eq!(field.as_deref(), Some("username"));
        assert_eq!(rule.as_deref(), Some("required"));

        let (field, rule, _) = parts(describe_data_error(&format!(
            "{PREFIX}target: missing field `premise_id` at line 1 column 16"
        )));
        assert_eq!(field.as_deref(), Some("target.premise_id"));
        assert_eq!(rule.as_deref(), Some("required"));
    }
}
