//! Snapshot of the work order document layout: a schema change shows up as a visible diff here.
//! Documents live on phones for weeks; the schema only grows, so review such a diff with care.

mod common;

use common::*;
use fieldline_core::*;

#[test]
fn document_layout_is_stable() {
    let office = assigned_order("reader1");
    let mut device = replica(&office, actor(1));
    device
        .record_field_action(FieldAction::Arrive, ctx("reader1", 10), &reference())
        .expect("arrive");
    device
        .record_field_action(normal_reading(), ctx("reader1", 20), &reference())
        .expect("reading");
    device
        .record_field_action(
            FieldAction::Note {
                code: None,
                text: "box lid cracked".into(),
            },
            ctx("reader1", 30),
            &reference(),
        )
        .expect("note");
    insta::assert_json_snapshot!("work_order_document_v1", device.to_json().expect("to json"));
}

#[test]
fn a_document_round_trips_through_save_and_load() {
    let mut doc = assigned_order("reader1");
    doc.record_field_action(FieldAction::Arrive, ctx("reader1", 10), &reference())
        .expect("arrive");
    let loaded = WorkOrderDoc::load(&doc.save()).expect("load");
    assert_eq!(loaded.record().unwrap(), doc.record().unwrap());
    assert_eq!(loaded.office().unwrap(), cycle_read_office());
}

#[test]
fn garbage_bytes_are_a_load_error_not_a_panic() {
    for bytes in [
        &b""[..],
        b"not automerge",
        &[0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0][..],
    ] {
        assert!(WorkOrderDoc::load(bytes).is_err());
    }
}

#[test]
fn a_document_without_the_schema_is_refused() {
    let mut other = fieldline_core::document::automerge::AutoCommit::new();
    use fieldline_core::document::automerge::transaction::Transactable;
    other
        .put(fieldline_core::document::automerge::ROOT, "hello", "world")
        .unwrap();
    let err = WorkOrderDoc::load(&other.save()).expect_err("not a work order");
    assert!(err.to_string().contains("schema_version"), "{err}");
}

#[test]
fn service_order_document_layout_is_stable() {
    let data = OfficeData {
        order_type: OrderType::Reconnect,
        details: OrderDetails {
            recorded_seal: Some("FL004521".into()),
            ..OrderDetails::default()
        },
        ..cycle_read_office()
    };
    let mut office = WorkOrderDoc::create("order-2", &data, actor(0), CREATED).expect("create");
    office
        .apply_office_action(
            OfficeAction::Assign {
                assignee: "inspector1".into(),
                reason: None,
            },
            "dispatcher",
            Timestamp(CREATED.0 + 1),
        )
        .expect("assign");
    let mut device = replica(&office, actor(1));
    device
        .record_field_action(
            FieldAction::Capture {
                capture: Capture::SealFound {
                    number: Some("FL009999".into()),
                    condition: SealCondition::Intact,
                },
                photos: vec![PhotoRef {
                    sha256: "ab".repeat(32),
                    kind: PhotoKind::Lock,
                }],
                note: None,
            },
            ctx("inspector1", 10),
            &reference(),
        )
        .expect("seal found");
    insta::assert_json_snapshot!(
        "work_order_document_service_v1",
        device.to_json().expect("to json")
    );
}
