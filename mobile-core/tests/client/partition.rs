//! The store is partitioned by user: another user's sign-in on the same device neither uploads
//! nor loses the first user's unsynced work, which waits for them.

use crate::support::{FakeServer, delivering, device_dir, order, signed_in};

#[test]
fn another_users_sign_in_neither_uploads_nor_loses_pending_work() {
    let server = FakeServer::start(&[("rita", "reader"), ("bob", "reader")]);
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    let rita_device = client.account().expect("account").expect("rita").device_id;
    client
        .apply_sync_response(&delivering(1, &[&order("order-1", "rita")]))
        .expect("deliver");
    client.en_route("order-1").expect("en route");
    client.arrive("order-1").expect("arrive");

    client
        .sign_in(&server.url, "bob", "pw", "test handheld")
        .expect("bob signs in");
    let bob = client.account().expect("account").expect("bob");
    assert_eq!(bob.username, "bob");
    assert_ne!(bob.device_id, rita_device);
    assert!(
        client.orders().expect("orders").is_empty(),
        "bob sees none of rita's orders"
    );
    let request = client.sync_request(false).expect("request");
    assert!(
        request.uploads.is_empty(),
        "rita's work is never uploaded as bob's"
    );
    assert_eq!(request.cursor, None);
    let status = client.status().expect("status");
    assert_eq!(status.pending_changes, 0);
    assert_eq!(status.waiting_users, vec!["rita".to_string()]);
    assert!(
        client.arrive("order-1").is_err(),
        "bob cannot act on rita's order"
    );

    client.sync().expect("bob syncs");
    {
        let state = server.state.lock().expect("state");
        let (token, request) = state.syncs.last().expect("a sync");
        assert_eq!(token, "token-bob");
        assert!(request.uploads.is_empty());
    }

    client
        .sign_in(&server.url, "rita", "pw", "test handheld")
        .expect("rita again");
    assert_eq!(
        client.account().expect("account").expect("rita").device_id,
        rita_device,
        "the device keeps its id for rita"
    );
    let status = client.status().expect("status");
    assert_eq!(status.pending_changes, 2);
    assert_eq!(status.actions_logged, 2);
    assert_eq!(status.cursor, Some(1));
    assert_eq!(client.order("order-1").expect("order").field.len(), 2);
}
