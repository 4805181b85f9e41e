//! The sync service against a real store (PostgreSQL when `FIELDLINE_TEST_POSTGRES_URL` is set,
//! SQLite otherwise): first sync, uploads with their audit rows, idempotency, refusals, office
//! edits reaching devices, revocation, reconciliation, the version gate, limits and paging.

use super::*;
use crate::config::SyncConfig;
use crate::orders::{NewOrderRequest, apply_office_action, create_order, detail};
use crate::store::testing::{TestDbGuard, fresh_test_store};
use crate::store::{Meter, NewDevice, NewUser, NewUtility, Registration};
use fieldline_core::document::automerge::ActorId;
use fieldline_core::reference::ReferenceData;
use fieldline_core::sync::{DocChanges, DocHeads, PROTOCOL_VERSION};
use fieldline_core::{
    ActionContext, FieldAction, OfficeAction, OrderType, ReadMethod, ReadingInput, Role, Source,
    Status, Timestamp, WorkOrderDoc,
};
use std::sync::Arc;

struct Fixture {
    store: Arc<dyn Store>,
    guard: TestDbGuard,
    utility: UtilityId,
    dispatcher: User,
    readers: Vec<User>,
    meter: Meter,
}

async fn fixture() -> Fixture {
    let (store, guard) = fresh_test_store().await.expect("a fresh test store");
    let utility = store
        .create_utility(&NewUtility {
            slug: "riverton".into(),
            name: "Riverton Water".into(),
        })
        .await
        .expect("utility")
        .id;
    let mut users = Vec::new();
    for (name, role) in [
        ("dispatcher", Role::Dispatcher),
        ("reader1", Role::Reader),
        ("reader2", Role::Reader),
    ] {
        let new = NewUser {
            username: name.into(),
            display_name: name.into(),
            role,
            password_hash: "not-used".into(),
        };
        users.push(store.create_user(utility, &new).await.expect("user"));
    }
    let (_, _, meter) = crate::store::testing::metered_premise(store.as_ref(), utility)
        .await
        .expect("metered premise");
    let dispatcher = users.remove(0);
    Fixture {
        store,
        guard,
        utility,
        dispatcher,
        readers: users,
        meter,
    }
}

/// A registered handheld: its id, its bound actor, and what it holds.
struct Handheld {
    id: Uuid,
    user: usize,
    actor: ActorId,
    cursor: Option<u64>,
}

impl Fixture {
    async fn order_for(&self, assignee: &str) -> Uuid {
        let req = NewOrderRequest {
            order_type: OrderType::CycleRead,
            priority: None,
            reason: None,
            source: None,
            premise_id: None,
            meter_id: Some(self.meter.id),
            account_id: None,
            due_at: None,
            appointment_start: None,
            appointment_end: None,
            route: None,
            sequence: None,
            instructions: None,
            assignee: Some(assignee.to_string()),
            details: None,
        };
        create_order(
            self.store.as_ref(),
            self.utility,
            &self.dispatcher,
            req,
            Utc::now(),
        )
        .await
        .expect("order")
        .summary
        .id
    }

    async fn handheld(&self, user: usize) -> Handheld {
        let actor = ActorId::random();
        let new = NewDevice {
            id: Uuid::new_v4(),
            user_id: self.readers[user].id,
            name: "handheld".into(),
            app_version: "1.0.0".into(),
            protocol_version: PROTOCOL_VERSION,
            actors: vec![actor.to_hex_string()],
            at: Utc::now(),
        };
        let registered = self.store.register_device(self.utility, &new).await;
        assert!(matches!(registered, Ok(Registration::Registered(_))));
        Handheld {
            id: new.id,
            user,
            actor,
            cursor: None,
        }
    }

    fn request(&self, h: &Handheld, uploads: Vec<DocChanges>) -> SyncRequest {
        SyncRequest {
            app_version: "1.0.0".into(),
            device_id: h.id.to_string(),
            cursor: h.cursor,
            uploads,
            holdings: vec![],
        }
    }

    async fn send(
        &self,
        h: &Handheld,
        config: &SyncConfig,
        request: &SyncRequest,
    ) -> Result<SyncResponse, SyncError> {
        let frame = wire::encode_request(request);
        handle_frame(
            self.store.as_ref(),
            config,
            self.utility,
            self.readers[h.user].id,
            &frame,
            Utc::now(),
        )
        .await
        .map(|synced| synced.response)
    }

    /// Syncs and moves the handheld's cursor.
    async fn sync(&self, h: &mut Handheld, uploads: Vec<DocChanges>) -> SyncResponse {
        let request = self.request(h, uploads);
        let response = self
            .send(h, &SyncConfig::default(), &request)
            .await
            .expect("sync");
        h.cursor = Some(response.cursor);
        response
    }

    async fn head(&self) -> u64 {
        self.store.feed_head(self.utility).await.expect("head")
    }

    async fn history_len(&self, order: Uuid) -> usize {
        self.store
            .order_history(self.utility, order)
            .await
            .expect("history")
            .len()
    }
}

/// The device's copy of `order` from a first-sync answer, writing as the handheld's actor.
fn device_doc(response: &SyncResponse, order: Uuid, actor: &ActorId) -> WorkOrderDoc {
    let snapshot = response
        .documents
        .iter()
        .find(|d| d.order_id == order.to_string())
        .expect("document delivered");
    let mut doc = WorkOrderDoc::load(&snapshot.doc).expect("loads");
    doc.set_actor(actor.clone());
    doc
}

fn read(doc: &mut WorkOrderDoc, user: &str, value: &str) {
    let action = FieldAction::Reading {
        readings: vec![ReadingInput {
            register: 1,
            value: value.into(),
            confirmation: None,
            method: ReadMethod::Keyed,
        }],
        reader_codes: vec![],
        trouble_code: None,
        note: None,
        photos: vec![],
    };
    let context = ActionContext {
        user: user.into(),
        device_time: Timestamp(Utc::now().timestamp_millis() - 3_600_000),
        gps: None,
    };
    doc.record_field_action(action, context, &ReferenceData::default())
        .expect("reading recorded");
}

fn upload(order: Uuid, changes: Vec<Vec<u8>>) -> Vec<DocChanges> {
    vec![DocChanges {
        order_id: order.to_string(),
        changes,
    }]
}

fn hashes(doc: &WorkOrderDoc) -> Vec<[u8; 32]> {
    doc.heads().iter().map(|h| h.0).collect()
}

fn note(doc: &mut WorkOrderDoc, text: &str) {
    let context = ActionContext {
        user: "reader1".into(),
        device_time: Timestamp(Utc::now().timestamp_millis()),
        gps: None,
    };
    let action = FieldAction::Note {
        code: None,
        text: text.into(),
    };
    doc.record_field_action(action, context, &ReferenceData::default())
        .expect("note recorded");
}

mod after_merge;
mod answers;
mod assessments;
mod follow_ups;
mod forged;
mod limits;
mod references;
mod rule_orders;
mod uploads;
