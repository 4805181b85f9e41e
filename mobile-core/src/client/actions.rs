//! Field actions on the device: each one loads the order, runs the core's rules through
//! [`WorkOrderDoc::record_field_action`], and stores the new document with the intent that
//! produced it in ONE durable transaction. A refused action returns the rule and the field and
//! writes nothing.

use super::error::ClientError;
use super::{FieldClient, current_actor, dao, outbox, require_account};
use crate::action::{ActionContext, FieldAction, OfficeAction, ReadingInput};
use crate::document::WorkOrderDoc;
use crate::field_found::{FieldReport, new_field_found_order};
use crate::model::{GpsFix, OfficeData, ReadMethod, Timestamp};
use crate::outcome::Refusal;
use crate::record::FieldEntry;

impl FieldClient {
    /// Records `action` on `order_id` now, with the platform's current fix if it has one.
    pub fn record(&self, order_id: &str, action: FieldAction) -> Result<FieldEntry, ClientError> {
        self.record_with(order_id, action, self.platform.location.current_fix())
    }

    /// Records `action` on `order_id` now, with the device's GPS fix. Works offline.
    pub fn record_with(
        &self,
        order_id: &str,
        action: FieldAction,
        gps: Option<GpsFix>,
    ) -> Result<FieldEntry, ClientError> {
        let entry = self.store.write(|tx| {
            let account = require_account(tx)?;
            let Some(mut row) = dao::document(tx, account.id, order_id)? else {
                return Err(ClientError::NotFound(format!(
                    "order {order_id} is not on this device"
                )));
            };
            if row.revoked {
                return Err(ClientError::Refused(Refusal::new(
                    "device.order_revoked",
                    "order",
                    "this order was taken from you: it leaves the device after the next sync",
                )));
            }
            let mut doc = outbox::load(&row)?;
            doc.set_actor(current_actor(tx, account.id)?);
            let now = self.now();
            let context = ActionContext {
                user: account.username.clone(),
                device_time: Timestamp(now),
                gps,
            };
            let action_json = serde_json::to_string(&action)?;
            let context_json = serde_json::to_string(&context)?;
            let entry = doc.record_field_action(action, context, &self.reference())?;
            row.doc = doc.save();
            row.heads = outbox::sorted_heads(&doc);
            dao::put_document(tx, account.id, &row, now)?;
            dao::add_intent(
                tx,
                account.id,
                order_id,
                &action_json,
                &context_json,
                &entry.origin.change,
                now,
            )?;
            Ok(entry)
        })?;
        self.observers.notify(&[order_id.to_string()]);
        Ok(entry)
    }

    /// On the way to the premise.
    pub fn en_route(&self, order_id: &str) -> Result<FieldEntry, ClientError> {
        self.record(order_id, FieldAction::EnRoute)
    }

    /// At the premise.
    pub fn arrive(&self, order_id: &str) -> Result<FieldEntry, ClientError> {
        self.record(order_id, FieldAction::Arrive)
    }

    /// Work started.
    pub fn start(&self, order_id: &str) -> Result<FieldEntry, ClientError> {
        self.record(order_id, FieldAction::Start)
    }

    /// A keyed reading of one register; `confirmation` is the blind re-key when the rules ask
    /// for one (the refusal says so with `needs: blind_confirmation`).
    pub fn reading(
        &self,
        order_id: &str,
        register: u32,
        value: &str,
        confirmation: Option<&str>,
    ) -> Result<FieldEntry, ClientError> {
        self.record(
            order_id,
            FieldAction::Reading {
                readings: vec![ReadingInput {
                    register,
                    value: value.to_string(),
                    confirmation: confirmation.map(str::to_string),
                    method: ReadMethod::Keyed,
                }],
                reader_codes: Vec::new(),
                trouble_code: None,
                note: None,
                photos: Vec::new(),
            },
        )
    }

    /// No reading: a skip code instead.
    pub fn skip(&self, order_id: &str, code: &str) -> Result<FieldEntry, ClientError> {
        self.record(
            order_id,
            FieldAction::Skip {
                code: code.to_string(),
                note: None,
                photos: Vec::new(),
            },
        )
    }

    /// A note for the office.
    pub fn note(&self, order_id: &str, text: &str) -> Result<FieldEntry, ClientError> {
        self.record(
            order_id,
            FieldAction::Note {
                code: None,
                text: text.to_string(),
            },
        )
    }

    /// The work is done, with an optional completion code.
    pub fn complete(&self, order_id: &str, code: Option<&str>) -> Result<FieldEntry, ClientError> {
        self.record(
            order_id,
            FieldAction::Complete {
                code: code.map(str::to_string),
                photos: Vec::new(),
            },
        )
    }

    /// The work could not be done, with the reason code.
    pub fn not_done(&self, order_id: &str, reason: &str) -> Result<FieldEntry, ClientError> {
        self.record(
            order_id,
            FieldAction::NotDone {
                reason: reason.to_string(),
                note: None,
            },
        )
    }
}

impl FieldClient {
    /// Creates a field-found order (`office.order_type` is usually `field_found`) assigned to
    /// the signed-in user, and returns its id. It is uploaded at the next sync like any other
    /// change; the server gives it an office number.
    pub fn create_order(&self, office: &OfficeData) -> Result<String, ClientError> {
        let order_id = uuid::Uuid::new_v4().to_string();
        self.store.write(|tx| {
            let account = require_account(tx)?;
            let now = self.now();
            let mut doc = WorkOrderDoc::create(
                &order_id,
                office,
                current_actor(tx, account.id)?,
                Timestamp(now),
            )?;
            doc.apply_office_action(
                OfficeAction::Assign {
                    assignee: account.username.clone(),
                    reason: Some("found in the field".into()),
                },
                &account.username,
                Timestamp(now),
            )?;
            let row = dao::DocRow {
                order_id: order_id.clone(),
                doc: doc.save(),
                heads: outbox::sorted_heads(&doc),
                acked: Vec::new(),
                revoked: false,
            };
            dao::put_document(tx, account.id, &row, now)
        })?;
        self.observers.notify(std::slice::from_ref(&order_id));
        Ok(order_id)
    }

    /// Creates a field-found order for the problem the crew `report`s, found at `gps` (or the
    /// location source's current fix when `None`; the rules need a fix, a known problem code and
    /// a photo), through
    /// [`new_field_found_order`]: the finder works it until the office assigns it. Returns the
    /// new order's id and its first entry (the problem). Works offline; the order is uploaded at
    /// the next sync and the server gives it an office number. A refusal writes nothing.
    pub fn create_field_found(
        &self,
        report: FieldReport,
        gps: Option<GpsFix>,
    ) -> Result<(String, FieldEntry), ClientError> {
        let order_id = uuid::Uuid::new_v4().to_string();
        let gps = gps.or_else(|| self.platform.location.current_fix());
        let entry = self.store.write(|tx| {
            let account = require_account(tx)?;
            let now = self.now();
            let context = ActionContext {
                user: account.username.clone(),
                device_time: Timestamp(now),
                gps,
            };
            let context_json = serde_json::to_string(&context)?;
            let (doc, entry) = new_field_found_order(
                &order_id,
                report,
                context,
                &self.reference(),
                current_actor(tx, account.id)?,
            )?;
            let action_json = serde_json::to_string(&entry.action)?;
            let row = dao::DocRow {
                order_id: order_id.clone(),
                doc: doc.save(),
                heads: outbox::sorted_heads(&doc),
                acked: Vec::new(),
                revoked: false,
            };
            dao::put_document(tx, account.id, &row, now)?;
            dao::add_intent(
                tx,
                account.id,
                &order_id,
                &action_json,
                &context_json,
                &entry.origin.change,
                now,
            )?;
            Ok(entry)
        })?;
        self.observers.notify(std::slice::from_ref(&order_id));
        Ok((order_id, entry))
    }
}
