//! The storage conformance suite: every behaviour the rest of the server relies on, written
//! once against `Arc<dyn Store>` and run on SQLite always and on PostgreSQL when
//! `FIELDLINE_TEST_POSTGRES_URL` is set (each test in a fresh database, so tests run in
//! parallel).

mod equipment;
mod follow_ups;
mod network;
mod orders;
mod quarantine;
mod sync;
mod tenancy;
mod tokens;

use equipment::*;
use follow_ups::*;
use network::*;
use orders::*;
use quarantine::*;
use sync::*;
use tenancy::*;
use tokens::*;

use super::testing::{
    fresh_postgres_store, fresh_sqlite_store, metered_premise, postgres_test_url,
};
use super::*;
use chrono::TimeZone;
use fieldline_core::model::{AccountStatus, Hazard, OrderType, Priority, Role, Source};
use fieldline_core::status::{OrderException, Status};

/// Declares each test once per backend: `<name>::sqlite` and `<name>::postgres`.
macro_rules! conformance {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    let (store, guard) = match super::fresh_sqlite_store().await {
                        Ok(s) => s,
                        Err(e) => panic!("cannot create a SQLite test store: {e}"),
                    };
                    super::$name(store).await;
                    guard.cleanup().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    let Some(url) = super::postgres_test_url() else {
                        eprintln!(
                            "skipping PostgreSQL store tests: FIELDLINE_TEST_POSTGRES_URL is unset"
                        );
                        return;
                    };
                    let (store, guard) = match super::fresh_postgres_store(&url).await {
                        Ok(s) => s,
                        Err(e) => panic!("cannot create a PostgreSQL test database: {e}"),
                    };
                    super::$name(store).await;
                    guard.cleanup().await;
                }
            }
        )+
    };
}

conformance!(
    utilities_are_found_by_id_and_slug,
    duplicate_slug_is_a_conflict,
    users_are_unique_per_utility_and_found_across_utilities,
    user_changes_apply_and_missing_users_are_not_found,
    signing_keys_are_listed_and_retired,
    one_utility_never_sees_another_utilitys_rows,
    bulk_inserted_premises_are_searchable_and_paged,
    meters_keep_their_registers_and_read_history,
    accounts_and_routes_round_trip,
    a_served_notice_moves_the_notice_time_forward_only,
    a_meter_exchange_takes_the_old_meter_out_and_installs_the_new_once,
    a_meter_correction_applies_only_to_the_record_it_was_decided_on,
    a_meter_correction_and_its_order_decision_are_written_together_or_not_at_all,
    rows_of_another_utility_are_refused_in_bulk_inserts,
    order_numbers_increase_per_utility,
    duplicate_order_id_is_a_conflict,
    orders_are_filtered_and_paged,
    stale_version_is_a_conflict,
    failing_update_writes_nothing,
    concurrent_updates_all_land_without_busy_errors,
    concurrent_inserts_all_land_with_distinct_numbers,
    large_batches_insert_atomically,
    missing_rows_are_not_found,
    feed_records_every_order_change_with_assignees,
    concurrent_writers_never_leave_a_visible_gap,
    a_late_commit_is_never_skipped,
    sync_batches_apply_atomically,
    batch_reads_return_only_this_utilitys_orders,
    sync_batches_log_feed_and_answer_what_is_stored,
    devices_register_idempotently_and_actors_stay_bound,
    refresh_tokens_rotate_once_and_families_revoke_together,
    revoking_a_device_revokes_its_tokens_and_keeps_the_device,
    quarantined_changes_are_kept_once_and_listed_newest_first,
    a_follow_up_is_created_once_per_origin_entry_and_kind,
    concurrent_follow_ups_of_one_entry_create_one_order,
    re_reads_keep_hidden_values_and_their_latest_outcome,
    reference_versions_are_kept_and_the_highest_is_current,
    installs_are_recorded_once_and_found_on_other_orders,
    concurrent_installs_of_one_number_see_each_other,
    seals_installed_at_a_meter_or_premise_are_listed_newest_first,
    open_orders_of_a_user_leave_out_finished_work,
);

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0)
        .single()
        .unwrap_or_default()
}

async fn utility(store: &Arc<dyn Store>, slug: &str) -> Utility {
    store
        .create_utility(&NewUtility {
            slug: slug.into(),
            name: format!("{slug} water"),
        })
        .await
        .expect("create utility")
}

async fn user(store: &Arc<dyn Store>, u: UtilityId, name: &str, role: Role) -> User {
    store
        .create_user(
            u,
            &NewUser {
                username: name.into(),
                display_name: format!("{name} display"),
                role,
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            },
        )
        .await
        .expect("create user")
}

fn premise(u: UtilityId, address: &str) -> Premise {
    Premise {
        id: Uuid::new_v4(),
        utility_id: u,
        address: address.into(),
        city: "Riverton".into(),
        lat: Some(44.5),
        lon: Some(-93.1),
        access_notes: Some("gate code 1234".into()),
        hazards: vec![Hazard {
            description: "dog".into(),
            level: "caution".into(),
        }],
        service_area: Some("north".into()),
        book: Some("B01".into()),
    }
}

fn projection(order_type: OrderType, status: Status) -> OrderProjection {
    OrderProjection {
        order_type,
        status,
        priority: Priority::Normal,
        source: Source::CallCenter,
        assignee_id: None,
        route_id: None,
        sequence: None,
        premise_id: None,
        account_id: None,
        meter_id: None,
        lat: Some(44.5),
        lon: Some(-93.1),
        due_at: Some(at(3, 17)),
        exceptions: Vec::new(),
    }
}

fn change(n: u8, user_id: Option<Uuid>) -> NewChange {
    NewChange {
        hash: format!("{n:02x}").repeat(32),
        bytes: vec![n; 8],
        actor: "ab".repeat(16),
        user_id,
        device_id: None,
        device_time: Some(at(2, 9)),
        received_at: at(2, 10),
        summary: format!("change {n}"),
    }
}

fn new_order(p: OrderProjection, user_id: Option<Uuid>) -> NewOrder {
    NewOrder {
        id: Uuid::new_v4(),
        projection: p,
        doc: vec![1, 2, 3],
        changes: vec![change(1, user_id)],
        created_at: at(2, 8),
    }
}

fn update_of(order: &OrderSummary, doc: Vec<u8>, changes: Vec<NewChange>) -> OrderUpdate {
    OrderUpdate {
        doc,
        projection: order.projection.clone(),
        changes,
        updated_at: at(2, 12),
    }
}

fn is_conflict<T: std::fmt::Debug>(r: &StoreResult<T>) -> bool {
    matches!(r, Err(StoreError::Conflict(_)))
}

fn is_not_found<T: std::fmt::Debug>(r: &StoreResult<T>) -> bool {
    matches!(r, Err(StoreError::NotFound))
}
