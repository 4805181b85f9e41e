//! `fieldline demo` end to end: the demo database signs in its users, lists its orders, keeps
//! roles apart, and reopens with `serve --data-dir` (the same database, the same signing keys).

use fieldline_server::AppState;
use fieldline_server::cli::{admin::open_migrated, prepare_demo};
use fieldline_server::config::{Config, PasswordHashConfig};
use serde_json::{Value, json};
use tokio::sync::oneshot;

struct Running {
    base_url: String,
    client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
}

impl Running {
    async fn start(state: AppState) -> Running {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(fieldline_server::serve(listener, state, async move {
            let _ = rx.await;
        }));
        Running {
            base_url: format!("http://{addr}"),
            client: reqwest::Client::new(),
            stop: Some(tx),
        }
    }

    async fn login(&self, username: &str) -> String {
        let response = self
            .client
            .post(format!("{}/api/v1/auth/login", self.base_url))
            .json(&json!({"username": username, "password": "demo"}))
            .send()
            .await
            .expect("login request");
        assert_eq!(response.status().as_u16(), 200, "{username} signs in");
        let body: Value = response.json().await.expect("login JSON");
        body["access_token"].as_str().expect("token").to_string()
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[tokio::test]
async fn demo_data_signs_in_lists_orders_and_reopens() {
    let dir = std::env::temp_dir().join(format!("fieldline-demo-{}", uuid::Uuid::new_v4()));
    let mut config = Config {
        data_dir: dir.clone(),
        password_hash: PasswordHashConfig::insecure_fast_for_tests(),
        login_rate_limit: 0,
        ..Config::default()
    };
    let demo = prepare_demo(&mut config).await.expect("demo prepared");
    assert!(demo.banner.contains("inspector2"), "{}", demo.banner);
    let state = AppState::new(demo.store, config.clone())
        .await
        .expect("state");
    let server = Running::start(state).await;

    let dispatcher = server.login("dispatcher").await;
    let (status, orders) = server.get("/api/v1/orders?limit=5", &dispatcher).await;
    assert_eq!(status, 200, "{orders}");
    assert!(orders["total"].as_i64().is_some_and(|n| n > 0), "{orders}");
    let (status, _) = server
        .get("/api/v1/premises?q=St&limit=1", &dispatcher)
        .await;
    assert_eq!(status, 200);

    let reader = server.login("reader1").await;
    let (status, body) = server.get("/api/v1/users", &reader).await;
    assert_eq!(status, 403, "{body}");
    drop(server);

    // `fieldline serve --data-dir DIR` opens the same database and keys.
    let reopened = open_migrated(&config).await.expect("reopen");
    let state = AppState::new(reopened, config).await.expect("state");
    assert!(state.tokens.verify(&dispatcher).await.is_ok(), "same keys");
    let server = Running::start(state).await;
    let (status, me) = server.get("/api/v1/me", &dispatcher).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["utility"]["slug"], "riverton");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
