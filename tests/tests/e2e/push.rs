//! The poke channel (`GET /api/v1/ws`) against a real server: a reader is poked when the office
//! changes their orders (and not for another reader's), auth happens before the upgrade, the
//! per-user connection limit, bad client input and shutdown close the channel with a reason, and
//! on PostgreSQL a poke crosses from one server instance to another.

use crate::fixtures::metered_premise;
use fieldline_core::Role;
use fieldline_tests::{PASSWORD, SharedDatabase, TestServer, wait_until};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Longest wait for a message that is due; reaching it fails the test.
const DUE: Duration = Duration::from_secs(10);

fn ws_url(server: &TestServer) -> String {
    format!("{}/api/v1/ws", server.base_url.replacen("http", "ws", 1))
}

/// Connects with `Authorization: Bearer` and reads the `hello`.
async fn connect(server: &TestServer, token: &str) -> Ws {
    let mut request = ws_url(server)
        .into_client_request()
        .expect("a valid ws URL");
    let bearer = HeaderValue::from_str(&format!("Bearer {token}")).expect("header value");
    request.headers_mut().insert("authorization", bearer);
    let (mut ws, _) = connect_async(request).await.expect("upgrade accepted");
    assert_eq!(next_json(&mut ws).await, json!({"type": "hello"}));
    ws
}

/// Connects with `?access_token=` (as a browser must) and reads the `hello`.
async fn connect_with_query_token(server: &TestServer, token: &str) -> Ws {
    let url = format!("{}?access_token={token}", ws_url(server));
    let (mut ws, _) = connect_async(url).await.expect("upgrade accepted");
    assert_eq!(next_json(&mut ws).await, json!({"type": "hello"}));
    ws
}

/// The next text message as JSON (pings skipped); panics on close or after [`DUE`].
async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let message = tokio::time::timeout(DUE, ws.next())
            .await
            .unwrap_or_else(|_| panic!("no message within {DUE:?}"))
            .unwrap_or_else(|| panic!("the server closed the stream"))
            .unwrap_or_else(|e| panic!("read failed: {e}"));
        match message {
            Message::Text(text) => {
                return serde_json::from_str(text.as_str())
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

/// Reads until the server's close frame and returns its code and reason.
async fn close_frame(ws: &mut Ws) -> (u16, String) {
    loop {
        let message = tokio::time::timeout(DUE, ws.next())
            .await
            .unwrap_or_else(|_| panic!("no close within {DUE:?}"))
            .unwrap_or_else(|| panic!("the stream ended without a close frame"))
            .unwrap_or_else(|e| panic!("read failed: {e}"));
        match message {
            Message::Close(Some(frame)) => {
                // Reading on sends our close reply, so the server sees a clean close at once.
                let _ =
                    tokio::time::timeout(DUE, async { while let Some(Ok(_)) = ws.next().await {} })
                        .await;
                return (frame.code.into(), frame.reason.to_string());
            }
            Message::Close(None) => panic!("close frame without a code"),
            _ => continue,
        }
    }
}

/// `true` when a message is already waiting (no waiting for one).
async fn has_message_now(ws: &mut Ws) -> bool {
    tokio::time::timeout(Duration::ZERO, ws.next())
        .await
        .is_ok()
}

async fn create_order(server: &TestServer, token: &str, assignee: &str) -> String {
    let (_, meter) = metered_premise(server, &server.utility).await;
    let body = json!({"order_type": "turn_on", "meter_id": meter.id, "reason": "move_in",
        "assignee": assignee});
    let response = server.post_json("/api/v1/orders", Some(token), &body).await;
    assert_eq!(response.status, 201, "create: {}", response.text);
    response.json()["id"].as_str().expect("id").to_string()
}

async fn office(server: &TestServer, token: &str, path: String, body: Value) {
    let response = server.post_json(&path, Some(token), &body).await;
    assert_eq!(response.status, 200, "{path}: {}", response.text);
}

#[tokio::test]
async fn a_reader_is_poked_when_the_office_cancels_or_reassigns_their_order() {
    let server = TestServer::start().await;
    server
        .add_user(&server.utility, "reader2", Role::Reader)
        .await;
    let dispatcher = server.login("dispatcher", PASSWORD).await;
    let first = create_order(&server, &dispatcher, "reader1").await;
    let second = create_order(&server, &dispatcher, "reader1").await;
    let theirs = create_order(&server, &dispatcher, "reader2").await;

    let mut reader1 = connect(&server, &server.login("reader1", PASSWORD).await).await;
    let mut reader2 =
        connect_with_query_token(&server, &server.login("reader2", PASSWORD).await).await;

    office(
        &server,
        &dispatcher,
        format!("/api/v1/orders/{first}/cancel"),
        json!({"reason": "customer called"}),
    )
    .await;
    assert_eq!(next_json(&mut reader1).await, json!({"type": "changed"}));
    // The poke was routed before the cancel answered and reached reader1: none for reader2.
    assert!(
        !has_message_now(&mut reader2).await,
        "reader2 was poked for reader1's order"
    );

    // Reassigning away revokes it from reader1 and delivers it to reader2: both are poked.
    office(
        &server,
        &dispatcher,
        format!("/api/v1/orders/{second}/assign"),
        json!({"assignee": "reader2"}),
    )
    .await;
    assert_eq!(next_json(&mut reader1).await, json!({"type": "changed"}));
    assert_eq!(next_json(&mut reader2).await, json!({"type": "changed"}));

    // A note to reader2's crew reaches reader2 only.
    office(
        &server,
        &dispatcher,
        format!("/api/v1/orders/{theirs}/notes"),
        json!({"text": "dog in the yard"}),
    )
    .await;
    assert_eq!(next_json(&mut reader2).await, json!({"type": "changed"}));
    assert!(
        !has_message_now(&mut reader1).await,
        "reader1 was poked for reader2's order"
    );

    server.stop().await;
}

#[tokio::test]
async fn the_channel_refuses_missing_and_bad_tokens_before_upgrading() {
    let server = TestServer::start().await;

    let plain = server.get("/api/v1/ws", None).await;
    assert_eq!(plain.status, 401, "{}", plain.text);
    assert_eq!(plain.error_code(), "unauthorized");

    for url in [
        ws_url(&server),
        format!("{}?access_token=not-a-token", ws_url(&server)),
    ] {
        match connect_async(url).await {
            Err(WsError::Http(response)) => {
                assert_eq!(response.status().as_u16(), 401);
                let body = response.body().clone().unwrap_or_default();
                let body: Value = serde_json::from_slice(&body).expect("a JSON error body");
                let code = body["error"]["code"].as_str().unwrap_or_default();
                assert!(["unauthorized", "invalid_token"].contains(&code), "{body}");
            }
            Err(other) => panic!("expected a 401, got {other}"),
            Ok(_) => panic!("upgraded without a valid token"),
        }
    }

    // A signed-in plain GET is told this is a WebSocket endpoint.
    let token = server.login("reader1", PASSWORD).await;
    let not_ws = server.get("/api/v1/ws", Some(&token)).await;
    assert_eq!(not_ws.status, 400, "{}", not_ws.text);
    assert_eq!(not_ws.error_code(), "websocket_required");

    server.stop().await;
}

#[tokio::test]
async fn past_the_per_user_limit_the_oldest_connection_is_closed_with_a_reason() {
    let server = TestServer::start().await;
    let token = server.login("reader1", PASSWORD).await;
    let limit = server.state.config.push.max_connections_per_user;
    let mut oldest = connect(&server, &token).await;
    let mut others = Vec::new();
    for _ in 1..limit {
        others.push(connect(&server, &token).await);
    }
    let mut newest = connect(&server, &token).await;

    let (code, reason) = close_frame(&mut oldest).await;
    assert_eq!(code, 1008);
    assert!(reason.contains("too many connections"), "{reason}");
    assert!(!has_message_now(&mut newest).await);
    assert_eq!(
        server
            .state
            .push
            .connections(server.utility.id, user_id(&server, "reader1").await),
        limit
    );

    server.stop().await;
}

#[tokio::test]
async fn binary_input_closes_the_channel_and_text_is_ignored() {
    let server = TestServer::start().await;
    let token = server.login("reader1", PASSWORD).await;
    let mut ws = connect(&server, &token).await;
    ws.send(Message::text("hello server"))
        .await
        .expect("send text");
    ws.send(Message::binary(vec![0xde, 0xad, 0xbe, 0xef]))
        .await
        .expect("send binary");
    let (code, reason) = close_frame(&mut ws).await;
    assert_eq!(code, 1003);
    assert!(reason.contains("binary"), "{reason}");

    // Oversized text is refused too: the connection does not survive it.
    let mut ws = connect(&server, &token).await;
    let limit = server.state.config.push.max_client_message_bytes;
    let _ = ws.send(Message::text("x".repeat(limit + 1))).await;
    let ended = tokio::time::timeout(DUE, async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "an oversized message did not end the connection"
    );

    server.stop().await;
}

#[tokio::test]
async fn a_client_close_is_answered_and_frees_the_slot() {
    let server = TestServer::start().await;
    let token = server.login("reader1", PASSWORD).await;
    let user = user_id(&server, "reader1").await;
    let mut ws = connect(&server, &token).await;
    assert_eq!(server.state.push.connections(server.utility.id, user), 1);
    ws.close(None).await.expect("send close");
    let answered = tokio::time::timeout(DUE, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => continue,
                None | Some(Err(_)) => return false,
            }
        }
    })
    .await;
    assert_eq!(
        answered.ok(),
        Some(true),
        "the server did not answer the close"
    );
    let push = std::sync::Arc::clone(&server.state.push);
    let utility = server.utility.id;
    wait_until(DUE, || {
        let push = std::sync::Arc::clone(&push);
        async move { push.connections(utility, user) == 0 }
    })
    .await;
    server.stop().await;
}

#[tokio::test]
async fn stopping_the_server_closes_the_channel_cleanly() {
    let server = TestServer::start().await;
    let token = server.login("reader1", PASSWORD).await;
    let mut ws = connect(&server, &token).await;
    let user = user_id(&server, "reader1").await;
    let push = std::sync::Arc::clone(&server.state.push);
    let utility = server.utility.id;
    server.stop().await;
    let (code, _) = close_frame(&mut ws).await;
    assert_eq!(code, 1001);
    wait_until(DUE, || {
        let push = std::sync::Arc::clone(&push);
        async move { push.connections(utility, user) == 0 }
    })
    .await;
}

#[tokio::test]
async fn an_office_edit_on_one_instance_pokes_a_device_connected_to_another() {
    let Some(db) = SharedDatabase::postgres().await else {
        eprintln!("skipped: set FIELDLINE_TEST_POSTGRES_URL to test pokes across server instances");
        return;
    };
    let a = db.start_instance().await;
    let b = db.start_instance().await;
    for instance in [&a, &b] {
        let push = std::sync::Arc::clone(&instance.state.push);
        wait_until(DUE, move || {
            let push = std::sync::Arc::clone(&push);
            async move { push.is_listening() }
        })
        .await;
    }

    let dispatcher = b.login("dispatcher", PASSWORD).await;
    let order = create_order(&b, &dispatcher, "inspector1").await;
    let mut device = connect(&a, &a.login("reader1", PASSWORD).await).await;

    // Through instance B, the office gives the order to the reader connected to instance A.
    office(
        &b,
        &dispatcher,
        format!("/api/v1/orders/{order}/assign"),
        json!({"assignee": "reader1"}),
    )
    .await;
    assert_eq!(next_json(&mut device).await, json!({"type": "changed"}));
    // Nothing local carried it: B has no connection of the reader.
    let reader = user_id(&b, "reader1").await;
    assert_eq!(b.state.push.connections(b.utility.id, reader), 0);

    a.stop().await;
    b.stop().await;
    db.cleanup().await;
}

#[tokio::test]
async fn after_losing_the_database_an_instance_listens_again_and_pokes_its_devices() {
    let Some(db) = SharedDatabase::postgres().await else {
        eprintln!("skipped: set FIELDLINE_TEST_POSTGRES_URL to test the poke listener");
        return;
    };
    let a = db.start_instance().await;
    let b = db.start_instance().await;
    for instance in [&a, &b] {
        let push = std::sync::Arc::clone(&instance.state.push);
        wait_until(DUE, move || {
            let push = std::sync::Arc::clone(&push);
            async move { push.is_listening() }
        })
        .await;
    }
    let dispatcher = b.login("dispatcher", PASSWORD).await;
    let order = create_order(&b, &dispatcher, "inspector1").await;
    let mut device = connect(&a, &a.login("reader1", PASSWORD).await).await;

    // Cut every listening connection, as a database failover would.
    let pool = sqlx::PgPool::connect(&db.url).await.expect("connect");
    let cut: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid() \
         AND query ILIKE 'LISTEN%'",
    )
    .fetch_one(&pool)
    .await
    .expect("terminate the listeners");
    pool.close().await;
    assert!(cut >= 2, "expected both instances' listeners, cut {cut}");

    // Pokes sent during the gap are lost, so A pokes its devices once it listens again...
    assert_eq!(next_json(&mut device).await, json!({"type": "changed"}));
    // ...and pokes from B reach A's devices again.
    office(
        &b,
        &dispatcher,
        format!("/api/v1/orders/{order}/assign"),
        json!({"assignee": "reader1"}),
    )
    .await;
    assert_eq!(next_json(&mut device).await, json!({"type": "changed"}));

    a.stop().await;
    b.stop().await;
    db.cleanup().await;
}

async fn user_id(server: &TestServer, username: &str) -> uuid::Uuid {
    server
        .store()
        .get_user_by_username(server.utility.id, username)
        .await
        .expect("user exists")
        .id
}
