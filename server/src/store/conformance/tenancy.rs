//! Conformance: utilities, users, signing keys, isolation between utilities, and NotFound.

use super::*;

pub(super) async fn utilities_are_found_by_id_and_slug(store: Arc<dyn Store>) {
    store.ping().await.expect("ping");
    let a = utility(&store, "riverton").await;
    let b = utility(&store, "ashford").await;
    assert_eq!(store.get_utility(a.id).await.expect("by id"), a);
    assert_eq!(
        store.get_utility_by_slug("ashford").await.expect("by slug"),
        b
    );
    let all = store.list_utilities().await.expect("list");
    assert_eq!(all, vec![b, a], "listed by slug");
}

pub(super) async fn duplicate_slug_is_a_conflict(store: Arc<dyn Store>) {
    utility(&store, "riverton").await;
    let again = store
        .create_utility(&NewUtility {
            slug: "riverton".into(),
            name: "Other".into(),
        })
        .await;
    assert!(is_conflict(&again), "{again:?}");
}

pub(super) async fn users_are_unique_per_utility_and_found_across_utilities(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let b = utility(&store, "b").await;
    let in_a = user(&store, a.id, "reader1", Role::Reader).await;
    let in_b = user(&store, b.id, "reader1", Role::Inspector).await;
    let again = store
        .create_user(
            a.id,
            &NewUser {
                username: "reader1".into(),
                display_name: "dup".into(),
                role: Role::Admin,
                password_hash: "x".into(),
            },
        )
        .await;
    assert!(is_conflict(&again), "{again:?}");

    let mut both = store
        .find_users_by_username("reader1", None)
        .await
        .expect("find");
    both.sort_by_key(|u| u.utility_id == b.id);
    assert_eq!(both, vec![in_a.clone(), in_b.clone()]);
    let only_b = store
        .find_users_by_username("reader1", Some("b"))
        .await
        .expect("find in b");
    assert_eq!(only_b, vec![in_b.clone()]);
    assert!(
        store
            .find_users_by_username("nobody", None)
            .await
            .expect("find")
            .is_empty()
    );
    assert_eq!(
        store
            .get_user_by_username(b.id, "reader1")
            .await
            .expect("by name"),
        in_b
    );
}

pub(super) async fn user_changes_apply_and_missing_users_are_not_found(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let u = user(&store, a.id, "dispatcher", Role::Dispatcher).await;
    store
        .set_user_active(a.id, u.id, false)
        .await
        .expect("deactivate");
    store
        .set_user_password_hash(a.id, u.id, "new-hash")
        .await
        .expect("rehash");
    let got = store.get_user(a.id, u.id).await.expect("get");
    assert!(!got.active);
    assert_eq!(got.password_hash, "new-hash");
    assert_eq!(got.role, Role::Dispatcher);
    assert_eq!(store.list_users(a.id).await.expect("list"), vec![got]);
    let missing = store.set_user_active(a.id, Uuid::new_v4(), true).await;
    assert!(is_not_found(&missing), "{missing:?}");
}

pub(super) async fn signing_keys_are_listed_and_retired(store: Arc<dyn Store>) {
    let key = |kid: &str, day| SigningKey {
        kid: kid.into(),
        algorithm: "EdDSA".into(),
        private_key_der: vec![7; 48],
        public_key: vec![9; 32],
        created_at: at(day, 0),
        retired_at: None,
    };
    store.insert_signing_key(&key("k1", 1)).await.expect("k1");
    store.insert_signing_key(&key("k2", 2)).await.expect("k2");
    let dup = store.insert_signing_key(&key("k1", 3)).await;
    assert!(is_conflict(&dup), "{dup:?}");
    store
        .retire_signing_key("k1", at(4, 0))
        .await
        .expect("retire");
    let active = store.list_active_signing_keys().await.expect("active");
    assert_eq!(active, vec![key("k2", 2)]);
    let all = store.list_signing_keys().await.expect("all");
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].retired_at, Some(at(4, 0)));
    assert_eq!(all[1].private_key_der, vec![7; 48]);
    let missing = store.retire_signing_key("nope", at(4, 0)).await;
    assert!(is_not_found(&missing), "{missing:?}");
}

pub(super) async fn one_utility_never_sees_another_utilitys_rows(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let b = utility(&store, "b").await;
    let alice = user(&store, a.id, "alice", Role::Inspector).await;
    let p = premise(a.id, "1 Main St");
    store
        .insert_premises(a.id, std::slice::from_ref(&p))
        .await
        .expect("premise");
    let order = store
        .insert_order(
            a.id,
            &new_order(
                projection(OrderType::TurnOn, Status::Unassigned),
                Some(alice.id),
            ),
        )
        .await
        .expect("order");

    assert!(is_not_found(&store.get_user(b.id, alice.id).await));
    assert!(is_not_found(&store.get_premise(b.id, p.id).await));
    assert!(is_not_found(&store.get_order(b.id, order.id).await));
    assert!(is_not_found(
        &store.get_order_by_number(b.id, order.number).await
    ));
    assert!(is_not_found(&store.order_history(b.id, order.id).await));
    assert!(store.list_users(b.id).await.expect("users").is_empty());
    let premises = store
        .search_premises(b.id, None, PageRequest::default())
        .await
        .expect("premises");
    assert_eq!(premises.total, 0);
    let orders = store
        .list_orders(b.id, &OrderFilter::default(), PageRequest::default())
        .await
        .expect("orders");
    assert_eq!(orders.total, 0);
    let update = update_of(&order, vec![4], vec![change(2, None)]);
    assert!(is_not_found(
        &store.update_order(b.id, order.id, 1, &update).await
    ));
    // And A still sees its own.
    assert_eq!(
        store
            .order_history(a.id, order.id)
            .await
            .expect("history")
            .len(),
        1
    );
    // B cannot point its order at A's user or premise either.
    let mut crossing = projection(OrderType::TurnOff, Status::Assigned);
    crossing.assignee_id = Some(alice.id);
    crossing.premise_id = Some(p.id);
    let refused = store.insert_order(b.id, &new_order(crossing, None)).await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
}

pub(super) async fn missing_rows_are_not_found(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let nobody = Uuid::new_v4();
    assert!(is_not_found(&store.get_utility(UtilityId::new_v4()).await));
    assert!(is_not_found(&store.get_utility_by_slug("nope").await));
    assert!(is_not_found(&store.get_user(a.id, nobody).await));
    assert!(is_not_found(
        &store.get_user_by_username(a.id, "nope").await
    ));
    assert!(is_not_found(&store.get_premise(a.id, nobody).await));
    assert!(is_not_found(&store.get_account(a.id, nobody).await));
    assert!(is_not_found(&store.get_meter(a.id, nobody).await));
    assert!(is_not_found(&store.get_meter_by_serial(a.id, "nope").await));
    assert!(is_not_found(&store.get_route(a.id, nobody).await));
    assert!(is_not_found(&store.get_route_by_code(a.id, "nope").await));
    assert!(is_not_found(&store.get_order(a.id, nobody).await));
    assert!(is_not_found(&store.get_order_by_number(a.id, 1).await));
    assert!(is_not_found(&store.order_history(a.id, nobody).await));
    let update = OrderUpdate {
        doc: vec![],
        projection: projection(OrderType::TurnOn, Status::Assigned),
        changes: vec![],
        updated_at: at(2, 2),
    };
    assert!(is_not_found(
        &store.update_order(a.id, nobody, 1, &update).await
    ));
    let unknown_utility = store
        .insert_order(
            UtilityId::new_v4(),
            &new_order(projection(OrderType::TurnOn, Status::Unassigned), None),
        )
        .await;
    assert!(
        matches!(unknown_utility, Err(StoreError::Invalid(_))),
        "{unknown_utility:?}"
    );
}
