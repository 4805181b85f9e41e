//! A meter exchange changes the utility's meter records (DOMAIN.md "Meter exchange"): when the
//! exchange a crew recorded reaches the server, the old meter comes out of the premise with its
//! final reads in its history, and the new one is installed there with its initial reads, so
//! the office, billing and the next order see the meter that is really in the ground.

use super::OrderError;
use crate::store::{
    Meter, MeterExchange, MeterRead, MeterRegister, ReadKind, Store, StoreError, UtilityId,
};
use chrono::{DateTime, Utc};
use fieldline_core::reference::ReferenceData;
use fieldline_core::{
    Capture, FieldAction, FieldEntry, NewMeter, OldMeter, OrderRecord, OrderType,
};
use uuid::Uuid;

/// The exchange recorded on `record`, if it is a meter exchange order that has one (the last,
/// should a crew have recorded two).
pub fn recorded(record: &OrderRecord) -> Option<(&FieldEntry, &OldMeter, &NewMeter)> {
    if record.office.order_type != OrderType::MeterExchange {
        return None;
    }
    record.field.iter().rev().find_map(|e| match &e.action {
        FieldAction::Capture {
            capture: Capture::Exchange { old, new, .. },
            ..
        } => Some((e, old, new)),
        _ => None,
    })
}

/// The meter records' side of the exchange on `record`, with the new meter's setup from
/// `reference` (the version the entry was checked under): from its stock record, or the old
/// meter's when it was issued to the order. `None` when the order has no exchange, names no
/// meter or premise, or the new meter is neither in that stock nor issued.
pub fn exchange_of(
    record: &OrderRecord,
    reference: &ReferenceData,
    utility: UtilityId,
    now: DateTime<Utc>,
) -> Option<MeterExchange> {
    let (entry, old, new) = recorded(record)?;
    let office = &record.office;
    let snapshot = office.meter.as_ref()?;
    let old_id = snapshot.id.parse::<Uuid>().ok()?;
    let premise = office.premise.as_ref()?.id.parse::<Uuid>().ok()?;
    let at = super::to_utc(entry.context.device_time).map_or(now, |t| t.min(now));
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    let stock = reference
        .meter_stock
        .iter()
        .find(|m| same(&m.serial, &new.serial));
    let issued = office
        .details
        .issued_meters
        .iter()
        .find(|s| same(s, &new.serial));
    // Dials per register and the size, as the rules checked the initial reads against.
    let (serial, size, dials): (String, String, Vec<(u32, u32)>) = match (stock, issued) {
        (Some(m), _) => (
            m.serial.clone(),
            m.size.clone(),
            (0..m.registers.max(1))
                .map(|_| (m.dials_left, m.dials_right))
                .collect(),
        ),
        (None, Some(serial)) => (
            serial.clone(),
            snapshot.size.clone(),
            snapshot
                .registers
                .iter()
                .map(|r| (r.dials_left, r.dials_right))
                .collect(),
        ),
        (None, None) => return None,
    };
    let registers = dials
        .iter()
        .zip(&new.initial_readings)
        .enumerate()
        .map(|(i, ((left, right), initial))| {
            let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
            // Billing's unit and multiplier carry over from the register it replaces.
            let replaced = office
                .register(number)
                .or_else(|| snapshot.registers.first());
            MeterRegister {
                number,
                dials_left: *left,
                dials_right: *right,
                multiplier: replaced.map_or(1, |r| r.multiplier),
                unit: replaced.map_or_else(|| "CCF".to_string(), |r| r.unit.clone()),
                last_read: Some(initial.trim().to_string()),
                last_read_at: Some(at),
                low_limit: None,
                high_limit: None,
            }
        })
        .collect();
    Some(MeterExchange {
        old_meter: old_id,
        final_reads: old
            .readings
            .iter()
            .map(|r| MeterRead {
                meter_id: old_id,
                register: r.register,
                value: r.value.trim().to_string(),
                read_at: at,
                kind: ReadKind::Actual,
            })
            .collect(),
        new_meter: Meter {
            id: Uuid::new_v4(),
            utility_id: utility,
            serial,
            premise_id: Some(premise),
            size,
            location_code: snapshot.location_code.clone(),
            status: "active".into(),
            installed_at: Some(at),
            registers,
        },
    })
}

/// Records the exchange on `record` in the meter records (once: again changes nothing).
/// Returns the installed meter, or `None` when there is nothing to record or the new meter is
/// installed at another premise (logged for the office; the field work stands).
pub async fn record_exchange(
    store: &dyn Store,
    utility: UtilityId,
    record: &OrderRecord,
    now: DateTime<Utc>,
) -> Result<Option<Meter>, OrderError> {
    let Some((entry, _, _)) = recorded(record) else {
        return Ok(None);
    };
    let reference = crate::reference::at_version(store, utility, entry.reference_version)
        .await?
        .unwrap_or_else(ReferenceData::default_water);
    let Some(exchange) = exchange_of(record, &reference, utility, now) else {
        tracing::warn!(order = %record.order_id, "exchange without a known new meter: meter records unchanged");
        return Ok(None);
    };
    match store.record_meter_exchange(utility, &exchange).await {
        Ok(meter) => Ok(Some(meter)),
        Err(StoreError::Conflict(why) | StoreError::Invalid(why)) => {
            tracing::warn!(order = %record.order_id, %why, "meter records unchanged by the exchange");
            Ok(None)
        }
        Err(StoreError::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldline_core::document::automerge::ActorId;
    use fieldline_core::reference::StockMeter;
    use fieldline_core::{
        ActionContext, MeterSnapshot, OfficeAction, OfficeData, PhotoKind, PhotoRef,
        PremiseSnapshot, Priority, ReadMethod, ReadingInput, Register, Source, Timestamp,
        WorkOrderDoc,
    };

    const OLD: &str = "6d1c9f4e-2a0b-4c55-9d0e-0b7f3c8a1e21";
    const PREMISE: &str = "0f6a1c2e-8b7d-4e3f-a1b2-c3d4e5f60718";

    fn reference() -> ReferenceData {
        let mut reference = ReferenceData::default_water();
        reference.meter_stock = vec![StockMeter {
            serial: "NM-1".into(),
            size: "1\"".into(),
            dials_left: 4,
            dials_right: 2,
            registers: 1,
        }];
        reference
    }

    /// An exchange order whose crew put in `new_serial` (reading `initial`) at device time
    /// 5 000.
    fn exchanged(new_serial: &str, initial: &str, issued: &[&str]) -> OrderRecord {
        let mut office = OfficeData {
            order_type: OrderType::MeterExchange,
            reason: None,
            priority: Priority::Normal,
            source: Source::CallCenter,
            created_by: "dispatcher".into(),
            created_at: Timestamp(1_000),
            due_at: None,
            appointment_start: None,
            appointment_end: None,
            route: None,
            sequence: None,
            premise: Some(PremiseSnapshot {
                id: PREMISE.into(),
                address: "1 Elm St".into(),
                location: None,
                access_notes: None,
                hazards: vec![],
            }),
            account: None,
            meter: Some(MeterSnapshot {
                id: OLD.into(),
                serial: "OLD-1".into(),
                size: "5/8\"".into(),
                location_code: Some("curb".into()),
                registers: vec![Register {
                    number: 1,
                    dials_left: 5,
                    dials_right: 0,
                    multiplier: 10,
                    unit: "kgal".into(),
                    previous_read: Some(1000.0),
                    previous_read_at: None,
                    low_limit: None,
                    high_limit: None,
                }],
            }),
            instructions: None,
            details: Default::default(),
        };
        office.details.issued_meters = issued.iter().map(|s| s.to_string()).collect();
        let mut doc =
            WorkOrderDoc::create("x-1", &office, ActorId::random(), Timestamp(1_000)).expect("doc");
        doc.apply_office_action(
            OfficeAction::Assign {
                assignee: "inspector1".into(),
                reason: None,
            },
            "dispatcher",
            Timestamp(1_500),
        )
        .expect("assigned");
        let context = |at| ActionContext {
            user: "inspector1".into(),
            device_time: Timestamp(at),
            gps: None,
        };
        doc.record_field_action(FieldAction::Start, context(2_000), &reference())
            .expect("start");
        let photo = |n: u8| PhotoRef {
            sha256: format!("{n:064x}"),
            kind: PhotoKind::Meter,
        };
        doc.record_field_action(
            FieldAction::Capture {
                capture: Capture::Exchange {
                    reason: "age".into(),
                    old: OldMeter {
                        serial: "OLD-1".into(),
                        readings: vec![ReadingInput {
                            register: 1,
                            value: "1050".into(),
                            confirmation: None,
                            method: ReadMethod::Keyed,
                        }],
                    },
                    new: NewMeter {
                        serial: new_serial.into(),
                        initial_readings: vec![initial.into()],
                        radio_id: None,
                    },
                },
                photos: vec![photo(1), photo(2)],
                note: None,
            },
            context(5_000),
            &reference(),
        )
        .expect("exchange");
        doc.record().expect("record")
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp_millis(9_000).expect("time")
    }

    #[test]
    fn a_stock_meter_is_installed_with_its_stock_setup_and_the_replaced_registers_billing() {
        let utility = UtilityId(Uuid::new_v4());
        let exchange = exchange_of(
            &exchanged("nm-1", " 0000.12 ", &[]),
            &reference(),
            utility,
            now(),
        )
        .expect("exchange");
        let at = DateTime::from_timestamp_millis(5_000).expect("time");
        assert_eq!(exchange.old_meter.to_string(), OLD);
        assert_eq!(exchange.final_reads.len(), 1);
        assert_eq!(exchange.final_reads[0].value, "1050");
        assert_eq!(exchange.final_reads[0].read_at, at);
        let new = &exchange.new_meter;
        assert_eq!(new.serial, "NM-1", "the stock record's spelling");
        assert_eq!(
            new.premise_id.map(|p| p.to_string()).as_deref(),
            Some(PREMISE)
        );
        assert_eq!(new.size, "1\"");
        assert_eq!(new.status, "active");
        assert_eq!(new.installed_at, Some(at));
        assert_eq!(new.registers.len(), 1);
        let register = &new.registers[0];
        assert_eq!((register.dials_left, register.dials_right), (4, 2));
        assert_eq!((register.multiplier, register.unit.as_str()), (10, "kgal"));
        assert_eq!(register.last_read.as_deref(), Some("0000.12"));
    }

    #[test]
    fn an_issued_meter_takes_the_old_setup_and_an_unknown_one_changes_no_record() {
        let utility = UtilityId(Uuid::new_v4());
        let record = exchanged("ISS-7", "00007", &["ISS-7"]);
        let exchange = exchange_of(&record, &reference(), utility, now()).expect("exchange");
        assert_eq!(exchange.new_meter.size, "5/8\"");
        assert_eq!(
            (
                exchange.new_meter.registers[0].dials_left,
                exchange.new_meter.registers[0].dials_right
            ),
            (5, 0)
        );
        assert_eq!(
            exchange.new_meter.registers[0].last_read.as_deref(),
            Some("00007")
        );
        // Checked under a reference that no longer lists the issued meter nor the stock one.
        let mut record = exchanged("NM-1", "0000.12", &[]);
        let bare = ReferenceData::default_water();
        assert!(exchange_of(&record, &bare, utility, now()).is_none());
        record.office.order_type = OrderType::Inspection;
        assert!(recorded(&record).is_none());
    }
}
