//! Health, readiness, metrics and the OpenAPI document.

use fieldline_tests::{PASSWORD, TestServer};

#[tokio::test]
async fn healthz_and_readyz_answer() {
    let server = TestServer::start().await;
    let health = server.get("/healthz", None).await;
    assert_eq!(health.status, 200, "{}", health.text);
    assert_eq!(health.json()["status"], "ok");
    let ready = server.get("/readyz", None).await;
    assert_eq!(ready.status, 200, "{}", ready.text);
    assert_eq!(ready.json()["status"], "ready");
    server.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_failed_sign_ins() {
    let server = TestServer::start().await;
    server.get("/healthz", None).await;
    let wrong = server
        .post_json(
            "/api/v1/auth/login",
            None,
            &serde_json::json!({"username": "dispatcher", "password": "wrong"}),
        )
        .await;
    assert_eq!(wrong.status, 401);
    let token = server.login("dispatcher", PASSWORD).await;
    server
        .get(
            "/api/v1/premises/00000000-0000-4000-8000-000000000000",
            Some(&token),
        )
        .await;

    let metrics = server.get("/metrics", None).await;
    assert_eq!(metrics.status, 200);
    let text = &metrics.text;
    assert!(text.contains("fieldline_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/healthz\""), "{text}");
    assert!(
        text.contains("route=\"/api/v1/premises/{id}\""),
        "route templates, never ids: {text}"
    );
    assert!(!text.contains("00000000-0000-4000"), "{text}");
    assert!(text.contains("reason=\"bad_credentials\""), "{text}");
    server.stop().await;
}

#[tokio::test]
async fn openapi_document_parses_and_lists_the_paths() {
    let server = TestServer::start().await;
    let response = server.get("/api/openapi.json", None).await;
    assert_eq!(response.status, 200, "{}", response.text);
    let doc = response.json();
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with('3')),
        "{doc}"
    );
    let paths = doc["paths"].as_object().expect("paths object");
    for path in [
        "/api/v1/auth/login",
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/premises",
        "/api/v1/premises/{id}",
        "/api/v1/meters",
        "/api/v1/meters/{id}",
        "/api/v1/routes",
        "/api/v1/orders",
        "/api/v1/orders/{id}",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(
        doc["components"]["securitySchemes"]["bearer"].is_object(),
        "bearer scheme declared"
    );
    server.stop().await;
}
