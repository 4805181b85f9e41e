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

pub(super) async fn seals_installed_at_a_meter_or_premise_are_listed_newest_first(
    store: Arc<dyn Store>,
) {
    let a = utility(&store, "a").await;
    let b = utility(&store, "b").await;
    let (p1, _, m1) = metered_premise(store.as_ref(), a.id).await.expect("p1");
    let (p2, _, m2) = metered_premise(store.as_ref(), a.id).await.expect("p2");
    let (pb, _, mb) = metered_premise(store.as_ref(), b.id).await.expect("pb");
    let placed = |order_type, premise: &Premise, meter: Option<&Meter>| {
        let mut p = projection(order_type, Status::Completed);
        p.premise_id = Some(premise.id);
        p.meter_id = meter.map(|m| m.id);
        new_order(p, None)
    };
    let insert = |u: UtilityId, order: NewOrder| {
        let store = Arc::clone(&store);
        async move { store.insert_order(u, &order).await.expect("order") }
    };
    let disconnect = insert(a.id, placed(OrderType::Disconnect, &p1, Some(&m1))).await;
    let turn_off = insert(a.id, placed(OrderType::TurnOff, &p1, Some(&m1))).await;
    let inspection = insert(a.id, placed(OrderType::Inspection, &p1, None)).await;
    let elsewhere = insert(a.id, placed(OrderType::Disconnect, &p2, Some(&m2))).await;
    let other_utility = insert(b.id, placed(OrderType::Disconnect, &pb, Some(&mb))).await;
    for (u, order, number, hour) in [
        (a.id, &disconnect, "FL1", 9),
        (a.id, &turn_off, "FL2", 10),
        (a.id, &inspection, "FL3", 11),
        (a.id, &elsewhere, "FL4", 12),
        (b.id, &other_utility, "FL6", 13),
    ] {
        store
            .record_installs(u, order.id, &[seal(number, "s1")], at(2, hour))
            .await
            .expect("install");
    }
    // A meter the disconnect fitted is not a seal.
    let meter_install = Install {
        kind: EquipmentKind::Meter,
        number: "FL5".into(),
        entry_id: "m1".into(),
    };
    store
        .record_installs(a.id, disconnect.id, &[meter_install], at(2, 14))
        .await
        .expect("meter install");

    let numbers = |found: Vec<InstalledSeal>| -> Vec<String> {
        found.into_iter().map(|s| s.number).collect()
    };
    let shut_offs = [OrderType::Disconnect, OrderType::TurnOff];
    let last = store
        .seals_installed_at(a.id, EquipmentPlace::Meter(m1.id), &shut_offs, 1)
        .await
        .expect("last shut-off seal");
    assert_eq!(
        last,
        vec![InstalledSeal {
            number: "FL2".into(),
            order_id: turn_off.id,
            order_number: turn_off.number,
            order_type: OrderType::TurnOff,
            entry_id: "s1".into(),
            installed_at: at(2, 10),
        }]
    );
    let by_disconnects = store
        .seals_installed_at(
            a.id,
            EquipmentPlace::Meter(m1.id),
            &[OrderType::Disconnect],
            9,
        )
        .await
        .expect("disconnects");
    assert_eq!(numbers(by_disconnects), ["FL1"]);
    let at_premise = store
        .seals_installed_at(a.id, EquipmentPlace::Premise(p1.id), &[], 9)
        .await
        .expect("premise");
    assert_eq!(
        numbers(at_premise),
        ["FL3", "FL2", "FL1"],
        "newest first, any type"
    );
    let capped = store
        .seals_installed_at(a.id, EquipmentPlace::Premise(p1.id), &[], 2)
        .await
        .expect("capped");
    assert_eq!(numbers(capped), ["FL3", "FL2"]);
    let other_premise = store
        .seals_installed_at(a.id, EquipmentPlace::Premise(p2.id), &[], 9)
        .await
        .expect("other premise");
    assert_eq!(numbers(other_premise), ["FL4"]);
    // Another utility's meter and premise ids find nothing of this one's, and vice versa.
    for place in [EquipmentPlace::Meter(mb.id), EquipmentPlace::Premise(pb.id)] {
        let none = store
            .seals_installed_at(a.id, place, &[], 9)
            .await
            .expect("foreign place");
        assert!(none.is_empty(), "{none:?}");
    }
    let theirs = store
        .seals_installed_at(b.id, EquipmentPlace::Premise(pb.id), &[], 9)
        .await
        .expect("theirs");
    assert_eq!(numbers(theirs), ["FL6"]);

    // Installs recorded in one sync tie on time: the later order comes first.
    let same_time = insert(a.id, placed(OrderType::TurnOff, &p2, Some(&m2))).await;
    store
        .record_installs(a.id, same_time.id, &[seal("FL7", "s1")], at(2, 12))
        .await
        .expect("tied install");
    let tied = store
        .seals_installed_at(a.id, EquipmentPlace::Meter(m2.id), &shut_offs, 9)
        .await
        .expect("tied");
    assert_eq!(numbers(tied), ["FL7", "FL4"]);
}
