//! Sign-in, access tokens and roles over real HTTP.

use fieldline_server::auth::AccessClaims;
use fieldline_tests::{PASSWORD, TestOptions, TestServer};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn dispatcher_claims(server: &TestServer) -> AccessClaims {
    let user = server
        .store()
        .get_user_by_username(server.utility.id, "dispatcher")
        .await
        .expect("dispatcher exists");
    server
        .state
        .tokens
        .access_claims(user.id, user.utility_id, user.role, &user.username)
}

#[tokio::test]
async fn login_returns_a_bearer_token_that_opens_me() {
    let server = TestServer::start().await;
    let response = server
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"username": "dispatcher", "password": PASSWORD}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    let body = response.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["user"]["username"], "dispatcher");
    assert_eq!(body["user"]["role"], "dispatcher");
    assert_eq!(body["user"]["utility"], "alpha");
    let token = body["access_token"].as_str().expect("token");

    let me = server.get("/api/v1/me", Some(token)).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json()["username"], "dispatcher");
    assert_eq!(me.json()["utility"]["slug"], "alpha");
    server.stop().await;
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_401() {
    let server = TestServer::start().await;
    let wrong = server
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"username": "dispatcher", "password": "nope"}),
        )
        .await;
    let unknown = server
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"username": "nobody", "password": "nope"}),
        )
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.text);
    assert_eq!(unknown.status, 401, "{}", unknown.text);
    assert_eq!(wrong.json(), unknown.json(), "no user enumeration");
    assert_eq!(wrong.error_code(), "invalid_credentials");
    server.stop().await;
}

#[tokio::test]
async fn a_deactivated_user_cannot_sign_in_and_me_refuses_their_token() {
    let server = TestServer::start().await;
    let token = server.login("inspector1", PASSWORD).await;
    let user = server
        .store()
        .get_user_by_username(server.utility.id, "inspector1")
        .await
        .expect("inspector1");
    server
        .store()
        .set_user_active(server.utility.id, user.id, false)
        .await
        .expect("deactivate");
    let login = server
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"username": "inspector1", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status, 401, "{}", login.text);
    assert_eq!(login.error_code(), "invalid_credentials");
    let me = server.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.status, 401, "{}", me.text);
    server.stop().await;
}

#[tokio::test]
async fn no_token_is_401_json() {
    let server = TestServer::start().await;
    for path in [
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/premises",
        "/api/v1/routes",
    ] {
        let response = server.get(path, None).await;
        assert_eq!(response.status, 401, "{path}: {}", response.text);
        assert_eq!(response.error_code(), "unauthorized", "{path}");
    }
    server.stop().await;
}

/// Signs arbitrary claims with `header`, as an attacker holding `key` would.
fn forge(header: &Header, claims: &serde_json::Value, key: &EncodingKey) -> String {
    jsonwebtoken::encode(header, claims, key).expect("forged token encodes")
}

#[tokio::test]
async fn every_forged_misaddressed_or_expired_token_is_401_with_a_clear_code() {
    let server = TestServer::start().await;
    let claims = dispatcher_claims(&server).await;
    let tokens = &server.state.tokens;
    let active = server
        .store()
        .list_active_signing_keys()
        .await
        .expect("keys")
        .into_iter()
        .next()
        .expect("an active key");
    let ed_header = |kid: &str| {
        let mut h = Header::new(Algorithm::EdDSA);
        h.kid = Some(kid.to_string());
        h
    };
    let real_key = EncodingKey::from_ed_der(&active.private_key_der);
    let claims_json = serde_json::to_value(&claims).expect("claims serialize");

    let mut expired = claims.clone();
    expired.iat = now_secs() - 7200;
    expired.exp = now_secs() - 3600;
    let mut wrong_audience = claims.clone();
    wrong_audience.aud = "someone-else".into();
    let mut wrong_issuer = claims.clone();
    wrong_issuer.iss = "evil".into();
    let mut refresh_typ = claims.clone();
    refresh_typ.typ = "refresh".into();
    let mut no_exp = claims_json.clone();
    no_exp.as_object_mut().expect("object").remove("exp");

    let payload = serde_json::to_vec(&claims).expect("claims serialize");
    let alg_none = format!(
        "{}.{}.",
        base64url(br#"{"alg":"none","typ":"JWT"}"#),
        base64url(&payload)
    );
    // The classic confusion attack: HS256 keyed with the server's public key bytes.
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some(active.kid.clone());
    let hmac_with_public_key = forge(
        &hs_header,
        &claims_json,
        &EncodingKey::from_secret(&active.public_key),
    );
    // A well-formed token signed by a key the server never had, under an unknown kid.
    let stranger = fieldline_server::auth::keys::generate_key().expect("a key");
    let unknown_kid = forge(
        &ed_header(&stranger.kid),
        &claims_json,
        &EncodingKey::from_ed_der(&stranger.private_key_der),
    );
    // The stranger's key under the real kid: a bad signature.
    let wrong_key = forge(
        &ed_header(&active.kid),
        &claims_json,
        &EncodingKey::from_ed_der(&stranger.private_key_der),
    );
    let good = tokens.sign(&claims).expect("signs");
    // The payload rewritten to claim the admin role, the signature kept.
    let mut promoted = claims_json.clone();
    promoted["role"] = json!("admin");
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        base64url(&serde_json::to_vec(&promoted).expect("json")),
        parts[2]
    );
    // A refresh token (opaque) sent as an access token.
    let refresh = {
        let device_id = uuid::Uuid::new_v4();
        let registered = server
            .post_json(
                "/api/v1/devices",
                Some(&good),
                &json!({"device_id": device_id, "name": "Truck 4", "app_version": "1.0.0",
                        "protocol_version": 1, "actors": []}),
            )
            .await;
        assert_eq!(registered.status, 200, "{}", registered.text);
        registered.json()["refresh_token"]
            .as_str()
            .expect("refresh token")
            .to_string()
    };

    let cases: Vec<(&str, String, &str)> = vec![
        ("garbage", "not-a-jwt".to_string(), "invalid_token"),
        ("alg none", alg_none, "invalid_token"),
        (
            "HS256 with the public key",
            hmac_with_public_key,
            "invalid_token",
        ),
        (
            "wrong audience",
            tokens.sign(&wrong_audience).expect("signs"),
            "invalid_token",
        ),
        (
            "wrong issuer",
            tokens.sign(&wrong_issuer).expect("signs"),
            "invalid_token",
        ),
        (
            "missing exp",
            forge(&ed_header(&active.kid), &no_exp, &real_key),
            "invalid_token",
        ),
        (
            "expired",
            tokens.sign(&expired).expect("signs"),
            "token_expired",
        ),
        ("unknown kid", unknown_kid, "invalid_token"),
        ("signed by another key", wrong_key, "invalid_token"),
        ("tampered payload", tampered, "invalid_token"),
        (
            "typ refresh",
            tokens.sign(&refresh_typ).expect("signs"),
            "invalid_token",
        ),
        ("a refresh token", refresh, "invalid_token"),
    ];
    for (what, token, code) in cases {
        let response = server.get("/api/v1/me", Some(&token)).await;
        assert_eq!(response.status, 401, "{what}: {}", response.text);
        assert_eq!(response.error_code(), code, "{what}");
        assert!(
            !response.text.contains(&token),
            "{what}: the answer never echoes the token"
        );
    }
    let ok = server.get("/api/v1/me", Some(&good)).await;
    assert_eq!(ok.status, 200, "the unaltered token works: {}", ok.text);
    server.stop().await;
}

#[tokio::test]
async fn field_roles_may_call_me_but_not_office_lookups() {
    let server = TestServer::start().await;
    let reader = server.login("reader1", PASSWORD).await;
    assert_eq!(server.get("/api/v1/me", Some(&reader)).await.status, 200);
    for path in ["/api/v1/users", "/api/v1/premises", "/api/v1/routes"] {
        let response = server.get(path, Some(&reader)).await;
        assert_eq!(response.status, 403, "{path}: {}", response.text);
        assert_eq!(response.error_code(), "forbidden", "{path}");
    }
    let dispatcher = server.login("dispatcher", PASSWORD).await;
    let users = server.get("/api/v1/users", Some(&dispatcher)).await;
    assert_eq!(users.status, 200, "{}", users.text);
    assert!(
        !users.text.contains("argon2"),
        "password hashes never leave"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_token_keeps_working_after_a_restart_on_the_same_database() {
    let server = TestServer::start().await;
    let token = server.login("dispatcher", PASSWORD).await;
    // A second instance over the same store loads the same keys from the database.
    let second =
        fieldline_server::AppState::new(server.state.store.clone(), (*server.state.config).clone())
            .await
            .expect("second instance");
    assert!(second.tokens.verify(&token).await.is_ok());
    server.stop().await;
}

#[tokio::test]
async fn a_key_created_by_another_instance_is_picked_up() {
    let server = TestServer::start().await;
    let old = server.login("dispatcher", PASSWORD).await;
    // An operator rotates (`fieldline keys rotate`); another instance starts with the new key.
    fieldline_server::auth::keys::rotate(server.store())
        .await
        .expect("rotate");
    let other =
        fieldline_server::AppState::new(server.state.store.clone(), (*server.state.config).clone())
            .await
            .expect("second instance");
    let claims = dispatcher_claims(&server).await;
    let new = other.tokens.sign(&claims).expect("signs with the new key");

    let response = server.get("/api/v1/me", Some(&new)).await;
    assert_eq!(response.status, 200, "new kid accepted: {}", response.text);
    let response = server.get("/api/v1/me", Some(&old)).await;
    assert_eq!(
        response.status, 200,
        "retired key still verifies: {}",
        response.text
    );
    server.stop().await;
}

#[tokio::test]
async fn a_key_retired_longer_ago_than_a_token_lives_no_longer_verifies() {
    let server = TestServer::start().await;
    let claims = dispatcher_claims(&server).await;
    let old = server.state.tokens.sign(&claims).expect("signs");
    let long_ago = chrono::Utc::now() - chrono::Duration::hours(2);
    for key in server
        .store()
        .list_active_signing_keys()
        .await
        .expect("keys")
    {
        server
            .store()
            .retire_signing_key(&key.kid, long_ago)
            .await
            .expect("retire");
    }
    let restarted =
        fieldline_server::AppState::new(server.state.store.clone(), (*server.state.config).clone())
            .await
            .expect("restart");
    assert!(restarted.tokens.verify(&old).await.is_err());
    server.stop().await;
}

#[tokio::test]
async fn sign_in_rate_limit_trips_when_configured_low() {
    let server = TestServer::start_with(TestOptions {
        login_rate_limit: 3,
        ..TestOptions::default()
    })
    .await;
    for _ in 0..3 {
        let response = server
            .post_json(
                "/api/v1/auth/login",
                None,
                &json!({"username": "dispatcher", "password": "wrong"}),
            )
            .await;
        assert_eq!(response.status, 401, "{}", response.text);
    }
    let limited = server
        .post_json(
            "/api/v1/auth/login",
            None,
            &json!({"username": "dispatcher", "password": PASSWORD}),
        )
        .await;
    assert_eq!(limited.status, 429, "{}", limited.text);
    assert_eq!(limited.error_code(), "too_many_requests");
    let retry_after: u64 = limited
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let metrics = server.get("/metrics", None).await;
    assert!(
        metrics.text.contains("reason=\"rate_limited\""),
        "{}",
        metrics.text
    );
    server.stop().await;
}

#[tokio::test]
async fn tests_are_not_rate_limited_by_default() {
    let server = TestServer::start().await;
    for _ in 0..15 {
        let response = server
            .post_json(
                "/api/v1/auth/login",
                None,
                &json!({"username": "dispatcher", "password": "wrong"}),
            )
            .await;
        assert_eq!(response.status, 401, "{}", response.text);
    }
    server.login("dispatcher", PASSWORD).await;
    server.stop().await;
}
