//! New orders know the seals crews installed before them: a reconnect or turn-on the last
//! shut-off's seal on its meter (an office value wins), an order that installs seals the
//! numbers already used at its premise, capped.

use super::*;
use crate::store::EquipmentKind;
use crate::store::Install;
use chrono::Duration;

/// Creates an order of `order_type` on the fixture's meter, with `details` if given.
async fn create(
    f: &Fixture,
    order_type: OrderType,
    details: Option<OrderDetailsRequest>,
) -> OrderDetail {
    let mut req = request(order_type);
    req.meter_id = Some(f.meter.id);
    req.details = details;
    create_order(f.store.as_ref(), f.utility, &f.dispatcher, req, Utc::now())
        .await
        .unwrap_or_else(|e| panic!("a {order_type} order: {e:?}"))
}

async fn install(f: &Fixture, order: Uuid, numbers: &[String], at: DateTime<Utc>) {
    let installs: Vec<Install> = numbers
        .iter()
        .enumerate()
        .map(|(i, number)| Install {
            kind: EquipmentKind::Seal,
            number: number.clone(),
            entry_id: format!("e{i:04}"),
        })
        .collect();
    f.store
        .record_installs(f.utility, order, &installs, at)
        .await
        .expect("installs");
}

#[tokio::test]
async fn a_reconnect_expects_the_last_shut_off_seal_unless_the_office_names_one() {
    let f = fixture().await;
    let nothing_yet = create(&f, OrderType::Reconnect, None).await;
    assert_eq!(nothing_yet.office.details.recorded_seal, None);

    let earlier = Utc::now() - Duration::hours(2);
    let disconnect = create(&f, OrderType::Disconnect, None).await;
    install(&f, disconnect.summary.id, &["FL000001".into()], earlier).await;
    let turn_off = create(&f, OrderType::TurnOff, None).await;
    install(
        &f,
        turn_off.summary.id,
        &["FL000002".into()],
        earlier + Duration::hours(1),
    )
    .await;
    // An inspection's seal is newer, but it is not the shut-off seal.
    let inspection = create(&f, OrderType::Inspection, None).await;
    install(&f, inspection.summary.id, &["FL000003".into()], Utc::now()).await;

    for order_type in [OrderType::Reconnect, OrderType::TurnOn] {
        let created = create(&f, order_type, None).await;
        assert_eq!(
            created.office.details.recorded_seal.as_deref(),
            Some("FL000002"),
            "{order_type}"
        );
    }
    let named = create(
        &f,
        OrderType::Reconnect,
        Some(OrderDetailsRequest {
            recorded_seal: Some("FL009999".into()),
            ..Default::default()
        }),
    )
    .await;
    assert_eq!(
        named.office.details.recorded_seal.as_deref(),
        Some("FL009999"),
        "the office's number wins"
    );
    // Orders that remove no seal are told none.
    let read = create(&f, OrderType::CycleRead, None).await;
    assert_eq!(read.office.details.recorded_seal, None);
    assert!(read.office.details.used_seals.is_empty());
    f.guard.cleanup().await;
}

#[tokio::test]
async fn an_order_that_installs_seals_lists_the_newest_used_at_its_premise_up_to_the_cap() {
    let f = fixture().await;
    let cap = crate::orders::seal_history::MAX_USED_SEALS as usize;
    let old = create(&f, OrderType::TurnOff, None).await;
    install(
        &f,
        old.summary.id,
        &["FL-OLDEST".into()],
        Utc::now() - Duration::days(30),
    )
    .await;
    let recent = create(&f, OrderType::Disconnect, None).await;
    let many: Vec<String> = (0..cap + 5).map(|i| format!("FL{i:06}")).collect();
    install(&f, recent.summary.id, &many, Utc::now() - Duration::days(1)).await;

    for order_type in [
        OrderType::TurnOff,
        OrderType::Disconnect,
        OrderType::Inspection,
    ] {
        let created = create(&f, order_type, None).await;
        let used = &created.office.details.used_seals;
        assert_eq!(used.len(), cap, "{order_type}: capped");
        assert!(
            !used.contains(&"FL-OLDEST".to_string()),
            "{order_type}: the oldest falls off first"
        );
        let mut distinct = used.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), cap, "{order_type}: no number twice");
    }
    // Under the cap, every seal of the premise is listed.
    let g = fixture().await;
    let order = create(&g, OrderType::TurnOff, None).await;
    install(
        &g,
        order.summary.id,
        &["FL000010".into(), "FL000011".into()],
        Utc::now(),
    )
    .await;
    let next = create(&g, OrderType::TurnOff, None).await;
    let mut used = next.office.details.used_seals.clone();
    used.sort();
    assert_eq!(used, ["FL000010", "FL000011"]);
    // A reconnect puts no seal on: it gets none to avoid.
    let reconnect = create(&g, OrderType::Reconnect, None).await;
    assert!(reconnect.office.details.used_seals.is_empty());
    f.guard.cleanup().await;
    g.guard.cleanup().await;
}
