//! Conformance: premises, accounts, meters with registers and reads, routes, bulk inserts.

use super::*;

pub(super) async fn bulk_inserted_premises_are_searchable_and_paged(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let rows: Vec<Premise> = (0..2_000)
        .map(|i| {
            let street = if i % 2 == 0 { "Elm St" } else { "Oak Ave" };
            premise(a.id, &format!("{:04} {street}", i))
        })
        .collect();
    store.insert_premises(a.id, &rows).await.expect("bulk");
    let all = store
        .search_premises(a.id, None, PageRequest::first(10))
        .await
        .expect("all");
    assert_eq!(all.total, 2_000);
    assert_eq!(all.items.len(), 10);
    assert_eq!(all.items[0].address, "0000 Elm St");
    assert_eq!(all.items[0], rows[0]);
    let oak = store
        .search_premises(
            a.id,
            Some("oak AVE"),
            PageRequest {
                limit: 5,
                offset: 995,
            },
        )
        .await
        .expect("oak");
    assert_eq!(oak.total, 1_000);
    assert_eq!(oak.items.len(), 5);
    assert_eq!(oak.items[4].address, "1999 Oak Ave");
    let literal = store
        .search_premises(a.id, Some("%"), PageRequest::default())
        .await
        .expect("escaped");
    assert_eq!(literal.total, 0, "% is matched literally");
}

pub(super) fn meter(u: UtilityId, premise: Uuid, serial: &str, registers: u32) -> Meter {
    Meter {
        id: Uuid::new_v4(),
        utility_id: u,
        serial: serial.into(),
        premise_id: Some(premise),
        size: "5/8\"".into(),
        location_code: Some("curb box front".into()),
        status: "active".into(),
        installed_at: Some(at(1, 0)),
        registers: (1..=registers)
            .map(|n| MeterRegister {
                number: n,
                dials_left: 5,
                dials_right: 1,
                multiplier: 1,
                unit: "CCF".into(),
                last_read: Some("01234.5".into()),
                last_read_at: Some(at(1, 10)),
                low_limit: Some(1240.0),
                high_limit: Some(1260.25),
            })
            .collect(),
    }
}

pub(super) async fn meters_keep_their_registers_and_read_history(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let p = premise(a.id, "5 Elm St");
    store
        .insert_premises(a.id, std::slice::from_ref(&p))
        .await
        .expect("premise");
    let single = meter(a.id, p.id, "M-100", 1);
    let compound = meter(a.id, p.id, "M-200", 2);
    store
        .insert_meters(a.id, &[single.clone(), compound.clone()])
        .await
        .expect("meters");
    assert_eq!(
        store.get_meter(a.id, compound.id).await.expect("get"),
        compound
    );
    assert_eq!(
        store
            .get_meter_by_serial(a.id, "M-100")
            .await
            .expect("serial"),
        single
    );
    let found = store
        .search_meters(a.id, Some("M-2"), PageRequest::default())
        .await
        .expect("search");
    assert_eq!(found.total, 1);
    assert_eq!(found.items, vec![compound.clone()]);
    assert_eq!(
        store
            .meters_for_premise(a.id, p.id)
            .await
            .expect("at premise"),
        vec![single.clone(), compound.clone()]
    );
    let dup = store
        .insert_meters(a.id, &[meter(a.id, p.id, "M-100", 1)])
        .await;
    assert!(is_conflict(&dup), "{dup:?}");

    let reads: Vec<MeterRead> = (0..12)
        .rev()
        .map(|m| MeterRead {
            meter_id: compound.id,
            register: 2 - (m % 2),
            value: format!("{:07.1}", 1000.0 + f64::from(m) * 10.0),
            read_at: at(1 + m, 9),
            kind: if m == 3 {
                ReadKind::Estimated
            } else {
                ReadKind::Actual
            },
        })
        .collect();
    store.insert_meter_reads(a.id, &reads).await.expect("reads");
    let history = store.meter_reads(a.id, compound.id).await.expect("history");
    assert_eq!(history.len(), 12);
    assert!(
        history
            .windows(2)
            .all(|w| (w[0].register, w[0].read_at) < (w[1].register, w[1].read_at))
    );
    assert!(history.iter().any(|r| r.kind == ReadKind::Estimated));
    let orphan = store
        .insert_meter_reads(
            a.id,
            &[MeterRead {
                meter_id: single.id,
                register: 9,
                value: "1".into(),
                read_at: at(1, 1),
                kind: ReadKind::Actual,
            }],
        )
        .await;
    assert!(matches!(orphan, Err(StoreError::Invalid(_))), "{orphan:?}");
}

pub(super) async fn accounts_and_routes_round_trip(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let reader = user(&store, a.id, "reader1", Role::Reader).await;
    let p = premise(a.id, "9 Oak Ave");
    store
        .insert_premises(a.id, std::slice::from_ref(&p))
        .await
        .expect("premise");
    let account = Account {
        id: Uuid::new_v4(),
        utility_id: a.id,
        number: "100-2003".into(),
        premise_id: p.id,
        customer_name: "J. Doe".into(),
        status: AccountStatus::Locked,
        balance_cents: 18_250,
        past_due_cents: 12_000,
        notice_served_at: Some(at(1, 12)),
        medical_hold: true,
        life_support: false,
        payment_plan: true,
        as_of: at(2, 6),
    };
    store
        .insert_accounts(a.id, std::slice::from_ref(&account))
        .await
        .expect("account");
    assert_eq!(
        store.get_account(a.id, account.id).await.expect("get"),
        account
    );
    assert_eq!(
        store
            .accounts_for_premise(a.id, p.id)
            .await
            .expect("at premise"),
        vec![account.clone()]
    );
    let dangling = Account {
        id: Uuid::new_v4(),
        number: "other".into(),
        premise_id: Uuid::new_v4(),
        ..account
    };
    let refused = store.insert_accounts(a.id, &[dangling]).await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );

    let route = Route {
        id: Uuid::new_v4(),
        utility_id: a.id,
        code: "C01-B01".into(),
        name: "Cycle 1 book 1".into(),
        cycle: Some("01".into()),
        book: Some("B01".into()),
        scheduled_day: chrono::NaiveDate::from_ymd_opt(2026, 3, 2),
        default_assignee: Some(reader.id),
    };
    store
        .insert_routes(a.id, std::slice::from_ref(&route))
        .await
        .expect("route");
    assert_eq!(store.get_route(a.id, route.id).await.expect("get"), route);
    assert_eq!(
        store
            .get_route_by_code(a.id, "C01-B01")
            .await
            .expect("code"),
        route
    );
    assert_eq!(store.list_routes(a.id).await.expect("list"), vec![route]);
}

pub(super) async fn rows_of_another_utility_are_refused_in_bulk_inserts(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let b = utility(&store, "b").await;
    let refused = store
        .insert_premises(a.id, &[premise(a.id, "1 A St"), premise(b.id, "2 B St")])
        .await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
    let none = store
        .search_premises(a.id, None, PageRequest::default())
        .await
        .expect("search");
    assert_eq!(none.total, 0, "nothing of the refused batch was written");
}

pub(super) async fn a_served_notice_moves_the_notice_time_forward_only(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let p = premise(a.id, "12 Birch Rd");
    store
        .insert_premises(a.id, std::slice::from_ref(&p))
        .await
        .expect("premise");
    let account = Account {
        id: Uuid::new_v4(),
        utility_id: a.id,
        number: "100-4001".into(),
        premise_id: p.id,
        customer_name: "K. Lee".into(),
        status: AccountStatus::Active,
        balance_cents: 9_000,
        past_due_cents: 9_000,
        notice_served_at: None,
        medical_hold: false,
        life_support: false,
        payment_plan: false,
        as_of: at(1, 6),
    };
    store
        .insert_accounts(a.id, std::slice::from_ref(&account))
        .await
        .expect("account");
    let served = store
        .record_notice_served(a.id, account.id, at(3, 10))
        .await
        .expect("served");
    assert_eq!(served.notice_served_at, Some(at(3, 10)));
    assert_eq!(served.past_due_cents, 9_000, "only the notice time changes");
    assert_eq!(served.as_of, account.as_of);
    let older = store
        .record_notice_served(a.id, account.id, at(2, 10))
        .await
        .expect("older");
    assert_eq!(older.notice_served_at, Some(at(3, 10)), "never moves back");
    let newer = store
        .record_notice_served(a.id, account.id, at(5, 9))
        .await
        .expect("newer");
    assert_eq!(newer.notice_served_at, Some(at(5, 9)));
    assert_eq!(
        store.get_account(a.id, account.id).await.expect("get"),
        newer
    );
    let other = utility(&store, "b").await;
    assert!(is_not_found(
        &store
            .record_notice_served(other.id, account.id, at(6, 9))
            .await
    ));
    assert!(is_not_found(
        &store
            .record_notice_served(a.id, Uuid::new_v4(), at(6, 9))
            .await
    ));
}

pub(super) async fn a_meter_exchange_takes_the_old_meter_out_and_installs_the_new_once(
    store: Arc<dyn Store>,
) {
    let a = utility(&store, "a").await;
    let p = premise(a.id, "3 Ash Ct");
    let elsewhere = premise(a.id, "4 Ash Ct");
    store
        .insert_premises(a.id, &[p.clone(), elsewhere.clone()])
        .await
        .expect("premises");
    let old = meter(a.id, p.id, "OLD-1", 1);
    let mut stocked = meter(a.id, p.id, "STOCK-1", 1);
    stocked.premise_id = None;
    stocked.status = "in_stock".into();
    let busy = meter(a.id, elsewhere.id, "BUSY-1", 1);
    store
        .insert_meters(a.id, &[old.clone(), stocked.clone(), busy.clone()])
        .await
        .expect("meters");
    let exchange_to = |serial: &str| {
        let mut new = meter(a.id, p.id, serial, 1);
        new.installed_at = Some(at(4, 11));
        new.registers[0].last_read = Some("00000.2".into());
        new.registers[0].last_read_at = Some(at(4, 11));
        new.registers[0].low_limit = None;
        new.registers[0].high_limit = None;
        MeterExchange {
            old_meter: old.id,
            final_reads: vec![MeterRead {
                meter_id: old.id,
                register: 1,
                value: "01250.0".into(),
                read_at: at(4, 11),
                kind: ReadKind::Actual,
            }],
            new_meter: new,
        }
    };

    // A serial installed at another premise is refused, and nothing changes.
    let refused = store
        .record_meter_exchange(a.id, &exchange_to("BUSY-1"))
        .await;
    assert!(is_conflict(&refused), "{refused:?}");
    assert_eq!(store.get_meter(a.id, old.id).await.expect("old"), old);

    // A meter in stock moves to the premise with the new registers.
    let exchange = exchange_to("STOCK-1");
    let installed = store
        .record_meter_exchange(a.id, &exchange)
        .await
        .expect("exchanged");
    assert_eq!(installed.id, stocked.id, "the stock record is reused");
    assert_eq!(installed.premise_id, Some(p.id));
    assert_eq!(installed.status, "active");
    assert_eq!(installed.installed_at, Some(at(4, 11)));
    assert_eq!(installed.registers, exchange.new_meter.registers);
    let removed = store.get_meter(a.id, old.id).await.expect("old");
    assert_eq!(removed.status, "removed");
    assert_eq!(removed.premise_id, None);
    assert_eq!(removed.registers[0].last_read.as_deref(), Some("01250.0"));
    assert_eq!(
        store
            .meters_for_premise(a.id, p.id)
            .await
            .expect("at premise"),
        vec![installed.clone()]
    );
    let history = store.meter_reads(a.id, old.id).await.expect("history");
    assert_eq!(history, exchange.final_reads);

    // The same exchange again (a device re-sending it) changes nothing.
    let again = store
        .record_meter_exchange(a.id, &exchange)
        .await
        .expect("again");
    assert_eq!(again, installed);
    assert_eq!(
        store.meter_reads(a.id, old.id).await.expect("history"),
        history
    );

    // A serial nobody has yet is inserted.
    let mut fresh = exchange_to("NEW-9");
    fresh.old_meter = installed.id;
    fresh.final_reads[0].meter_id = installed.id;
    let inserted = store
        .record_meter_exchange(a.id, &fresh)
        .await
        .expect("inserted");
    assert_eq!(inserted.id, fresh.new_meter.id);
    assert_eq!(inserted.serial, "NEW-9");
    assert!(is_not_found(
        &store
            .record_meter_exchange(
                a.id,
                &MeterExchange {
                    old_meter: Uuid::new_v4(),
                    ..exchange_to("NEW-10")
                }
            )
            .await
    ));
}

pub(super) async fn a_meter_correction_applies_only_to_the_record_it_was_decided_on(
    store: Arc<dyn Store>,
) {
    let a = utility(&store, "a").await;
    let p = premise(a.id, "7 Birch Rd");
    store
        .insert_premises(a.id, std::slice::from_ref(&p))
        .await
        .expect("premise");
    let read = meter(a.id, p.id, "FIX-1", 2);
    let other = meter(a.id, p.id, "TAKEN-1", 1);
    store
        .insert_meters(a.id, &[read.clone(), other.clone()])
        .await
        .expect("meters");

    // Three registers with new dials on register 1, a new serial, size and location, notes.
    let mut after = read.clone();
    after.serial = "FIX-2".into();
    after.size = "1\"".into();
    after.location_code = Some("basement".into());
    after.registers[0].dials_left = 6;
    let mut third = after.registers[1].clone();
    third.number = 3;
    third.last_read = None;
    third.last_read_at = None;
    after.registers.push(third);
    let correction = MeterCorrection {
        before: read.clone(),
        after: after.clone(),
        access_notes: Some(AccessNotesCorrection {
            premise_id: p.id,
            before: p.access_notes.clone(),
            after: "gate code 4471".into(),
        }),
    };
    let corrected = store
        .correct_meter(a.id, &correction)
        .await
        .expect("corrected");
    assert_eq!(corrected.serial, "FIX-2");
    assert_eq!(corrected.size, "1\"");
    assert_eq!(corrected.location_code.as_deref(), Some("basement"));
    assert_eq!(corrected.registers.len(), 3);
    assert_eq!(corrected.registers[0].dials_left, 6);
    // Reads of a register stay with it; a new register has none.
    assert_eq!(
        corrected.registers[0].last_read,
        read.registers[0].last_read
    );
    assert_eq!(corrected.registers[2].last_read, None);
    assert_eq!(
        store
            .get_meter_by_serial(a.id, "FIX-2")
            .await
            .expect("by serial")
            .id,
        read.id
    );
    assert_eq!(
        store
            .get_premise(a.id, p.id)
            .await
            .expect("premise")
            .access_notes
            .as_deref(),
        Some("gate code 4471")
    );

    // The same correction again: the record no longer reads `before`; nothing is written.
    let again = store.correct_meter(a.id, &correction).await;
    assert!(
        matches!(&again, Err(StoreError::Conflict(m)) if m.contains("serial")),
        "{again:?}"
    );
    assert_eq!(
        store.get_meter(a.id, read.id).await.expect("meter"),
        corrected
    );

    // Fewer registers, and a serial that is another meter's: refused, nothing written.
    let mut clash = corrected.clone();
    clash.serial = other.serial.clone();
    clash.registers.truncate(1);
    let refused = store
        .correct_meter(
            a.id,
            &MeterCorrection {
                before: corrected.clone(),
                after: clash.clone(),
                access_notes: None,
            },
        )
        .await;
    assert!(
        matches!(&refused, Err(StoreError::Conflict(m)) if m.contains("TAKEN-1")),
        "{refused:?}"
    );
    assert_eq!(
        store.get_meter(a.id, read.id).await.expect("meter"),
        corrected
    );

    // Stale access notes are refused with the meter untouched.
    let mut size_only = corrected.clone();
    size_only.size = "2\"".into();
    size_only.registers.truncate(1);
    let stale_notes = store
        .correct_meter(
            a.id,
            &MeterCorrection {
                before: corrected.clone(),
                after: size_only.clone(),
                access_notes: Some(AccessNotesCorrection {
                    premise_id: p.id,
                    before: p.access_notes.clone(),
                    after: "dog".into(),
                }),
            },
        )
        .await;
    assert!(
        matches!(&stale_notes, Err(StoreError::Conflict(m)) if m.contains("access notes")),
        "{stale_notes:?}"
    );
    assert_eq!(
        store.get_meter(a.id, read.id).await.expect("meter"),
        corrected
    );

    // Removing a register, then another utility's view of the meter: not found.
    let fewer = store
        .correct_meter(
            a.id,
            &MeterCorrection {
                before: corrected.clone(),
                after: size_only.clone(),
                access_notes: None,
            },
        )
        .await
        .expect("fewer registers");
    assert_eq!(fewer.registers.len(), 1);
    assert_eq!(fewer.size, "2\"");
    let b = utility(&store, "b").await;
    let mut foreign = MeterCorrection {
        before: fewer.clone(),
        after: fewer.clone(),
        access_notes: None,
    };
    foreign.before.utility_id = b.id;
    foreign.after.utility_id = b.id;
    assert!(is_not_found(&store.correct_meter(b.id, &foreign).await));
}

pub(super) async fn a_meter_correction_and_its_order_decision_are_written_together_or_not_at_all(
    store: Arc<dyn Store>,
) {
    let a = utility(&store, "a").await;
    let p = premise(a.id, "9 Alder Ct");
    store
        .insert_premises(a.id, std::slice::from_ref(&p))
        .await
        .expect("premise");
    let read = meter(a.id, p.id, "PAIR-1", 1);
    let other = meter(a.id, p.id, "PAIR-TAKEN", 1);
    store
        .insert_meters(a.id, &[read.clone(), other.clone()])
        .await
        .expect("meters");
    let order = store
        .insert_order(
            a.id,
            &new_order(projection(OrderType::CycleRead, Status::Assigned), None),
        )
        .await
        .expect("order");
    let mut after = read.clone();
    after.serial = "PAIR-2".into();
    let correction = MeterCorrection {
        before: read.clone(),
        after: after.clone(),
        access_notes: Some(AccessNotesCorrection {
            premise_id: p.id,
            before: p.access_notes.clone(),
            after: "knock twice".into(),
        }),
    };
    let history_len = |order| {
        let store = store.clone();
        async move {
            store
                .order_history(a.id, order)
                .await
                .expect("history")
                .len()
        }
    };

    // Another decision (or a sync) moved the order after it was read: nothing is written, the
    // meter and the premise's notes stay as they were.
    let moved = store
        .update_order(
            a.id,
            order.id,
            1,
            &update_of(&order, vec![7], vec![change(2, None)]),
        )
        .await
        .expect("the other decision");
    let stale = store
        .correct_meter_for_order(
            a.id,
            &correction,
            order.id,
            1,
            &update_of(&order, vec![8], vec![change(3, None)]),
        )
        .await
        .expect("no error, the order moved");
    assert_eq!(stale, VersionedWrite::OrderMoved);
    assert_eq!(store.get_meter(a.id, read.id).await.expect("meter"), read);
    assert_eq!(
        store
            .get_premise(a.id, p.id)
            .await
            .expect("premise")
            .access_notes,
        p.access_notes,
        "the access notes are untouched"
    );
    let got = store.get_order(a.id, order.id).await.expect("order");
    assert_eq!((got.summary.version, got.doc), (2, vec![7]));
    assert_eq!(history_len(order.id).await, 2);

    // A meter refusal (the new serial is another meter's) leaves the order unwritten too.
    let mut clash = read.clone();
    clash.serial = other.serial.clone();
    let refused = store
        .correct_meter_for_order(
            a.id,
            &MeterCorrection {
                before: read.clone(),
                after: clash,
                access_notes: None,
            },
            order.id,
            moved.version,
            &update_of(&moved, vec![9], vec![change(4, None)]),
        )
        .await;
    assert!(
        matches!(&refused, Err(StoreError::Conflict(m)) if m.contains("PAIR-TAKEN")),
        "{refused:?}"
    );
    let got = store.get_order(a.id, order.id).await.expect("order");
    assert_eq!((got.summary.version, got.doc), (2, vec![7]));
    assert_eq!(history_len(order.id).await, 2);
    assert_eq!(store.get_meter(a.id, read.id).await.expect("meter"), read);

    // No such order: not found, the meter untouched.
    let missing = store
        .correct_meter_for_order(
            a.id,
            &correction,
            Uuid::new_v4(),
            1,
            &update_of(&order, vec![9], vec![change(5, None)]),
        )
        .await;
    assert!(is_not_found(&missing), "{missing:?}");
    assert_eq!(store.get_meter(a.id, read.id).await.expect("meter"), read);

    // At the order's current version both land: the record corrected, the order written with
    // its change logged.
    let stored = store
        .correct_meter_for_order(
            a.id,
            &correction,
            order.id,
            moved.version,
            &update_of(&moved, vec![10], vec![change(6, None)]),
        )
        .await
        .expect("stored");
    let VersionedWrite::Stored(summary) = stored else {
        panic!("the order did not move: {stored:?}");
    };
    assert_eq!(summary.version, 3);
    let got = store.get_order(a.id, order.id).await.expect("order");
    assert_eq!((got.summary.version, got.doc), (3, vec![10]));
    let history = store.order_history(a.id, order.id).await.expect("history");
    assert_eq!(history.len(), 3);
    assert_eq!(history[2].change, change(6, None));
    let corrected = store.get_meter(a.id, read.id).await.expect("meter");
    assert_eq!(corrected.serial, "PAIR-2");
    assert_eq!(
        store
            .get_premise(a.id, p.id)
            .await
            .expect("premise")
            .access_notes
            .as_deref(),
        Some("knock twice")
    );
}
