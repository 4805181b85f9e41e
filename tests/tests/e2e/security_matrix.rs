//! The authorization matrix: every `/api/v1` endpoint × every role (and no token) × (the
//! caller's own order, another crew's order) gives the expected status. The table is checked
//! against the OpenAPI document, so a new endpoint without a row fails this test.
//!
//! "Own order" is an order assigned to the caller when the caller is a field user (office roles
//! own no orders: theirs is one assigned to `reader1`); "another crew's order" is assigned to
//! `reader2`. Every cell that writes gets fresh orders and devices, so cells never interfere.

use crate::fixtures::metered_premise;
use fieldline_core::Role;
use fieldline_core::sync::wire::{self, WireLimits};
use fieldline_core::sync::{SyncRequest, SyncResponse};
use fieldline_server::store::Meter;
use fieldline_tests::{PASSWORD, TestResponse, TestServer};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Reader,
    Inspector,
    Dispatcher,
    Supervisor,
    Admin,
    Nobody,
}

const EVERYONE: [Who; 6] = [
    Who::Reader,
    Who::Inspector,
    Who::Dispatcher,
    Who::Supervisor,
    Who::Admin,
    Who::Nobody,
];

impl Who {
    /// The user this role signs in as (`Nobody` acts on `reader1`'s things without a token).
    fn username(self) -> &'static str {
        match self {
            Who::Reader | Who::Nobody => "reader1",
            Who::Inspector => "inspector1",
            Who::Dispatcher => "dispatcher",
            Who::Supervisor => "supervisor",
            Who::Admin => "admin",
        }
    }

    fn is_field(self) -> bool {
        matches!(self, Who::Reader | Who::Inspector)
    }

    fn is_office(self) -> bool {
        matches!(self, Who::Dispatcher | Who::Supervisor | Who::Admin)
    }
}

/// Whose order (or device) a cell acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Own,
    OtherCrew,
}

/// The expected status of a cell.
type Expect = fn(Who, Scope) -> u16;

/// Public: the same for everyone.
fn public_200(_: Who, _: Scope) -> u16 {
    200
}
/// Any signed-in user.
fn signed_in(ok: u16) -> impl Fn(Who) -> u16 {
    move |who| if who == Who::Nobody { 401 } else { ok }
}
fn anyone_200(who: Who, _: Scope) -> u16 {
    signed_in(200)(who)
}
fn anyone_400(who: Who, _: Scope) -> u16 {
    signed_in(400)(who)
}
/// Dispatchers, supervisors and admins.
fn office(ok: u16, who: Who) -> u16 {
    match who {
        Who::Nobody => 401,
        w if w.is_office() => ok,
        _ => 403,
    }
}
fn office_200(who: Who, _: Scope) -> u16 {
    office(200, who)
}
fn office_201(who: Who, _: Scope) -> u16 {
    office(201, who)
}
/// Allowed for office roles, then refused by the order's state (it is not finished yet).
fn office_422(who: Who, _: Scope) -> u16 {
    office(422, who)
}
fn admin_200(who: Who, _: Scope) -> u16 {
    match who {
        Who::Nobody => 401,
        Who::Admin => 200,
        _ => 403,
    }
}
/// Supervisors and admins (the quarantine of refused device changes).
fn oversight_200(who: Who, _: Scope) -> u16 {
    match who {
        Who::Nobody => 401,
        Who::Supervisor | Who::Admin => 200,
        _ => 403,
    }
}
/// Office roles see every order; a crew sees its own, and another crew's does not exist for it.
fn own_order_200(who: Who, scope: Scope) -> u16 {
    match (who, scope) {
        (Who::Nobody, _) => 401,
        (w, Scope::OtherCrew) if w.is_field() => 404,
        _ => 200,
    }
}

/// One row: an endpoint and what each cell answers.
struct Row {
    method: &'static str,
    path: &'static str,
    expect: Expect,
}

const fn row(method: &'static str, path: &'static str, expect: Expect) -> Row {
    Row {
        method,
        path,
        expect,
    }
}

/// The matrix. Keep it in the order of `server/src/api/mod.rs`.
const MATRIX: &[Row] = &[
    row("POST", "/api/v1/auth/login", public_200),
    row("POST", "/api/v1/auth/refresh", public_200),
    row("GET", "/api/v1/me", anyone_200),
    row("GET", "/api/v1/users", office_200),
    row("GET", "/api/v1/premises", office_200),
    row("GET", "/api/v1/premises/{id}", office_200),
    // Dispatchers, supervisors and admins post payments.
    row("POST", "/api/v1/accounts/{id}/payments", office_201),
    // Field users look meters up too (they are shown less of them).
    row("GET", "/api/v1/meters", anyone_200),
    row("GET", "/api/v1/meters/{id}", anyone_200),
    row("GET", "/api/v1/routes", office_200),
    // A crew's list holds only its own orders (checked below).
    row("GET", "/api/v1/orders", anyone_200),
    row("POST", "/api/v1/orders", office_201),
    row("GET", "/api/v1/orders/{id}", own_order_200),
    row("GET", "/api/v1/orders/{id}/history", office_200),
    row("GET", "/api/v1/orders/{id}/follow-ups", office_200),
    row("GET", "/api/v1/orders/{id}/re-read", office_200),
    row("POST", "/api/v1/re-reads", office_201),
    // Everyone reads the reference data; only admins publish a version.
    row("GET", "/api/v1/reference", anyone_200),
    row("PUT", "/api/v1/reference", admin_200),
    row("POST", "/api/v1/orders/{id}/assign", office_200),
    row("POST", "/api/v1/orders/{id}/unassign", office_200),
    row("POST", "/api/v1/orders/{id}/cancel", office_200),
    row("POST", "/api/v1/orders/{id}/notes", office_200),
    row("POST", "/api/v1/orders/{id}/close", office_422),
    // Allowed for office roles, then refused: the order has no such correction entry.
    row(
        "POST",
        "/api/v1/orders/{id}/corrections/{entry_id}",
        office_422,
    ),
    // Everyone registers their own handheld; only admins list and revoke devices.
    row("POST", "/api/v1/devices", anyone_200),
    row("GET", "/api/v1/devices", admin_200),
    row("POST", "/api/v1/devices/{id}/revoke", admin_200),
    // A sync answers with the caller's own orders only (checked below).
    row("POST", "/api/v1/sync", anyone_200),
    row("GET", "/api/v1/admin/quarantine", oversight_200),
    // A plain GET is told to upgrade; the upgrade itself is tested in `push`.
    row("GET", "/api/v1/ws", anyone_400),
];

/// What the cells share: tokens per role and a meter to make orders on.
struct World {
    server: TestServer,
    tokens: BTreeMap<Who, String>,
    office: String,
    meter: Meter,
    premise: Uuid,
}

impl World {
    async fn new() -> World {
        let server = TestServer::start().await;
        for name in ["reader2", "reader3"] {
            server.add_user(&server.utility, name, Role::Reader).await;
        }
        let mut tokens = BTreeMap::new();
        for who in EVERYONE {
            if who != Who::Nobody {
                tokens.insert(who, server.login(who.username(), PASSWORD).await);
            }
        }
        let office = tokens[&Who::Dispatcher].clone();
        let (premise, meter) = metered_premise(&server, &server.utility).await;
        World {
            server,
            tokens,
            office,
            meter,
            premise: premise.id,
        }
    }

    fn token(&self, who: Who) -> Option<&str> {
        self.tokens.get(&who).map(String::as_str)
    }

    /// The user a scope's order is assigned to.
    fn assignee(who: Who, scope: Scope) -> &'static str {
        match scope {
            Scope::Own if who.is_field() => who.username(),
            Scope::Own => "reader1",
            Scope::OtherCrew => "reader2",
        }
    }

    async fn order(&self, assignee: &str) -> String {
        let created = self
            .server
            .post_json(
                "/api/v1/orders",
                Some(&self.office),
                &json!({"order_type": "cycle_read", "meter_id": self.meter.id,
                        "assignee": assignee}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        created.json()["id"].as_str().expect("id").to_string()
    }

    /// Registers a new device for `username`; returns its id and refresh token.
    async fn device(&self, username: &str) -> (Uuid, String) {
        let token = self.server.login(username, PASSWORD).await;
        let id = Uuid::new_v4();
        let response = self
            .server
            .post_json("/api/v1/devices", Some(&token), &device_body(id))
            .await;
        assert_eq!(response.status, 200, "{}", response.text);
        let refresh = response.json()["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_string();
        (id, refresh)
    }

    /// Makes the request of one cell.
    async fn call(&self, row: &Row, who: Who, scope: Scope) -> TestResponse {
        let token = self.token(who);
        let order = || self.order(Self::assignee(who, scope));
        let s = &self.server;
        match (row.method, row.path) {
            ("POST", "/api/v1/auth/login") => {
                s.post_json(
                    row.path,
                    token,
                    &json!({"username": who.username(), "password": PASSWORD}),
                )
                .await
            }
            ("POST", "/api/v1/auth/refresh") => {
                let (_, refresh) = self.device(who.username()).await;
                s.post_json(row.path, token, &json!({ "refresh_token": refresh }))
                    .await
            }
            ("GET", "/api/v1/premises/{id}") => {
                s.get(&format!("/api/v1/premises/{}", self.premise), token)
                    .await
            }
            ("POST", "/api/v1/accounts/{id}/payments") => {
                let accounts = s
                    .store()
                    .accounts_for_premise(s.utility.id, self.premise)
                    .await
                    .expect("accounts");
                let account = accounts.first().expect("the premise has an account");
                s.post_json(
                    &format!("/api/v1/accounts/{}/payments", account.id),
                    token,
                    &json!({"amount_cents": 100}),
                )
                .await
            }
            ("PUT", "/api/v1/reference") => {
                let mut next = s.get(row.path, Some(&self.office)).await.json();
                next["version"] = json!(next["version"].as_u64().unwrap_or_default() + 1);
                s.put_json(row.path, token, &next).await
            }
            ("POST", "/api/v1/re-reads") => {
                s.post_json(
                    row.path,
                    token,
                    &json!({"meter_id": self.meter.id,
                            "disputed": [{"register": 1, "value": "1450"}]}),
                )
                .await
            }
            ("GET", "/api/v1/meters/{id}") => {
                s.get(&format!("/api/v1/meters/{}", self.meter.id), token)
                    .await
            }
            ("POST", "/api/v1/orders") => {
                s.post_json(
                    row.path,
                    token,
                    &json!({"order_type": "cycle_read", "meter_id": self.meter.id,
                            "assignee": Self::assignee(who, scope)}),
                )
                .await
            }
            ("GET", path) if path.starts_with("/api/v1/orders/{id}") => {
                let path = path.replace("{id}", &order().await);
                s.get(&path, token).await
            }
            ("POST", "/api/v1/orders/{id}/corrections/{entry_id}") => {
                let path = row
                    .path
                    .replace("{id}", &order().await)
                    .replace("{entry_id}", "no-such-entry");
                s.post_json(&path, token, &json!({"decision": "dismiss"}))
                    .await
            }
            ("POST", path) if path.starts_with("/api/v1/orders/{id}") => {
                let body = match path.rsplit('/').next() {
                    Some("assign") => json!({"assignee": "reader3"}),
                    Some("cancel") => json!({"reason": "customer moved"}),
                    Some("notes") => json!({"text": "dog in the yard"}),
                    _ => json!({}),
                };
                let path = path.replace("{id}", &order().await);
                s.post_json(&path, token, &body).await
            }
            ("POST", "/api/v1/devices") => {
                s.post_json(row.path, token, &device_body(Uuid::new_v4()))
                    .await
            }
            ("POST", "/api/v1/devices/{id}/revoke") => {
                let owner = Self::assignee(who, scope);
                let (device, _) = self.device(owner).await;
                s.post_json(
                    &format!("/api/v1/devices/{device}/revoke"),
                    token,
                    &json!({}),
                )
                .await
            }
            ("POST", "/api/v1/sync") => {
                let (device, _) = self.device(who.username()).await;
                s.post_raw(
                    row.path,
                    token,
                    Some(wire::CONTENT_TYPE),
                    sync_frame(device),
                )
                .await
            }
            ("GET", path) => s.get(path, token).await,
            (method, path) => panic!("no request written for {method} {path}"),
        }
    }
}

fn device_body(id: Uuid) -> Value {
    json!({"device_id": id, "name": "handheld", "app_version": "1.0.0",
           "protocol_version": 1, "actors": []})
}

fn sync_frame(device: Uuid) -> Vec<u8> {
    wire::encode_request(&SyncRequest {
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        device_id: device.to_string(),
        cursor: None,
        uploads: Vec::new(),
        holdings: Vec::new(),
    })
}

/// Every `(METHOD, path)` under `/api/v1` in the OpenAPI document.
fn documented_endpoints() -> BTreeSet<(String, String)> {
    let doc = serde_json::to_value(fieldline_server::api::openapi::document()).expect("json");
    let mut endpoints = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                endpoints.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    endpoints
}

#[test]
fn every_documented_endpoint_has_exactly_one_row() {
    let rows: Vec<(String, String)> = MATRIX
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    let unique: BTreeSet<_> = rows.iter().cloned().collect();
    assert_eq!(unique.len(), rows.len(), "a row is listed twice");
    let documented = documented_endpoints();
    let missing: Vec<_> = documented.difference(&unique).collect();
    let stale: Vec<_> = unique.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "endpoints without a row in the security matrix: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for endpoints that no longer exist: {stale:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_role_and_order_gives_the_expected_status() {
    let world = World::new().await;
    let mut wrong = Vec::new();
    for row in MATRIX {
        for who in EVERYONE {
            for scope in [Scope::Own, Scope::OtherCrew] {
                let expected = (row.expect)(who, scope);
                let response = world.call(row, who, scope).await;
                if response.status != expected {
                    wrong.push(format!(
                        "{} {} as {who:?} on {scope:?}: expected {expected}, got {} {}",
                        row.method, row.path, response.status, response.text
                    ));
                } else if expected >= 400 {
                    // Every refusal is a JSON error with a code, never an empty or HTML body.
                    let code = response.json()["error"]["code"].clone();
                    if !code.is_string() {
                        wrong.push(format!(
                            "{} {} as {who:?}: {}",
                            row.method, row.path, response.text
                        ));
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    world.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_and_syncs_never_show_a_crew_another_crews_order() {
    let world = World::new().await;
    let mine = world.order("reader1").await;
    let theirs = world.order("reader2").await;
    let reader = world.token(Who::Reader);

    let list = world.server.get("/api/v1/orders", reader).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(list.text.contains(&mine), "{}", list.text);
    assert!(!list.text.contains(&theirs), "{}", list.text);

    let (device, _) = world.device("reader1").await;
    let answer = world
        .server
        .client
        .post(format!("{}/api/v1/sync", world.server.base_url))
        .bearer_auth(reader.expect("token"))
        .header("content-type", wire::CONTENT_TYPE)
        .body(sync_frame(device))
        .send()
        .await
        .expect("sync");
    assert_eq!(answer.status().as_u16(), 200);
    let bytes = answer.bytes().await.expect("answer");
    let response: SyncResponse =
        wire::decode_response(&bytes, &WireLimits::default()).expect("a sync answer");
    let delivered: Vec<&str> = response
        .documents
        .iter()
        .map(|d| d.order_id.as_str())
        .collect();
    assert!(delivered.contains(&mine.as_str()), "{delivered:?}");
    assert!(!delivered.contains(&theirs.as_str()), "{delivered:?}");
    world.server.stop().await;
}
