//! The token lifecycle over real HTTP: device-bound refresh tokens that rotate on every use, reuse
//! that revokes the whole sign-in, deactivated users, and admins revoking a device (its next sync
//! is refused, its work on the server stays).

use crate::fixtures::metered_premise;
use fieldline_core::client::ClientError;
use fieldline_core::sync::SyncRequest;
use fieldline_core::sync::wire;
use fieldline_tests::{Handheld, PASSWORD, TestResponse, TestServer};
use serde_json::{Value, json};
use uuid::Uuid;

/// Registers a new device for `token`'s user; returns (device id, refresh token).
async fn register(server: &TestServer, token: &str) -> (Uuid, String) {
    let device_id = Uuid::new_v4();
    let response = server
        .post_json(
            "/api/v1/devices",
            Some(token),
            &json!({"device_id": device_id, "name": "Truck 4", "app_version": "1.0.0",
                    "protocol_version": 1, "actors": []}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    let refresh = response.json()["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_string();
    (device_id, refresh)
}

async fn refresh(server: &TestServer, refresh_token: &str) -> TestResponse {
    server
        .post_json(
            "/api/v1/auth/refresh",
            None,
            &json!({ "refresh_token": refresh_token }),
        )
        .await
}

fn pair(response: &TestResponse) -> (String, String) {
    assert_eq!(response.status, 200, "{}", response.text);
    let body = response.json();
    (
        body["access_token"].as_str().expect("access").to_string(),
        body["refresh_token"].as_str().expect("refresh").to_string(),
    )
}

#[tokio::test]
async fn each_refresh_token_works_once_and_reuse_revokes_the_whole_sign_in() {
    let server = TestServer::start().await;
    let login = server
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"username": "reader1", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.header("cache-control").as_deref(), Some("no-store"));
    let access = login.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let (_, first) = register(&server, &access).await;
    assert!(first.starts_with("flr_") && first.len() == 68, "{first}");

    let answer = refresh(&server, &first).await;
    assert_eq!(answer.header("cache-control").as_deref(), Some("no-store"));
    assert_eq!(answer.json()["token_type"], "Bearer");
    assert_eq!(answer.json()["expires_in"], 900);
    let (access2, second) = pair(&answer);
    assert_ne!(second, first, "rotated");
    let me = server.get("/api/v1/me", Some(&access2)).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json()["username"], "reader1");
    let (_, third) = pair(&refresh(&server, &second).await);

    // Someone replays the first token: refused, and the live token of the family dies with it.
    let replay = refresh(&server, &first).await;
    assert_eq!(replay.status, 401, "{}", replay.text);
    assert_eq!(replay.error_code(), "refresh_token_reused");
    let after = refresh(&server, &third).await;
    assert_eq!(after.status, 401, "{}", after.text);
    assert_eq!(after.error_code(), "refresh_token_revoked");
    let metrics = server.get("/metrics", None).await;
    assert!(
        metrics.text.contains("reason=\"refresh_reused\""),
        "{}",
        metrics.text
    );

    for (what, bad) in [
        ("unknown", format!("flr_{}", "0".repeat(64))),
        ("not a refresh token", access2.clone()),
        ("empty", String::new()),
        ("huge", format!("flr_{}", "a".repeat(10_000))),
    ] {
        let response = refresh(&server, &bad).await;
        assert_eq!(response.status, 401, "{what}: {}", response.text);
        assert_eq!(response.error_code(), "invalid_refresh_token", "{what}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_new_registration_of_the_device_ends_its_previous_sign_in() {
    let server = TestServer::start().await;
    let access = server.login("reader1", PASSWORD).await;
    let (device, old) = register(&server, &access).await;
    let again = server
        .post_json(
            "/api/v1/devices",
            Some(&access),
            &json!({"device_id": device, "name": "Truck 4", "app_version": "1.0.1",
                    "protocol_version": 1, "actors": []}),
        )
        .await;
    let new = again.json()["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    assert_eq!(
        refresh(&server, &old).await.error_code(),
        "refresh_token_revoked"
    );
    pair(&refresh(&server, &new).await);
    server.stop().await;
}

#[tokio::test]
async fn a_deactivated_users_refresh_is_refused() {
    let server = TestServer::start().await;
    let access = server.login("reader1", PASSWORD).await;
    let (_, token) = register(&server, &access).await;
    let user = server
        .store()
        .get_user_by_username(server.utility.id, "reader1")
        .await
        .expect("user");
    server
        .store()
        .set_user_active(server.utility.id, user.id, false)
        .await
        .expect("deactivate");
    let response = refresh(&server, &token).await;
    assert_eq!(response.status, 401, "{}", response.text);
    assert_eq!(response.error_code(), "user_inactive");
    server.stop().await;
}

/// A sync frame for `device` with nothing to upload.
fn empty_sync(device: &str) -> Vec<u8> {
    wire::encode_request(&SyncRequest {
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        device_id: device.to_string(),
        cursor: None,
        uploads: Vec::new(),
        holdings: Vec::new(),
    })
}

async fn history_len(server: &TestServer, token: &str, order: &str) -> usize {
    let response = server
        .get(&format!("/api/v1/orders/{order}/history"), Some(token))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    response.json().as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_revokes_a_device_its_next_sync_is_refused_and_its_work_stays() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let admin = server.login("admin", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let created = server
        .post_json(
            "/api/v1/orders",
            Some(&office),
            &json!({"order_type": "cycle_read", "meter_id": meter.id, "assignee": "reader1"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let order = created.json()["id"].as_str().expect("id").to_string();

    // reader1's handheld gets the order, works it and syncs.
    let handheld = Handheld::sign_in(&server, "reader1").await;
    let id = order.clone();
    handheld
        .run(move |c| {
            c.sync()?;
            c.en_route(&id)?;
            c.sync()
        })
        .await
        .expect("the device works and syncs");
    let device_id = handheld
        .client()
        .account()
        .expect("account")
        .expect("signed in")
        .device_id;
    let worked = history_len(&server, &office, &order).await;

    let listed = server.get("/api/v1/devices", Some(&admin)).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let devices: Vec<Value> = listed.json().as_array().cloned().unwrap_or_default();
    assert!(
        devices
            .iter()
            .any(|d| d["id"] == device_id.as_str() && d["revoked_at"].is_null()),
        "{devices:?}"
    );
    let path = format!("/api/v1/devices/{device_id}/revoke");
    let by_dispatcher = server.post_json(&path, Some(&office), &json!({})).await;
    assert_eq!(by_dispatcher.status, 403, "only admins revoke");
    let revoked = server.post_json(&path, Some(&admin), &json!({})).await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert!(revoked.json()["revoked_at"].is_string());
    let missing = server
        .post_json(
            &format!("/api/v1/devices/{}/revoke", Uuid::new_v4()),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(missing.status, 404, "{}", missing.text);

    // More work on the handheld; its sync is refused and the work stays on the device.
    let id = order.clone();
    handheld
        .run(move |c| c.arrive(&id))
        .await
        .expect("offline work");
    let refused = handheld.try_sync().await;
    assert!(
        matches!(refused, Err(ClientError::Unauthorized(_))),
        "{refused:?}"
    );
    let status = handheld.client().status().expect("status");
    assert!(status.sign_in_needed);
    assert_eq!(status.pending_changes, 1, "the device keeps its edit");

    // Even a fresh password sign-in cannot bring the device back or sync from it.
    let reader = server.login("reader1", PASSWORD).await;
    let frame = server
        .post_raw(
            "/api/v1/sync",
            Some(&reader),
            Some(wire::CONTENT_TYPE),
            empty_sync(&device_id),
        )
        .await;
    assert_eq!(frame.status, 403, "{}", frame.text);
    assert_eq!(frame.error_code(), "device_revoked");
    let reregister = server
        .post_json(
            "/api/v1/devices",
            Some(&reader),
            &json!({"device_id": device_id, "name": "Truck 4", "app_version": "1.0.0",
                    "protocol_version": 1, "actors": []}),
        )
        .await;
    assert_eq!(reregister.status, 403, "{}", reregister.text);
    assert_eq!(reregister.error_code(), "device_revoked");

    // Nothing it uploaded before the revocation is gone.
    assert_eq!(history_len(&server, &office, &order).await, worked);
    handheld.cleanup();
    server.stop().await;
}
