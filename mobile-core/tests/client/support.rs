//! Test support: a fake of the server's device contract (`/api/v1/auth/login`,
//! `/api/v1/devices`, `/api/v1/auth/refresh`, `/api/v1/sync`) on 127.0.0.1:0, and helpers to put orders on a device.

#![allow(dead_code)]

use crate::common;
use fieldline_core::client::FieldClient;
use fieldline_core::document::automerge::ChangeHash;
use fieldline_core::sync::wire::{self, WireLimits};
use fieldline_core::sync::{DocHeads, DocSnapshot, SyncResponse};
use fieldline_core::*;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

/// What the fake server holds and saw.
#[derive(Default)]
pub struct FakeState {
    /// username -> role.
    pub users: BTreeMap<String, String>,
    /// The server's documents.
    pub docs: BTreeMap<String, WorkOrderDoc>,
    /// Orders to deliver whole on the next sync, per username.
    pub to_deliver: BTreeMap<String, Vec<String>>,
    /// Device registrations received (JSON).
    pub registrations: Vec<serde_json::Value>,
    /// Sync requests received: (bearer token, request).
    pub syncs: Vec<(String, fieldline_core::sync::SyncRequest)>,
    /// Answer the next sync with this HTTP status and error code instead.
    pub fail_next_sync: Option<(u16, &'static str)>,
    /// Apply the next sync's uploads, then answer 503 (the answer is lost on the way).
    pub lose_next_answer: bool,
    /// Deliver at most this many new orders per answer, with `more` set (0: no paging).
    pub page_size: usize,
    /// Answer syncs without `holdings` with `reconcile` (a server restored from a backup).
    pub demand_reconcile: bool,
    /// Feed cursor.
    pub cursor: u64,
    /// Lifetime of the access tokens sign-in and refresh hand out, seconds.
    pub expires_in: i64,
    /// The refresh token each user's device holds now (older ones are refused).
    pub refresh_tokens: BTreeMap<String, String>,
    /// Refreshes answered with a new pair.
    pub refreshes: usize,
    /// Refuse every refresh (the sign-in expired or was revoked).
    pub refuse_refresh: bool,
}

/// A running fake server.
pub struct FakeServer {
    pub url: String,
    pub state: Arc<Mutex<FakeState>>,
}

impl FakeServer {
    /// Starts a fake that knows `users` (username, role); every password is `pw`.
    pub fn start(users: &[(&str, &str)]) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake server");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let state = Arc::new(Mutex::new(FakeState {
            users: users
                .iter()
                .map(|(u, r)| (u.to_string(), r.to_string()))
                .collect(),
            expires_in: 900,
            ..FakeState::default()
        }));
        let shared = state.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let state = shared.clone();
                thread::spawn(move || {
                    let _ = serve(stream, &state);
                });
            }
        });
        FakeServer { url, state }
    }

    /// Puts a new order, assigned to `username`, on the server to be delivered at next sync.
    pub fn dispatch(&self, order_id: &str, username: &str) {
        let doc = order(order_id, username);
        let mut state = self.state.lock().expect("fake state");
        state.docs.insert(order_id.to_string(), doc);
        state
            .to_deliver
            .entry(username.to_string())
            .or_default()
            .push(order_id.to_string());
    }
}

/// An order document created by the office replica and assigned to `assignee`.
pub fn order(order_id: &str, assignee: &str) -> WorkOrderDoc {
    let mut doc = WorkOrderDoc::create(
        order_id,
        &common::cycle_read_office(),
        common::actor(0),
        common::CREATED,
    )
    .expect("create");
    doc.apply_office_action(
        OfficeAction::Assign {
            assignee: assignee.into(),
            reason: None,
        },
        "dispatcher",
        Timestamp(common::CREATED.0 + 1),
    )
    .expect("assign");
    doc
}

/// An answer that delivers `docs` whole.
pub fn delivering(cursor: u64, docs: &[&WorkOrderDoc]) -> SyncResponse {
    let mut response = SyncResponse::empty(cursor);
    response.documents = docs
        .iter()
        .map(|doc| DocSnapshot {
            order_id: doc.order_id().expect("order id"),
            doc: doc.save(),
        })
        .collect();
    response
}

/// The heads of `doc` as the wire carries them.
pub fn wire_heads(order_id: &str, heads: &[ChangeHash]) -> DocHeads {
    DocHeads {
        order_id: order_id.to_string(),
        heads: heads.iter().map(|h| h.0).collect(),
    }
}

/// A fresh device directory.
pub fn device_dir() -> tempdir::Dir {
    tempdir::Dir::new()
}

/// A device signed in to `server` as `user`.
pub fn signed_in(server: &FakeServer, dir: &tempdir::Dir, user: &str) -> FieldClient {
    let client = FieldClient::open(dir.path()).expect("open the store");
    client
        .sign_in(&server.url, user, "pw", "test handheld")
        .expect("sign in");
    client
}

/// Minimal temporary directories (the core has no tempfile dependency).
pub mod tempdir {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU32, Ordering};

    static NEXT: AtomicU32 = AtomicU32::new(0);

    /// A directory removed on drop.
    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new() -> Dir {
            let n = NEXT.fetch_add(1, Ordering::SeqCst);
            let path = std::env::temp_dir()
                .join(format!("fieldline-client-test-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).expect("create a temp dir");
            Dir(path)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn serve(stream: TcpStream, state: &Mutex<FakeState>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string();
    let mut length = 0usize;
    let mut token = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().unwrap_or(0);
            }
            if name.eq_ignore_ascii_case("authorization") {
                token = value.trim_start_matches("Bearer ").to_string();
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let (status, content_type, answer) = route(&path, &token, &body, state);
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        answer.len()
    )?;
    stream.write_all(&answer)?;
    stream.flush()
}

fn error(status: u16, code: &str) -> (u16, &'static str, Vec<u8>) {
    let body = serde_json::json!({"error": {"code": code, "message": format!("fake says {code}")}});
    (status, "application/json", body.to_string().into_bytes())
}

fn route(
    path: &str,
    token: &str,
    body: &[u8],
    state: &Mutex<FakeState>,
) -> (u16, &'static str, Vec<u8>) {
    let mut state = state.lock().expect("fake state");
    match path {
        "/api/v1/auth/login" => {
            let Ok(login) = serde_json::from_slice::<serde_json::Value>(body) else {
                return error(400, "bad_json");
            };
            let username = login["username"].as_str().unwrap_or("").to_string();
            let Some(role) = state.users.get(&username).cloned() else {
                return error(401, "invalid_credentials");
            };
            if login["password"] != "pw" {
                return error(401, "invalid_credentials");
            }
            let answer = serde_json::json!({
                "access_token": format!("token-{username}"),
                "token_type": "Bearer",
                "expires_in": state.expires_in,
                "user": {"id": format!("id-{username}"), "username": username,
                         "display_name": username, "role": role, "utility": "riverton",
                         "utility_id": "u-1"}
            });
            (200, "application/json", answer.to_string().into_bytes())
        }
        "/api/v1/devices" => {
            if !token.starts_with("token-") {
                return error(401, "unauthorized");
            }
            let Ok(registration) = serde_json::from_slice::<serde_json::Value>(body) else {
                return error(400, "bad_json");
            };
            let username = token.trim_start_matches("token-").to_string();
            let refresh = format!("refresh-{username}-{}", state.registrations.len());
            state.refresh_tokens.insert(username, refresh.clone());
            let answer = serde_json::json!({"device_id": registration["device_id"],
                "registered_at": "now", "refresh_token": refresh, "refresh_expires_in": 3600});
            state.registrations.push(registration);
            (200, "application/json", answer.to_string().into_bytes())
        }
        "/api/v1/auth/refresh" => {
            let Ok(request) = serde_json::from_slice::<serde_json::Value>(body) else {
                return error(400, "bad_json");
            };
            let presented = request["refresh_token"].as_str().unwrap_or("");
            let owner = state
                .refresh_tokens
                .iter()
                .find(|(_, current)| current.as_str() == presented)
                .map(|(user, _)| user.clone());
            let Some(username) = owner.filter(|_| !state.refuse_refresh) else {
                return error(401, "refresh_token_expired");
            };
            state.refreshes += 1;
            let next = format!("refresh-{username}-r{}", state.refreshes);
            state.refresh_tokens.insert(username.clone(), next.clone());
            let answer = serde_json::json!({"access_token": format!("token-{username}"),
                "token_type": "Bearer", "expires_in": state.expires_in,
                "refresh_token": next, "refresh_expires_in": 3600});
            (200, "application/json", answer.to_string().into_bytes())
        }
        "/api/v1/sync" => {
            if let Some((status, code)) = state.fail_next_sync.take() {
                return error(status, code);
            }
            let Ok(request) = wire::decode_request(body, &WireLimits::default()) else {
                return error(400, "invalid_sync_frame");
            };
            let username = token.trim_start_matches("token-").to_string();
            let mut response = SyncResponse::empty(state.cursor);
            for upload in &request.uploads {
                // Field-found orders arrive as changes to a document the server does not hold.
                let doc = state
                    .docs
                    .entry(upload.order_id.clone())
                    .or_insert_with(|| WorkOrderDoc::empty(common::actor(9)));
                if doc.apply_changes(&upload.changes).is_err() {
                    return error(400, "invalid_change");
                }
                let heads = doc.heads();
                response.acked.push(wire_heads(&upload.order_id, &heads));
            }
            if state.lose_next_answer {
                state.lose_next_answer = false;
                state.syncs.push((token.to_string(), request));
                return error(503, "unavailable");
            }
            if state.demand_reconcile && request.holdings.is_empty() {
                response.reconcile = true;
                state.syncs.push((token.to_string(), request));
                return (200, wire::CONTENT_TYPE, wire::encode_response(&response));
            }
            let mut deliver = state.to_deliver.remove(&username).unwrap_or_default();
            if state.page_size > 0 && deliver.len() > state.page_size {
                let rest = deliver.split_off(state.page_size);
                state.to_deliver.insert(username.clone(), rest);
                response.more = true;
            }
            for order_id in deliver {
                if let Some(doc) = state.docs.get(&order_id) {
                    response.documents.push(DocSnapshot {
                        order_id,
                        doc: doc.save(),
                    });
                }
            }
            state.cursor += 1;
            response.cursor = state.cursor;
            state.syncs.push((token.to_string(), request));
            (200, wire::CONTENT_TYPE, wire::encode_response(&response))
        }
        _ => error(404, "not_found"),
    }
}
