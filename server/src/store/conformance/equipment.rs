//! Conformance: installed seals and meters are recorded once per (number, order, entry), a
//! number installed on another order is found (also by concurrent writers), and a user's open
//! orders of some types are listed without the finished ones.

use super::*;

fn seal(number: &str, entry: &str) -> Install {
    Install {
        kind: EquipmentKind::Seal,
        number: number.into(),
        entry_id: entry.into(),
    }
}

pub(super) async fn installs_are_recorded_once_and_found_on_other_orders(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let b = utility(&store, "b").await;
    let mut ids = Vec::new();
    for u in [a.id, a.id, b.id] {
        let order = store
            .insert_order(
                u,
                &new_order(projection(OrderType::TurnOff, Status::InProgress), None),
            )
            .await
            .expect("order");
        ids.push(order);
    }
    let (first, second, other_utility) = (&ids[0], &ids[1], &ids[2]);
    let none = store
        .record_installs(a.id, first.id, &[seal("FL1", "e1")], at(2, 9))
        .await
        .expect("first install");
    assert!(none.is_empty(), "nobody else installed it: {none:?}");
    // Another utility's identical number is none of this utility's business.
    let none = store
        .record_installs(b.id, other_utility.id, &[seal("FL1", "x1")], at(2, 9))
        .await
        .expect("other utility");
    assert!(none.is_empty(), "{none:?}");
    let found = store
        .record_installs(
            a.id,
            second.id,
            &[
                seal("FL1", "e2"),
                Install {
                    kind: EquipmentKind::Meter,
                    number: "FL1".into(),
                    entry_id: "e3".into(),
                },
            ],
            at(2, 10),
        )
        .await
        .expect("second install");
    assert_eq!(
        found,
        vec![InstalledElsewhere {
            kind: EquipmentKind::Seal,
            number: "FL1".into(),
            order_id: first.id,
            order_number: first.number,
            entry_id: "e1".into(),
        }],
        "a meter serial is not a seal number"
    );
    // Recording again is a no-op, and each order finds the other.
    let again = store
        .record_installs(a.id, first.id, &[seal("FL1", "e1")], at(2, 11))
        .await
        .expect("repeat");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].order_id, second.id);
    let seen = store
        .installed_elsewhere(a.id, first.id, &[seal("FL1", "e1")])
        .await
        .expect("read");
    assert_eq!(seen, again);
    assert!(
        store
            .record_installs(a.id, first.id, &[], at(2, 11))
            .await
            .expect("nothing")
            .is_empty()
    );
}

pub(super) async fn concurrent_installs_of_one_number_see_each_other(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let mut orders = Vec::new();
    for _ in 0..6 {
        orders.push(
            store
                .insert_order(
                    a.id,
                    &new_order(projection(OrderType::TurnOff, Status::InProgress), None),
                )
                .await
                .expect("order"),
        );
    }
    let mut tasks = Vec::new();
    for (i, order) in orders.iter().enumerate() {
        let store = Arc::clone(&store);
        let (utility, id) = (a.id, order.id);
        tasks.push(tokio::spawn(async move {
            store
                .record_installs(utility, id, &[seal("FL9", &format!("e{i}"))], at(3, 9))
                .await
                .expect("install")
        }));
    }
    let mut seen = Vec::new();
    for task in tasks {
        seen.push(task.await.expect("task").len());
    }
    // Whatever the interleaving, the installs commit one after another: the k-th sees k-1.
    seen.sort_unstable();
    assert_eq!(seen, (0..orders.len()).collect::<Vec<_>>());
}

pub(super) async fn open_orders_of_a_user_leave_out_finished_work(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let crew = store
        .create_user(
            a.id,
            &NewUser {
                username: "crew".into(),
                display_name: "Crew".into(),
                role: Role::Inspector,
                password_hash: "x".into(),
            },
        )
        .await
        .expect("user");
    let mut open = Vec::new();
    for (order_type, status) in [
        (OrderType::Disconnect, Status::Received),
        (OrderType::Disconnect, Status::Completed),
        (OrderType::Reconnect, Status::InProgress),
        (OrderType::CycleRead, Status::Received),
    ] {
        let mut p = projection(order_type, status);
        p.assignee_id = Some(crew.id);
        let order = store
            .insert_order(a.id, &new_order(p, None))
            .await
            .expect("order");
        if !status.is_terminal() && order_type != OrderType::CycleRead {
            open.push(order.id);
        }
    }
    let found: Vec<Uuid> = store
        .open_orders_of(
            a.id,
            crew.id,
            &[OrderType::Disconnect, OrderType::Reconnect],
        )
        .await
        .expect("list")
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(found, open);
    assert!(
        store
            .open_orders_of(a.id, crew.id, &[])
            .await
            .expect("none")
            .is_empty()
    );
}
