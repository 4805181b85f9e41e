//! Bad input gets a clear JSON 4xx, never a 500 or a plain-text body.

use fieldline_tests::{PASSWORD, TestOptions, TestServer};
use serde_json::json;

const LOGIN: &str = "/api/v1/auth/login";

#[tokio::test]
async fn bad_json_is_400_with_a_clear_message() {
    let server = TestServer::start().await;
    let response = server
        .post_raw(
            LOGIN,
            None,
            Some("application/json"),
            b"{\"username\": \"dispatcher\",".to_vec(),
        )
        .await;
    assert_eq!(response.status, 400, "{}", response.text);
    assert_eq!(response.error_code(), "invalid_json");
    let message = response.json()["error"]["message"].to_string();
    assert!(message.contains("not valid JSON"), "{message}");
    server.stop().await;
}

#[tokio::test]
async fn unknown_fields_and_wrong_types_are_422() {
    let server = TestServer::start().await;
    let unknown = server
        .post_json(
            LOGIN,
            None,
            &json!({"username": "dispatcher", "password": PASSWORD, "remember_me": true}),
        )
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    assert_eq!(unknown.error_code(), "validation_failed");
    assert_eq!(unknown.json()["error"]["field"], "remember_me");
    assert_eq!(unknown.json()["error"]["rule"], "unknown_field");

    let wrong_type = server
        .post_json(LOGIN, None, &json!({"username": 42, "password": PASSWORD}))
        .await;
    assert_eq!(wrong_type.status, 422, "{}", wrong_type.text);
    assert_eq!(wrong_type.json()["error"]["field"], "username");
    assert_eq!(wrong_type.json()["error"]["rule"], "type");

    let missing = server
        .post_json(LOGIN, None, &json!({"password": PASSWORD}))
        .await;
    assert_eq!(missing.status, 422, "{}", missing.text);
    assert_eq!(missing.json()["error"]["field"], "username");
    assert_eq!(missing.json()["error"]["rule"], "required");
    server.stop().await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let server = TestServer::start().await;
    let response = server
        .post_raw(LOGIN, None, Some("text/plain"), b"hello".to_vec())
        .await;
    assert_eq!(response.status, 415, "{}", response.text);
    assert_eq!(response.error_code(), "unsupported_media_type");
    server.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_json() {
    let server = TestServer::start_with(TestOptions {
        body_limit_bytes: 1024,
        ..TestOptions::default()
    })
    .await;
    let big = format!(
        "{{\"username\":\"{}\",\"password\":\"x\"}}",
        "a".repeat(4096)
    );
    let response = server
        .post_raw(LOGIN, None, Some("application/json"), big.into_bytes())
        .await;
    assert_eq!(response.status, 413, "{}", response.text);
    assert_eq!(response.error_code(), "payload_too_large");
    server.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let server = TestServer::start().await;
    let missing = server.get("/api/v1/nope", None).await;
    assert_eq!(missing.status, 404, "{}", missing.text);
    assert_eq!(missing.error_code(), "not_found");

    let method = server.get(LOGIN, None).await;
    assert_eq!(method.status, 405, "{}", method.text);
    assert_eq!(method.error_code(), "method_not_allowed");
    server.stop().await;
}

#[tokio::test]
async fn bad_ids_and_query_parameters_are_4xx_json() {
    let server = TestServer::start().await;
    let token = server.login("dispatcher", PASSWORD).await;
    let bad_id = server
        .get("/api/v1/premises/not-a-uuid", Some(&token))
        .await;
    assert_eq!(bad_id.status, 400, "{}", bad_id.text);
    assert_eq!(bad_id.error_code(), "invalid_path");

    let missing = server
        .get(
            "/api/v1/premises/00000000-0000-4000-8000-000000000000",
            Some(&token),
        )
        .await;
    assert_eq!(missing.status, 404, "{}", missing.text);

    let bad_query = server
        .get("/api/v1/premises?limit=lots", Some(&token))
        .await;
    assert_eq!(bad_query.status, 400, "{}", bad_query.text);
    assert_eq!(bad_query.error_code(), "invalid_query");
    server.stop().await;
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let server = TestServer::start().await;
    for path in ["/healthz", "/api/v1/me", "/nope"] {
        let response = server.get(path, None).await;
        assert_eq!(
            response.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(response.header("x-frame-options").as_deref(), Some("DENY"));
        assert_eq!(
            response.header("cache-control").as_deref(),
            Some("no-store")
        );
        assert!(response.header("referrer-policy").is_some(), "{path}");
        assert!(response.header("x-request-id").is_some(), "{path}");
    }
    server.stop().await;
}
