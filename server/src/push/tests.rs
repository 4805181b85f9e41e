//! Unit tests of the poke hub: coalescing, the per-user connection limit, who gets poked, the
//! pacer and the cross-instance payload format.

use super::postgres::{decode, encode};
use super::{Pacer, Push, PushEvent};
use crate::config::PushConfig;
use crate::store::UtilityId;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Long enough for any event that is due; a test waiting this long has failed.
const DUE: Duration = Duration::from_secs(5);

fn hub(limit: usize) -> std::sync::Arc<Push> {
    Push::local(PushConfig {
        max_connections_per_user: limit,
        ..PushConfig::default()
    })
}

async fn next(sub: &mut super::Subscription) -> PushEvent {
    tokio::time::timeout(DUE, sub.next())
        .await
        .unwrap_or_else(|_| panic!("no push event within {DUE:?}"))
}

#[tokio::test]
async fn a_burst_of_pokes_reads_as_one_change() {
    let push = hub(5);
    let (utility, user) = (UtilityId::new_v4(), Uuid::new_v4());
    let mut sub = push.subscribe(utility, user);
    assert!(!sub.has_pending(), "nothing before the first poke");
    for _ in 0..100 {
        push.poke(utility, &[user]).await;
    }
    assert_eq!(next(&mut sub).await, PushEvent::Changed);
    assert!(!sub.has_pending(), "the burst was one change");

    push.poke(utility, &[user]).await;
    assert!(sub.has_pending());
    sub.mark_seen();
    assert!(
        !sub.has_pending(),
        "mark_seen folds pokes into the message being sent"
    );
}

#[tokio::test]
async fn only_the_poked_user_of_the_poked_utility_hears_it() {
    let push = hub(5);
    let (utility, other_utility) = (UtilityId::new_v4(), UtilityId::new_v4());
    let (alice, bob) = (Uuid::new_v4(), Uuid::new_v4());
    let alice_sub = push.subscribe(utility, alice);
    let bob_sub = push.subscribe(utility, bob);
    let alice_elsewhere = push.subscribe(other_utility, alice);
    push.poke(utility, &[alice]).await;
    assert!(alice_sub.has_pending());
    assert!(!bob_sub.has_pending());
    assert!(!alice_elsewhere.has_pending());
}

#[tokio::test]
async fn changes_poke_the_assignee_before_and_after() {
    let push = hub(5);
    let utility = UtilityId::new_v4();
    let (old, new, bystander) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let old_sub = push.subscribe(utility, old);
    let new_sub = push.subscribe(utility, new);
    let bystander_sub = push.subscribe(utility, bystander);
    push.poke_for_changes(utility, &[(Some(old), Some(new)), (None, None)])
        .await;
    assert!(
        old_sub.has_pending(),
        "the old assignee must learn of the revocation"
    );
    assert!(new_sub.has_pending());
    assert!(!bystander_sub.has_pending());
}

#[tokio::test]
async fn an_upload_pokes_the_new_crew_but_not_the_uploader() {
    let push = hub(5);
    let utility = UtilityId::new_v4();
    let (old_crew, new_crew) = (Uuid::new_v4(), Uuid::new_v4());
    let old_sub = push.subscribe(utility, old_crew);
    let new_sub = push.subscribe(utility, new_crew);
    push.poke_after_upload(utility, old_crew, &[Some(old_crew), Some(new_crew), None])
        .await;
    assert!(new_sub.has_pending());
    assert!(!old_sub.has_pending(), "the uploader has just synced");
}

#[tokio::test]
async fn past_the_limit_the_oldest_connection_is_replaced() {
    let push = hub(2);
    let (utility, user) = (UtilityId::new_v4(), Uuid::new_v4());
    let mut first = push.subscribe(utility, user);
    let mut second = push.subscribe(utility, user);
    assert_eq!(push.connections(utility, user), 2);

    let mut third = push.subscribe(utility, user);
    assert_eq!(next(&mut first).await, PushEvent::Evicted);
    assert_eq!(push.connections(utility, user), 2);

    push.poke(utility, &[user]).await;
    assert_eq!(next(&mut second).await, PushEvent::Changed);
    assert_eq!(next(&mut third).await, PushEvent::Changed);

    drop(first);
    drop(second);
    assert_eq!(push.connections(utility, user), 1);
    drop(third);
    assert_eq!(push.connections(utility, user), 0);
}

#[tokio::test]
async fn another_users_connections_do_not_count_against_the_limit() {
    let push = hub(1);
    let utility = UtilityId::new_v4();
    let mut alice = push.subscribe(utility, Uuid::new_v4());
    let _bob = push.subscribe(utility, Uuid::new_v4());
    push.poke_everyone_local();
    assert_eq!(next(&mut alice).await, PushEvent::Changed);
}

#[tokio::test]
async fn shutdown_reaches_every_connection() {
    let push = hub(5);
    let utility = UtilityId::new_v4();
    let mut a = push.subscribe(utility, Uuid::new_v4());
    let mut b = push.subscribe(utility, Uuid::new_v4());
    push.poke_everyone_local();
    push.shutdown();
    // Shutdown wins over a pending change: the server is going away.
    assert_eq!(next(&mut a).await, PushEvent::ShuttingDown);
    assert_eq!(next(&mut b).await, PushEvent::ShuttingDown);
}

#[test]
fn the_pacer_spaces_messages_by_the_gap() {
    let gap = Duration::from_millis(100);
    let mut pacer = Pacer::new(gap);
    let start = Instant::now();
    assert_eq!(
        pacer.wait_before_send(start),
        Duration::ZERO,
        "first goes at once"
    );
    pacer.sent(start);
    assert_eq!(pacer.wait_before_send(start), gap);
    assert_eq!(
        pacer.wait_before_send(start + Duration::from_millis(30)),
        Duration::from_millis(70)
    );
    assert_eq!(pacer.wait_before_send(start + gap), Duration::ZERO);
    assert_eq!(
        pacer.wait_before_send(start + Duration::from_secs(5)),
        Duration::ZERO
    );
}

#[test]
fn notification_payloads_round_trip_and_garbage_is_refused() {
    let utility = UtilityId::new_v4();
    let users = vec![Uuid::new_v4(), Uuid::new_v4()];
    let payload = encode(utility, &users);
    assert_eq!(payload.matches(',').count(), 1);
    assert_eq!(decode(&payload), Some((utility, users)));
    assert_eq!(decode(""), None);
    assert_eq!(decode("not-a-uuid:also-not"), None);
    assert_eq!(decode(&format!("{utility}:")), None);
    assert_eq!(decode(&format!("{utility}:{},x", Uuid::new_v4())), None);
}
