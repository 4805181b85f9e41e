//! Conformance: refresh tokens rotate once, families revoke together, and revoking a device
//! revokes its tokens while keeping the device and everything it uploaded.

use super::*;

async fn registered_device(store: &Arc<dyn Store>, u: UtilityId, user: &User) -> Device {
    let new = NewDevice {
        id: Uuid::new_v4(),
        user_id: user.id,
        name: "Truck 4".into(),
        app_version: "1.0.0".into(),
        protocol_version: 1,
        actors: vec![format!("{:032x}", rand_actor())],
        at: at(2, 8),
    };
    match store.register_device(u, &new).await.expect("register") {
        Registration::Registered(device) => device,
        other => panic!("not registered: {other:?}"),
    }
}

fn rand_actor() -> u128 {
    Uuid::new_v4().as_u128()
}

fn new_token(user: &User, device: &Device, family: Uuid, n: u8) -> NewRefreshToken {
    NewRefreshToken {
        token_hash: vec![n; 32],
        family_id: family,
        user_id: user.id,
        device_id: device.id,
        created_at: at(2, 9),
        expires_at: at(20, 9),
    }
}

pub(super) async fn refresh_tokens_rotate_once_and_families_revoke_together(store: Arc<dyn Store>) {
    let a = utility(&store, "alpha").await;
    let reader = user(&store, a.id, "reader1", Role::Reader).await;
    let device = registered_device(&store, a.id, &reader).await;
    let family = Uuid::new_v4();
    let first = new_token(&reader, &device, family, 1);
    store
        .start_refresh_family(a.id, &first)
        .await
        .expect("insert");
    let found = store
        .find_refresh_token(&first.token_hash)
        .await
        .expect("find")
        .expect("the token is stored");
    assert_eq!(found.utility_id, a.id);
    assert_eq!(found.family_id, family);
    assert_eq!(found.device_id, device.id);
    assert_eq!(found.expires_at, first.expires_at);
    assert_eq!((found.used_at, found.revoked_at), (None, None));
    assert_eq!(
        store.find_refresh_token(&[9; 32]).await.expect("find"),
        None
    );

    let second = new_token(&reader, &device, family, 2);
    assert_eq!(
        store
            .rotate_refresh_token(a.id, &first.token_hash, &second, at(3, 9))
            .await
            .expect("rotate"),
        Rotation::Rotated
    );
    let used = store
        .find_refresh_token(&first.token_hash)
        .await
        .expect("find")
        .expect("kept");
    assert_eq!(used.used_at, Some(at(3, 9)));
    // The used token cannot rotate again, and nothing is written when it tries.
    let third = new_token(&reader, &device, family, 3);
    assert_eq!(
        store
            .rotate_refresh_token(a.id, &first.token_hash, &third, at(4, 9))
            .await
            .expect("stale rotate"),
        Rotation::Stale
    );
    assert_eq!(
        store
            .find_refresh_token(&third.token_hash)
            .await
            .expect("find"),
        None
    );
    // Another utility cannot rotate it either.
    let b = utility(&store, "beta").await;
    assert_eq!(
        store
            .rotate_refresh_token(b.id, &second.token_hash, &third, at(4, 9))
            .await
            .expect("other utility"),
        Rotation::Stale
    );

    let second_device = registered_device(&store, a.id, &reader).await;
    let other_family = new_token(&reader, &second_device, Uuid::new_v4(), 4);
    store
        .start_refresh_family(a.id, &other_family)
        .await
        .expect("insert");
    assert_eq!(
        store
            .revoke_refresh_family(a.id, family, at(5, 9))
            .await
            .expect("revoke"),
        2
    );
    let revoked = store
        .find_refresh_token(&second.token_hash)
        .await
        .expect("find")
        .expect("kept");
    assert_eq!(revoked.revoked_at, Some(at(5, 9)));
    assert_eq!(
        store
            .rotate_refresh_token(a.id, &second.token_hash, &third, at(6, 9))
            .await
            .expect("revoked rotate"),
        Rotation::Stale
    );
    let untouched = store
        .find_refresh_token(&other_family.token_hash)
        .await
        .expect("find")
        .expect("kept");
    assert_eq!(untouched.revoked_at, None, "other families stay valid");

    let duplicate = store.start_refresh_family(a.id, &first).await;
    assert!(is_conflict(&duplicate), "{duplicate:?}");

    // A new sign-in on a device ends its earlier family.
    let replacement = new_token(&reader, &second_device, Uuid::new_v4(), 5);
    store
        .start_refresh_family(a.id, &replacement)
        .await
        .expect("new family");
    let ended = store
        .find_refresh_token(&other_family.token_hash)
        .await
        .expect("find")
        .expect("kept");
    assert!(ended.revoked_at.is_some(), "the earlier family is revoked");
}

pub(super) async fn revoking_a_device_revokes_its_tokens_and_keeps_the_device(
    store: Arc<dyn Store>,
) {
    let a = utility(&store, "alpha").await;
    let reader = user(&store, a.id, "reader1", Role::Reader).await;
    let device = registered_device(&store, a.id, &reader).await;
    let other = registered_device(&store, a.id, &reader).await;
    let mine = new_token(&reader, &device, Uuid::new_v4(), 1);
    let theirs = new_token(&reader, &other, Uuid::new_v4(), 2);
    for t in [&mine, &theirs] {
        store.start_refresh_family(a.id, t).await.expect("insert");
    }
    let listed = store.list_devices(a.id).await.expect("list");
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|d| d.revoked_at.is_none()));

    let revoked = store
        .revoke_device(a.id, device.id, at(3, 9))
        .await
        .expect("revoke");
    assert_eq!(revoked.revoked_at, Some(at(3, 9)));
    // Revoking again keeps the first time.
    let again = store
        .revoke_device(a.id, device.id, at(4, 9))
        .await
        .expect("revoke again");
    assert_eq!(again.revoked_at, Some(at(3, 9)));
    let fetched = store.get_device(a.id, device.id).await.expect("kept");
    assert_eq!(fetched.revoked_at, Some(at(3, 9)));
    assert_eq!(
        store
            .device_actors(a.id, device.id)
            .await
            .expect("actors")
            .len(),
        1,
        "its actors stay bound: who wrote its changes is still known"
    );
    let token = store
        .find_refresh_token(&mine.token_hash)
        .await
        .expect("find")
        .expect("kept");
    assert_eq!(token.revoked_at, Some(at(3, 9)));
    let other_token = store
        .find_refresh_token(&theirs.token_hash)
        .await
        .expect("find")
        .expect("kept");
    assert_eq!(other_token.revoked_at, None, "other devices keep theirs");

    let b = utility(&store, "beta").await;
    assert!(is_not_found(
        &store.revoke_device(b.id, other.id, at(3, 9)).await
    ));
    assert!(store.list_devices(b.id).await.expect("list").is_empty());
    assert!(is_not_found(
        &store.revoke_device(a.id, Uuid::new_v4(), at(3, 9)).await
    ));
}
