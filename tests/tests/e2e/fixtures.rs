//! Shared fixtures of the end-to-end tests: the utility's network as the billing system would
//! have loaded it, and the office's and the crew's most common requests.

use fieldline_core::{Capture, FieldAction, PhotoRef};
use fieldline_server::store::{Meter, Premise, Store, Utility, testing};
use fieldline_tests::TestServer;
use serde_json::Value;

/// A premise with an active account and a one-register meter, stored in `utility`.
pub async fn metered_premise(server: &TestServer, utility: &Utility) -> (Premise, Meter) {
    metered_premise_in(server.store(), utility).await
}

/// [`metered_premise`] through any store connection (the crash tests' server is another process).
/// The register's limits are 1010..1100 after a previous read of 1000.
pub async fn metered_premise_in(store: &dyn Store, utility: &Utility) -> (Premise, Meter) {
    let (premise, _, meter) = testing::metered_premise(store, utility.id)
        .await
        .expect("a metered premise");
    (premise, meter)
}

/// Creates an order as the office (`body` as `POST /api/v1/orders` takes it); returns its detail.
pub async fn create_order_detail(server: &TestServer, office: &str, body: &Value) -> Value {
    let created = server.post_json("/api/v1/orders", Some(office), body).await;
    assert_eq!(created.status, 201, "{body}: {}", created.text);
    created.json()
}

/// [`create_order_detail`], returning the new order's id.
pub async fn create_order(server: &TestServer, office: &str, body: Value) -> String {
    create_order_detail(server, office, &body).await["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// The order as the office API shows it.
pub async fn office_view(server: &TestServer, office: &str, order: &str) -> Value {
    let shown = server
        .get(&format!("/api/v1/orders/{order}"), Some(office))
        .await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    shown.json()
}

/// A capture step as the crew records it, with its photos and no note.
pub fn cap(capture: Capture, photos: Vec<PhotoRef>) -> FieldAction {
    FieldAction::Capture {
        capture,
        photos,
        note: None,
    }
}
