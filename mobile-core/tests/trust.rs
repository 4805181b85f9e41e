//! The trusted merge's inspection: forged changes crafted with automerge directly (as a broken or
//! hostile client could) are refused by their operations, schema, limits or rules; honest field
//! work passes, including work that only conflicts after merging.

mod common;

use common::*;
use fieldline_core::document::automerge::transaction::Transactable;
use fieldline_core::document::automerge::{
    ActorId, Automerge, ObjId, ObjType, ROOT, ReadDoc, ScalarValue,
};
use fieldline_core::document::trust::{self, Quarantined, Sections, Writer};
use fieldline_core::*;

fn reader() -> Writer {
    Writer {
        username: "reader1".into(),
        office: false,
        field: true,
    }
}

/// Inspects `changes` uploaded onto `stored`.
fn inspect(stored: &WorkOrderDoc, changes: &[Vec<u8>], writer: &Writer) -> Vec<Quarantined> {
    let sections = Sections::of(stored).expect("sections");
    let mut merged = WorkOrderDoc::load(&stored.save()).expect("load");
    merged.apply_changes(changes).expect("apply");
    let new = merged.change_infos(&stored.heads());
    trust::inspect(&sections, &merged, &new, writer, &reference().into()).expect("inspect")
}

fn codes(refused: &[Quarantined]) -> Vec<&str> {
    refused.iter().map(|q| q.code.as_str()).collect()
}

/// One change written with automerge directly onto a copy of `doc`, by `actor`.
fn forge(
    doc: &WorkOrderDoc,
    actor: ActorId,
    write: impl FnOnce(&mut fieldline_core::document::automerge::transaction::Transaction<'_>),
) -> Vec<u8> {
    let mut raw = Automerge::load(&doc.save()).expect("load raw");
    raw.set_actor(actor);
    let mut tx = raw.transaction();
    write(&mut tx);
    tx.commit();
    raw.get_last_local_change()
        .expect("a change was made")
        .raw_bytes()
        .to_vec()
}

fn obj(tx: &impl ReadDoc, parent: &ObjId, key: &str) -> ObjId {
    match tx.get(parent, key).expect("get") {
        Some((_, id)) => id,
        None => panic!("no {key}"),
    }
}

/// The raw bytes of every change `doc` has beyond `before`.
fn new_changes(doc: &WorkOrderDoc, before: &WorkOrderDoc) -> Vec<Vec<u8>> {
    doc.changes_since(&before.heads())
}

#[test]
fn honest_appends_pass() {
    let stored = assigned_order("reader1");
    let mut device = replica(&stored, actor(1));
    device
        .record_field_action(FieldAction::Start, ctx("reader1", 5), &reference())
        .unwrap();
    device
        .record_field_action(normal_reading(), ctx("reader1", 10), &reference())
        .unwrap();
    let refused = inspect(&stored, &new_changes(&device, &stored), &reader());
    assert!(refused.is_empty(), "{refused:?}");
}

#[test]
fn a_field_user_writing_the_office_section_is_refused() {
    let stored = assigned_order("reader1");
    let forged = forge(&stored, actor(1), |tx| {
        let office = obj(tx, &ROOT, "office");
        let data = obj(tx, &office, "data");
        tx.put(&data, "instructions", "skip this one").unwrap();
    });
    let refused = inspect(&stored, &[forged], &reader());
    assert_eq!(codes(&refused), ["office_write"]);
}

#[test]
fn a_field_user_writing_the_root_is_refused() {
    let stored = assigned_order("reader1");
    let forged = forge(&stored, actor(1), |tx| {
        tx.put(ROOT, "order_id", "hijacked").unwrap();
    });
    assert_eq!(
        codes(&inspect(&stored, &[forged], &reader())),
        ["office_write"]
    );
}

#[test]
fn editing_or_deleting_an_existing_field_entry_is_refused() {
    let mut stored = assigned_order("reader1");
    let mut device = replica(&stored, actor(1));
    device
        .record_field_action(normal_reading(), ctx("reader1", 10), &reference())
        .unwrap();
    stored.merge(&mut device).unwrap();

    let edit = forge(&stored, actor(1), |tx| {
        let field = obj(tx, &ROOT, "field");
        let readings = obj(tx, &field, "readings");
        let (_, entry) = tx.get(&readings, 0).unwrap().expect("the entry");
        tx.put(&entry, "rules_version", 99u64).unwrap();
    });
    assert_eq!(codes(&inspect(&stored, &[edit], &reader())), ["field_edit"]);

    let delete = forge(&stored, actor(1), |tx| {
        let field = obj(tx, &ROOT, "field");
        let readings = obj(tx, &field, "readings");
        tx.delete(&readings, 0).unwrap();
    });
    assert_eq!(
        codes(&inspect(&stored, &[delete], &reader())),
        ["field_edit"]
    );

    let replace_list = forge(&stored, actor(1), |tx| {
        let field = obj(tx, &ROOT, "field");
        tx.put_object(&field, "readings", ObjType::List).unwrap();
    });
    assert_eq!(
        codes(&inspect(&stored, &[replace_list], &reader())),
        ["field_edit"]
    );
}

#[test]
fn an_office_writer_may_not_write_the_field_section() {
    let stored = assigned_order("reader1");
    let forged = forge(&stored, actor(1), |tx| {
        let field = obj(tx, &ROOT, "field");
        let notes = obj(tx, &field, "notes");
        let entry = tx.insert_object(&notes, 0, ObjType::Map).unwrap();
        tx.put(&entry, "x", 1).unwrap();
    });
    let office = Writer {
        username: "dispatcher".into(),
        office: true,
        field: false,
    };
    assert_eq!(
        codes(&inspect(&stored, &[forged], &office)),
        ["field_write"]
    );
}

/// A new entry in a field list with `fill` written into it.
fn append_raw(
    stored: &WorkOrderDoc,
    list: &str,
    fill: impl FnOnce(&mut fieldline_core::document::automerge::transaction::Transaction<'_>, &ObjId),
) -> Vec<u8> {
    forge(stored, actor(1), |tx| {
        let field = obj(tx, &ROOT, "field");
        let list = obj(tx, &field, list);
        let len = tx.length(&list);
        let entry = tx.insert_object(&list, len, ObjType::Map).unwrap();
        fill(tx, &entry);
    })
}

#[test]
fn an_entry_that_does_not_read_as_the_schema_is_refused() {
    let stored = assigned_order("reader1");
    let forged = append_raw(&stored, "readings", |tx, entry| {
        tx.put(entry, "action", "whatever").unwrap();
    });
    assert_eq!(codes(&inspect(&stored, &[forged], &reader())), ["schema"]);
}

/// A copy of an honest entry's JSON, changed by `edit`, appended raw.
fn append_edited(
    stored: &WorkOrderDoc,
    action: FieldAction,
    user: &str,
    edit: impl FnOnce(&mut serde_json::Value),
) -> Vec<u8> {
    append_edited_at(stored, action, ctx("reader1", 10), user, edit)
}

/// [`append_edited`] for an entry made in `context`.
fn append_edited_at(
    stored: &WorkOrderDoc,
    action: FieldAction,
    context: ActionContext,
    user: &str,
    edit: impl FnOnce(&mut serde_json::Value),
) -> Vec<u8> {
    let mut honest = replica(stored, actor(9));
    honest
        .record_field_action(action, context, &reference())
        .unwrap();
    let json = honest.to_json().unwrap();
    let list = ["events", "readings", "notes", "photos"]
        .into_iter()
        .find(|l| !json["field"][l].as_array().unwrap().is_empty())
        .unwrap();
    let mut value = json["field"][list][0].clone();
    value["context"]["user"] = user.into();
    edit(&mut value);
    append_raw(stored, list, |tx, entry| write_json(tx, entry, &value))
}

fn write_json(
    tx: &mut fieldline_core::document::automerge::transaction::Transaction<'_>,
    obj: &ObjId,
    value: &serde_json::Value,
) {
    let serde_json::Value::Object(map) = value else {
        panic!("an object")
    };
    for (key, v) in map {
        match v {
            serde_json::Value::Object(_) => {
                let child = tx.put_object(obj, key.as_str(), ObjType::Map).unwrap();
                write_json(tx, &child, v);
            }
            serde_json::Value::Array(items) => {
                let list = tx.put_object(obj, key.as_str(), ObjType::List).unwrap();
                for (i, item) in items.iter().enumerate() {
                    match item {
                        serde_json::Value::Object(_) => {
                            let child = tx.insert_object(&list, i, ObjType::Map).unwrap();
                            write_json(tx, &child, item);
                        }
                        other => tx.insert(&list, i, scalar(other)).unwrap(),
                    }
                }
            }
            other => tx.put(obj, key.as_str(), scalar(other)).unwrap(),
        }
    }
}

fn scalar(value: &serde_json::Value) -> ScalarValue {
    match value {
        serde_json::Value::Null => ScalarValue::Null,
        serde_json::Value::Bool(b) => ScalarValue::Boolean(*b),
        serde_json::Value::Number(n) if n.is_u64() => ScalarValue::Uint(n.as_u64().unwrap()),
        serde_json::Value::Number(n) if n.is_i64() => ScalarValue::Int(n.as_i64().unwrap()),
        serde_json::Value::Number(n) => ScalarValue::F64(n.as_f64().unwrap()),
        serde_json::Value::String(s) => ScalarValue::Str(s.as_str().into()),
        other => panic!("not a scalar: {other}"),
    }
}

#[test]
fn a_raw_copy_of_an_honest_entry_passes() {
    // The forging helper itself writes entries the server accepts: the refusals below are
    // about what was changed, not about how the entry was written.
    let stored = assigned_order("reader1");
    let forged = append_edited(&stored, normal_reading(), "reader1", |_| {});
    let refused = inspect(&stored, &[forged], &reader());
    assert!(refused.is_empty(), "{refused:?}");
}

#[test]
fn an_entry_written_as_another_user_is_refused() {
    let stored = assigned_order("reader1");
    let forged = append_edited(&stored, normal_reading(), "reader2", |_| {});
    let refused = inspect(&stored, &[forged], &reader());
    assert_eq!(codes(&refused), ["user_mismatch"]);
}

#[test]
fn an_entry_over_the_text_limit_is_refused() {
    let stored = assigned_order("reader1");
    let note = FieldAction::Note {
        code: None,
        text: "ok".into(),
    };
    let forged = append_edited(&stored, note, "reader1", |value| {
        value["action"]["text"] = "x".repeat(document::MAX_TEXT_BYTES + 1).into();
    });
    let refused = inspect(&stored, &[forged], &reader());
    assert_eq!(codes(&refused), ["limit_exceeded"]);
    assert_eq!(refused[0].field.as_deref(), Some("action.text"));
}

#[test]
fn a_limit_broken_inside_a_list_names_the_keys_down_to_it() {
    // The path names the keys from the entry down (list positions are not named); a long
    // key is reported at the object that holds it.
    let stored = assigned_order("reader1");
    let forged = append_edited(&stored, normal_reading(), "reader1", |value| {
        value["action"]["readings"][0]["value"] = "9".repeat(document::MAX_TEXT_BYTES + 1).into();
    });
    let refused = inspect(&stored, &[forged], &reader());
    assert_eq!(codes(&refused), ["limit_exceeded"]);
    assert_eq!(refused[0].field.as_deref(), Some("action.readings.value"));

    let forged = append_edited(&stored, normal_reading(), "reader1", |value| {
        let codes: Vec<serde_json::Value> =
            (0..=trust::MAX_LIST_ITEMS).map(|_| "x".into()).collect();
        value["action"]["reader_codes"] = codes.into();
    });
    let refused = inspect(&stored, &[forged], &reader());
    assert_eq!(codes(&refused), ["limit_exceeded"]);
    assert_eq!(refused[0].field.as_deref(), Some("action.reader_codes"));

    let forged = append_edited(&stored, normal_reading(), "reader1", |value| {
        value["context"]["k".repeat(document::MAX_TEXT_BYTES + 1)] = 1.into();
    });
    let refused = inspect(&stored, &[forged], &reader());
    assert_eq!(codes(&refused), ["limit_exceeded"]);
    assert_eq!(refused[0].field.as_deref(), Some("context"));
}

#[test]
fn an_entry_over_the_photo_limit_is_refused() {
    let stored = assigned_order("reader1");
    let photo = PhotoRef {
        sha256: "ab".repeat(32),
        kind: PhotoKind::Register,
    };
    let complete = FieldAction::Photo {
        photo: photo.clone(),
    };
    // Many single-photo entries, each within its own limits, pass the order's limit.
    let mut changes = Vec::new();
    let mut doc = replica(&stored, actor(1));
    for i in 0..=trust::MAX_PHOTOS_PER_ORDER {
        let bytes = {
            let before = doc.heads();
            doc.record_field_action(complete.clone(), ctx("reader1", i as i64), &reference())
                .unwrap();
            doc.changes_since(&before)
        };
        changes.extend(bytes);
    }
    let refused = inspect(&stored, &changes, &reader());
    assert_eq!(codes(&refused), ["limit_photos_per_order"]);
}

#[test]
fn a_rule_broken_as_the_device_saw_it_is_refused_with_its_dependents() {
    let stored = assigned_order("reader1");
    // Completing an order that was never started: the device's rules would have refused it.
    let complete = FieldAction::Complete {
        code: None,
        photos: vec![],
    };
    let forged = append_edited(&stored, FieldAction::Start, "reader1", |value| {
        value["action"] = serde_json::to_value(&complete).unwrap();
    });
    let mut after = WorkOrderDoc::load(&stored.save()).unwrap();
    after.apply_changes(std::slice::from_ref(&forged)).unwrap();
    after.set_actor(actor(1));
    let before = after.heads();
    after
        .record_field_action(
            FieldAction::Note {
                code: None,
                text: "done".into(),
            },
            ctx("reader1", 20),
            &reference(),
        )
        .unwrap_err();
    // (The device refuses anything on a completed order; forge the dependent note raw.)
    let dependent = forge(&after, actor(1), |tx| {
        let field = obj(tx, &ROOT, "field");
        let notes = obj(tx, &field, "notes");
        let entry = tx.insert_object(&notes, 0, ObjType::Map).unwrap();
        tx.put(&entry, "x", 1).unwrap();
    });
    assert_eq!(after.heads(), before);
    let refused = inspect(&stored, &[forged, dependent], &reader());
    // The schema problem of the dependent is found first; the rule after it is removed.
    assert_eq!(codes(&refused), ["schema"]);
    let forged = append_edited(&stored, FieldAction::Start, "reader1", |value| {
        value["action"] = serde_json::to_value(&complete).unwrap();
    });
    let refused = inspect(&stored, &[forged], &reader());
    assert_eq!(codes(&refused), ["rule"]);
    assert_eq!(
        refused[0].rule.as_deref(),
        Some("common.started_before_complete")
    );
}

#[test]
fn a_change_depending_on_a_refused_one_is_refused_too() {
    let stored = assigned_order("reader1");
    let forged = forge(&stored, actor(1), |tx| {
        tx.put(ROOT, "order_id", "hijacked").unwrap();
    });
    let mut device = WorkOrderDoc::load(&stored.save()).unwrap();
    device.apply_changes(std::slice::from_ref(&forged)).unwrap();
    device.set_actor(actor(1));
    let before = device.heads();
    device
        .record_field_action(normal_reading(), ctx("reader1", 10), &reference())
        .unwrap();
    let honest_looking = device.changes_since(&before);
    let mut all = vec![forged];
    all.extend(honest_looking);
    let refused = inspect(&stored, &all, &reader());
    assert_eq!(codes(&refused), ["office_write", "depends_on_quarantined"]);
}

#[test]
fn work_that_fails_a_rule_only_after_merging_passes_as_seen() {
    // The same user starts the order on two devices offline: each start held as its device saw
    // the order; merged, the second start is refused by `common.sequence`.
    let stored = assigned_order("reader1");
    let mut phone = replica(&stored, actor(1));
    let mut tablet = replica(&stored, actor(2));
    phone
        .record_field_action(FieldAction::Start, ctx("reader1", 5), &reference())
        .unwrap();
    tablet
        .record_field_action(FieldAction::Start, ctx("reader1", 6), &reference())
        .unwrap();
    let mut server = WorkOrderDoc::load(&stored.save()).unwrap();
    server.merge(&mut phone).unwrap();
    let after_phone = WorkOrderDoc::load(&server.save()).unwrap();
    let refused = inspect(&after_phone, &new_changes(&tablet, &stored), &reader());
    assert!(refused.is_empty(), "{refused:?}");

    server.merge(&mut tablet).unwrap();
    let record = server.record().unwrap();
    let tablet_start = record
        .field
        .iter()
        .find(|e| e.origin.actor == actor(2).to_hex_string())
        .unwrap();
    let phone_start = record
        .field
        .iter()
        .find(|e| e.origin.actor == actor(1).to_hex_string())
        .unwrap();
    // The linear order puts one start first; that one passes, the other fails the sequence.
    let results = [
        trust::judge_after_merge(&record, phone_start, &reference()),
        trust::judge_after_merge(&record, tablet_start, &reference()),
    ];
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let exceptions = trust::after_merge_exceptions(&record, &reference().into());
    assert_eq!(exceptions.len(), 1, "{exceptions:?}");
    assert_eq!(exceptions[0].code, trust::RULE_AFTER_MERGE);
    assert!(
        exceptions[0]
            .detail
            .as_deref()
            .unwrap_or_default()
            .starts_with("common.sequence"),
        "{exceptions:?}"
    );
}

#[test]
fn sequential_work_raises_no_after_merge_exception() {
    let mut stored = assigned_order("reader1");
    let mut device = replica(&stored, actor(1));
    device
        .record_field_action(FieldAction::Start, ctx("reader1", 5), &reference())
        .unwrap();
    device
        .record_field_action(normal_reading(), ctx("reader1", 10), &reference())
        .unwrap();
    stored.merge(&mut device).unwrap();
    let record = stored.record().unwrap();
    assert!(trust::after_merge_exceptions(&record, &reference().into()).is_empty());
}

// --- the stored assessment ---

/// A reading taken with the handheld's clock an hour before the order was created: the rules
/// flag `implausible_device_time`.
fn early_reading(stored: &WorkOrderDoc, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    append_edited_at(
        stored,
        normal_reading(),
        ctx("reader1", -3_600_000),
        "reader1",
        edit,
    )
}

fn mismatch(refused: &[Quarantined]) -> Option<&str> {
    match refused {
        [q] if q.code == document::assessment_check::ASSESSMENT_MISMATCH => q.field.as_deref(),
        _ => panic!("not one assessment mismatch: {refused:?}"),
    }
}

#[test]
fn a_raw_copy_of_an_honest_assessment_with_its_flag_passes() {
    let stored = assigned_order("reader1");
    let mut flags = Vec::new();
    let copy = early_reading(&stored, |value| {
        flags = value["assessment"]["flags"].as_array().unwrap().clone();
    });
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0]["code"], "implausible_device_time");
    let refused = inspect(&stored, &[copy], &reader());
    assert!(refused.is_empty(), "{refused:?}");
}

#[test]
fn an_entry_leaving_out_a_flag_the_rules_raise_is_refused() {
    let stored = assigned_order("reader1");
    let forged = early_reading(&stored, |value| {
        value["assessment"]["flags"] = serde_json::json!([]);
    });
    let refused = inspect(&stored, &[forged], &reader());
    assert_eq!(mismatch(&refused), Some("assessment.flags"));
    assert!(
        refused[0].message.contains("implausible_device_time"),
        "{refused:?}"
    );
}

#[test]
fn an_entry_claiming_another_billed_quantity_is_refused() {
    let stored = assigned_order("reader1");
    let forged = append_edited(&stored, normal_reading(), "reader1", |value| {
        assert_eq!(value["assessment"]["readings"][0]["billed"], 50.0);
        value["assessment"]["readings"][0]["billed"] = 5.0.into();
    });
    let refused = inspect(&stored, &[forged], &reader());
    assert_eq!(mismatch(&refused), Some("assessment.readings[0].billed"));
}

#[test]
fn an_entry_proposing_a_follow_up_the_rules_do_not_is_refused_with_its_dependents() {
    let stored = assigned_order("reader1");
    let forged = append_edited(&stored, normal_reading(), "reader1", |value| {
        value["assessment"]["follow_ups"] =
            serde_json::json!([{"kind": "utility_repair", "reason": "utility_side_leak"}]);
    });
    let mut device = WorkOrderDoc::load(&stored.save()).unwrap();
    device.apply_changes(std::slice::from_ref(&forged)).unwrap();
    device.set_actor(actor(1));
    let before = device.heads();
    let note = FieldAction::Note {
        code: None,
        text: "gate was open".into(),
    };
    device
        .record_field_action(note, ctx("reader1", 20), &reference())
        .unwrap();
    let mut all = vec![forged];
    all.extend(device.changes_since(&before));
    let refused = inspect(&stored, &all, &reader());
    assert_eq!(
        codes(&refused),
        ["assessment_mismatch", "depends_on_quarantined"]
    );
    assert_eq!(refused[0].field.as_deref(), Some("assessment.follow_ups"));
}

#[test]
fn an_honest_assessment_the_office_data_changed_under_passes_on_the_exact_fork() {
    // The device reads an active account; meanwhile the office marks the account inactive. On
    // the merged office data the rules would flag `unauthorized_use`; as the device saw the
    // order they do not, and its entry without the flag is honest.
    let created = assigned_order("reader1");
    let mut device = replica(&created, actor(1));
    let entry = device
        .record_field_action(normal_reading(), ctx("reader1", 10), &reference())
        .unwrap();
    assert!(entry.assessment.flags.is_empty(), "{entry:?}");
    let edit = forge(&created, actor(5), |tx| {
        let office = obj(tx, &ROOT, "office");
        let data = obj(tx, &office, "data");
        let account = obj(tx, &data, "account");
        tx.put(&account, "status", "inactive").unwrap();
    });
    let mut stored = WorkOrderDoc::load(&created.save()).unwrap();
    stored.apply_changes(&[edit]).unwrap();
    let account = stored.office().unwrap().account.unwrap();
    assert_eq!(account.status, AccountStatus::Inactive);
    let refused = inspect(&stored, &new_changes(&device, &created), &reader());
    assert!(refused.is_empty(), "{refused:?}");
}

#[test]
fn an_entry_under_other_rules_is_accepted_and_read_with_the_servers_assessment() {
    for version in [rules::RULES_VERSION - 1, rules::RULES_VERSION + 1] {
        let stored = assigned_order("reader1");
        let forged = early_reading(&stored, |value| {
            value["assessment"]["flags"] = serde_json::json!([]);
            value["assessment"]["readings"][0]["billed"] = 5.0.into();
            value["rules_version"] = version.into();
        });
        let sections = Sections::of(&stored).expect("sections");
        let mut merged = WorkOrderDoc::load(&stored.save()).expect("load");
        merged.apply_changes(&[forged]).expect("apply");
        let new = merged.change_infos(&stored.heads());
        let inspection =
            trust::inspect_merged(&sections, &merged, &new, &reader(), &reference().into())
                .expect("inspect");
        assert!(inspection.refused.is_empty(), "{:?}", inspection.refused);
        let record = inspection.record.expect("the record read");
        let entry = &record.field[0];
        assert_eq!(entry.rules_version, version);
        let codes: Vec<&str> = entry
            .assessment
            .flags
            .iter()
            .map(|f| f.code.as_str())
            .collect();
        assert_eq!(
            codes,
            ["implausible_device_time"],
            "rules version {version}"
        );
        assert_eq!(entry.assessment.readings[0].billed, Some(50.0));
        // The stored document keeps what the device wrote; the server reads it its own way.
        let stored_entry = &merged.record().unwrap().field[0];
        assert!(stored_entry.assessment.flags.is_empty());
        let mut again = merged.record().unwrap();
        document::assessment_check::reassess_other_versions(
            &merged,
            &mut again,
            &reference().into(),
            Default::default(),
        )
        .unwrap();
        assert_eq!(again.field[0].assessment, entry.assessment);
    }
}
