//! Offline expiry with a real device client and a real server: tokens that expire while the
//! handheld is offline cost no work, the same user signing in again syncs everything, and
//! another user signing in on the handheld neither uploads the first user's work nor loses it.

use crate::fixtures::metered_premise;
use fieldline_core::client::ClientError;
use fieldline_tests::{Handheld, PASSWORD, TestServer};
use serde_json::json;

async fn order_for(server: &TestServer, office: &str, assignee: &str) -> String {
    let (_, meter) = metered_premise(server, &server.utility).await;
    let created = server
        .post_json(
            "/api/v1/orders",
            Some(office),
            &json!({"order_type": "cycle_read", "meter_id": meter.id, "assignee": assignee}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.json()["id"].as_str().expect("id").to_string()
}

/// The status the server derives for an order.
async fn server_status(server: &TestServer, office: &str, order: &str) -> String {
    let view = server
        .get(&format!("/api/v1/orders/{order}"), Some(office))
        .await;
    assert_eq!(view.status, 200, "{}", view.text);
    view.json()["derived"]["status"]
        .as_str()
        .expect("status")
        .to_string()
}

/// The status the handheld shows for an order.
async fn device_status(handheld: &Handheld, order: &str) -> String {
    let order = order.to_string();
    let summaries = handheld.run(|c| c.orders()).await.expect("orders");
    let summary = summaries
        .into_iter()
        .find(|s| s.order_id == order)
        .expect("the handheld holds the order");
    serde_json::to_value(summary.status)
        .expect("status")
        .as_str()
        .expect("a name")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_that_expire_offline_cost_no_work_and_the_same_user_syncs_after_signing_in() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let order = order_for(&server, &office, "reader1").await;
    let handheld = Handheld::sign_in(&server, "reader1").await;
    assert_eq!(handheld.try_sync().await.expect("first sync").new_orders, 1);
    let assigned = server_status(&server, &office, &order).await;

    handheld.expire_tokens(&server).await;
    let id = order.clone();
    handheld
        .run(move |c| c.en_route(&id))
        .await
        .expect("work goes on with expired tokens");
    let refused = handheld.try_sync().await;
    assert!(
        matches!(refused, Err(ClientError::Unauthorized(_))),
        "{refused:?}"
    );
    let id = order.clone();
    handheld
        .run(move |c| c.arrive(&id))
        .await
        .expect("work goes on after a refused sync");
    let status = handheld.run(|c| c.status()).await.expect("status");
    assert!(status.sign_in_needed);
    assert_eq!(status.pending_orders, 1, "every edit is kept: {status:?}");
    assert_eq!(
        server_status(&server, &office, &order).await,
        assigned,
        "nothing reached the server"
    );

    handheld.sign_in_as(&server, "reader1").await;
    let report = handheld.try_sync().await.expect("sync after signing in");
    assert!(report.uploaded_changes >= 2, "{report:?}");
    let status = handheld.run(|c| c.status()).await.expect("status");
    assert_eq!((status.pending_changes, status.sign_in_needed), (0, false));
    assert_eq!(
        server_status(&server, &office, &order).await,
        device_status(&handheld, &order).await,
        "the server holds the offline work"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_user_on_the_handheld_neither_uploads_nor_loses_the_first_users_work() {
    let server = TestServer::start().await;
    server
        .add_user(&server.utility, "reader2", fieldline_core::Role::Reader)
        .await;
    let office = server.login("dispatcher", PASSWORD).await;
    let first = order_for(&server, &office, "reader1").await;
    let second = order_for(&server, &office, "reader2").await;
    let handheld = Handheld::sign_in(&server, "reader1").await;
    handheld.try_sync().await.expect("first sync");
    let assigned = server_status(&server, &office, &first).await;
    handheld.expire_tokens(&server).await;
    let id = first.clone();
    handheld
        .run(move |c| c.en_route(&id))
        .await
        .expect("offline work");

    // reader2 takes the handheld and signs in: their sync carries none of reader1's work.
    handheld.sign_in_as(&server, "reader2").await;
    let report = handheld.try_sync().await.expect("reader2 syncs");
    assert_eq!(report.uploaded_changes, 0, "{report:?}");
    assert_eq!(report.new_orders, 1, "reader2 gets their own order");
    let orders = handheld.run(|c| c.orders()).await.expect("orders");
    let shown: Vec<&str> = orders.iter().map(|o| o.order_id.as_str()).collect();
    assert_eq!(
        shown,
        [second.as_str()],
        "reader2 sees only their own order"
    );
    let status = handheld.run(|c| c.status()).await.expect("status");
    assert_eq!(status.waiting_users, ["reader1"], "{status:?}");
    assert_eq!(server_status(&server, &office, &first).await, assigned);

    // An admin can take reader1's waiting work off the device without them: exactly their one
    // pending change and the action behind it, and nothing of reader2's.
    let export = handheld.run(|c| c.export_pending()).await.expect("export");
    assert_eq!(export.accounts.len(), 1, "{export:?}");
    let waiting = &export.accounts[0];
    assert_eq!(waiting.account.username, "reader1");
    assert_eq!(waiting.orders.len(), 1, "{waiting:?}");
    assert_eq!(waiting.orders[0].order_id, first);
    assert_eq!(waiting.orders[0].changes.len(), 1);
    assert_eq!(waiting.orders[0].actions.len(), 1);
    assert_eq!(waiting.orders[0].actions[0].action["action"], "en_route");

    // reader1 comes back: their work syncs as theirs.
    handheld.sign_in_as(&server, "reader1").await;
    let report = handheld.try_sync().await.expect("reader1 syncs");
    assert_eq!(report.uploaded_changes, 1, "{report:?}");
    assert_eq!(
        server_status(&server, &office, &first).await,
        device_status(&handheld, &first).await
    );
    assert_ne!(server_status(&server, &office, &first).await, assigned);
    let status = handheld.run(|c| c.status()).await.expect("status");
    assert!(status.waiting_users.is_empty(), "{status:?}");
    let export = handheld.run(|c| c.export_pending()).await.expect("export");
    assert!(
        export.accounts.is_empty(),
        "nothing is left to export: {export:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_token_is_renewed_with_the_refresh_token_without_a_sign_in() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let order = order_for(&server, &office, "reader1").await;
    let handheld = Handheld::sign_in(&server, "reader1").await;
    handheld.try_sync().await.expect("first sync");

    // The device knows its access token expired: it refreshes before syncing.
    let (stale, exp) = handheld.stale_access_token(&server).await;
    handheld.set_tokens(&stale, exp, None).await;
    let id = order.clone();
    handheld.run(move |c| c.en_route(&id)).await.expect("work");
    let report = handheld.try_sync().await.expect("renewed and synced");
    assert_eq!(report.uploaded_changes, 1, "{report:?}");

    // The device clock is wrong and believes the stale token is good: the server answers
    // `token_expired`, the device refreshes once and retries.
    let far_future = exp + 10 * 365 * 24 * 3600;
    handheld.set_tokens(&stale, far_future, None).await;
    let id = order.clone();
    handheld.run(move |c| c.arrive(&id)).await.expect("work");
    let report = handheld
        .try_sync()
        .await
        .expect("refreshed on 401 and retried");
    assert_eq!(report.uploaded_changes, 1, "{report:?}");
    let status = handheld.run(|c| c.status()).await.expect("status");
    assert_eq!((status.pending_changes, status.sign_in_needed), (0, false));
    assert_eq!(
        server_status(&server, &office, &order).await,
        device_status(&handheld, &order).await
    );
    server.stop().await;
}
