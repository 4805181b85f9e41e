//! HTTP limits and headers: a body over the configured limit is a 413 JSON error on every JSON
//! endpoint, office text over its length limit is a 4xx naming the field, every answer carries
//! the security headers, and the server's log never holds a password, a token or customer data.

use crate::fixtures::{metered_premise, metered_premise_in};
use fieldline_core::Role;
use fieldline_core::document::MAX_TEXT_BYTES;
use fieldline_tests::process::{ProcessData, ServerProcess};
use fieldline_tests::{PASSWORD, TestOptions, TestResponse, TestServer};
use serde_json::{Value, json};
use std::path::Path;
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_fieldline-e2e");

async fn new_order(server: &TestServer, office: &str) -> String {
    let (_, meter) = metered_premise(server, &server.utility).await;
    let created = server
        .post_json(
            "/api/v1/orders",
            Some(office),
            &json!({"order_type": "cycle_read", "meter_id": meter.id, "assignee": "reader1"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.json()["id"].as_str().expect("id").to_string()
}

async fn history_len(server: &TestServer, office: &str, order: &str) -> usize {
    let history = server
        .get(&format!("/api/v1/orders/{order}/history"), Some(office))
        .await;
    assert_eq!(history.status, 200, "{}", history.text);
    history.json().as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_json_error_on_every_json_endpoint() {
    let server = TestServer::start_with(TestOptions {
        body_limit_bytes: 1024,
        ..TestOptions::default()
    })
    .await;
    let office = server.login("dispatcher", PASSWORD).await;
    let order = new_order(&server, &office).await;
    let before = history_len(&server, &office, &order).await;
    let padding = "x".repeat(2048);
    let endpoints: Vec<(String, Value)> = vec![
        (
            "/api/v1/auth/login".into(),
            json!({"username": padding, "password": PASSWORD}),
        ),
        (
            "/api/v1/auth/refresh".into(),
            json!({ "refresh_token": padding }),
        ),
        (
            "/api/v1/devices".into(),
            json!({"device_id": Uuid::new_v4(), "name": padding, "app_version": "1",
                   "protocol_version": 1, "actors": []}),
        ),
        (
            "/api/v1/orders".into(),
            json!({"order_type": "cycle_read", "instructions": padding}),
        ),
        (
            format!("/api/v1/orders/{order}/assign"),
            json!({"assignee": "reader1", "reason": padding}),
        ),
        (
            format!("/api/v1/orders/{order}/unassign"),
            json!({ "reason": padding }),
        ),
        (
            format!("/api/v1/orders/{order}/cancel"),
            json!({ "reason": padding }),
        ),
        (
            format!("/api/v1/orders/{order}/notes"),
            json!({ "text": padding }),
        ),
        (
            format!("/api/v1/orders/{order}/close"),
            json!({ "note": padding }),
        ),
    ];
    for (path, body) in endpoints {
        let response = server.post_json(&path, Some(&office), &body).await;
        assert_eq!(response.status, 413, "{path}: {}", response.text);
        assert_eq!(response.error_code(), "payload_too_large", "{path}");
    }
    assert_eq!(
        history_len(&server, &office, &order).await,
        before,
        "nothing was written"
    );
    server.stop().await;
}

/// Asserts a 422 naming `field`.
fn names_field(what: &str, response: &TestResponse, field: &str) {
    assert_eq!(response.status, 422, "{what}: {}", response.text);
    assert_eq!(
        response.json()["error"]["field"],
        field,
        "{what}: {}",
        response.text
    );
}

#[tokio::test]
async fn office_text_over_its_length_limit_is_refused_naming_the_field() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let order = new_order(&server, &office).await;
    let before = history_len(&server, &office, &order).await;
    let long_text = "x".repeat(MAX_TEXT_BYTES + 1);
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let cases: Vec<(&str, String, Value, &str)> = vec![
        (
            "order instructions",
            "/api/v1/orders".into(),
            json!({"order_type": "cycle_read", "meter_id": meter.id, "instructions": long_text}),
            "instructions",
        ),
        (
            "order reason",
            "/api/v1/orders".into(),
            json!({"order_type": "cycle_read", "meter_id": meter.id, "reason": "x".repeat(65)}),
            "reason",
        ),
        (
            "assign reason",
            format!("/api/v1/orders/{order}/assign"),
            json!({"assignee": "inspector1", "reason": long_text}),
            "reason",
        ),
        (
            "unassign reason",
            format!("/api/v1/orders/{order}/unassign"),
            json!({ "reason": long_text }),
            "reason",
        ),
        (
            "cancel reason",
            format!("/api/v1/orders/{order}/cancel"),
            json!({ "reason": long_text }),
            "reason",
        ),
        (
            "note",
            format!("/api/v1/orders/{order}/notes"),
            json!({ "text": long_text }),
            "text",
        ),
        (
            "close note",
            format!("/api/v1/orders/{order}/close"),
            json!({ "note": long_text }),
            "note",
        ),
        (
            "device name",
            "/api/v1/devices".into(),
            json!({"device_id": Uuid::new_v4(), "name": "x".repeat(101), "app_version": "1",
                   "protocol_version": 1, "actors": []}),
            "name",
        ),
        (
            "sign-in username",
            "/api/v1/auth/login".into(),
            json!({"username": "x".repeat(101), "password": PASSWORD}),
            "username",
        ),
        (
            "sign-in password",
            "/api/v1/auth/login".into(),
            json!({"username": "dispatcher", "password": "x".repeat(1025)}),
            "password",
        ),
        (
            "sign-in utility",
            "/api/v1/auth/login".into(),
            json!({"username": "dispatcher", "password": PASSWORD, "utility": "x".repeat(101)}),
            "utility",
        ),
    ];
    for (what, path, body, field) in cases {
        let response = server.post_json(&path, Some(&office), &body).await;
        names_field(what, &response, field);
    }
    assert_eq!(
        history_len(&server, &office, &order).await,
        before,
        "nothing was written"
    );
    server.stop().await;
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let server = TestServer::start_with(TestOptions {
        body_limit_bytes: 256,
        ..TestOptions::default()
    })
    .await;
    let token = server.login("dispatcher", PASSWORD).await;
    let answers = vec![
        (
            "sign-in",
            server
                .post_json(
                    "/api/v1/auth/login",
                    None,
                    &json!({"username": "reader1", "password": PASSWORD}),
                )
                .await,
        ),
        ("me", server.get("/api/v1/me", Some(&token)).await),
        ("no token", server.get("/api/v1/me", None).await),
        (
            "forged token",
            server.get("/api/v1/me", Some("x.y.z")).await,
        ),
        (
            "unknown route",
            server.get("/api/v1/nope", Some(&token)).await,
        ),
        (
            "bad refresh",
            server
                .post_json(
                    "/api/v1/auth/refresh",
                    None,
                    &json!({"refresh_token": "flr_x"}),
                )
                .await,
        ),
        (
            "too large",
            server
                .post_json(
                    "/api/v1/devices",
                    Some(&token),
                    &json!({"name": "x".repeat(300)}),
                )
                .await,
        ),
        ("health", server.get("/healthz", None).await),
        ("openapi", server.get("/api/openapi.json", None).await),
    ];
    for (what, response) in answers {
        for (header, value) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
            ("cache-control", "no-store"),
            (
                "content-security-policy",
                "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            ),
        ] {
            assert_eq!(
                response.header(header).as_deref(),
                Some(value),
                "{what} ({}): {header}",
                response.status
            );
        }
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_log_holds_no_password_token_or_customer_data() {
    let data =
        ProcessData::create(&[("dispatcher", Role::Dispatcher), ("reader1", Role::Reader)]).await;
    let server = ServerProcess::start(Path::new(BIN), &data).await;
    let (premise, meter) = metered_premise_in(data.store.as_ref(), &data.utility).await;
    let wrong = server
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"username": "reader1", "password": "hunter2-not-it"}),
        )
        .await;
    assert_eq!(wrong.status, 401);
    let office = server.login("dispatcher").await;
    let created = server
        .post_json(
            "/api/v1/orders",
            Some(&office),
            &json!({"order_type": "cycle_read", "meter_id": meter.id, "assignee": "reader1",
                    "instructions": "gate code 4711"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let reader = server.login("reader1").await;
    let registered = server
        .post_json(
            "/api/v1/devices",
            Some(&reader),
            &json!({"device_id": Uuid::new_v4(), "name": "Truck 4", "app_version": "1",
                    "protocol_version": 1, "actors": []}),
        )
        .await;
    let first = registered.json()["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    let refreshed = server
        .post_json(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": first}),
        )
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    let second = refreshed.json()["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    // A reuse is logged as a warning: with ids, never the token.
    let reused = server
        .post_json(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": first}),
        )
        .await;
    assert_eq!(reused.error_code(), "refresh_token_reused");
    let order = created.json()["id"].as_str().expect("id").to_string();
    let seen = server
        .get(&format!("/api/v1/orders/{order}"), &office)
        .await;
    assert_eq!(seen.status, 200);

    let log = std::fs::read_to_string(data.server_log()).expect("the server log");
    assert!(
        log.contains("refresh token was presented again"),
        "the reuse is logged: {log}"
    );
    let secrets = [
        PASSWORD.to_string(),
        "hunter2-not-it".to_string(),
        office.clone(),
        reader.clone(),
        first,
        second,
        premise.address.clone(),
        "gate code 4711".to_string(),
    ];
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "the log holds {secret:?}:\n{log}"
        );
    }
    drop(server);
    data.cleanup().await;
}

#[tokio::test]
async fn a_refused_upload_tells_the_client_the_connection_closes() {
    let server = TestServer::start().await;
    let refused = server
        .post_raw(
            "/api/v1/sync",
            None,
            Some(fieldline_core::sync::wire::CONTENT_TYPE),
            vec![0; 4096],
        )
        .await;
    assert_eq!(refused.status, 401, "{}", refused.text);
    // The body was never read: a client must not send its next request on this connection.
    assert_eq!(refused.header("connection").as_deref(), Some("close"));
    let plain = server.get("/api/v1/me", None).await;
    assert_eq!(plain.status, 401);
    assert_eq!(
        plain.header("connection"),
        None,
        "no body, nothing to close for"
    );
    server.stop().await;
}
