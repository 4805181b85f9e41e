//! Status derivation and merge exceptions on real documents: named scenarios first, then the
//! property test over random interleavings of office and field actions on several replicas.

mod common;

use common::*;
use fieldline_core::status::{COMPLETED_AFTER_CANCEL, DUPLICATE_COMPLETION, WORKED_AFTER_REASSIGN};
use fieldline_core::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

fn codes(derived: &Derived) -> Vec<&str> {
    derived.exceptions.iter().map(|e| e.code.as_str()).collect()
}

fn field(doc: &mut WorkOrderDoc, action: FieldAction, user: &str, at: i64) -> FieldEntry {
    doc.record_field_action(action, ctx(user, at), &reference())
        .expect("the rules accept the action")
}

fn sync(a: &mut WorkOrderDoc, b: &mut WorkOrderDoc) {
    a.merge(b).expect("merge b into a");
    b.merge(a).expect("merge a into b");
}

/// An order of `order_type` (the cycle-read fixture retyped) created and assigned to `assignee`.
fn assigned_of_type(order_type: OrderType, assignee: &str) -> WorkOrderDoc {
    let data = OfficeData {
        order_type,
        ..cycle_read_office()
    };
    let mut doc = WorkOrderDoc::create("order-1", &data, actor(0), CREATED).expect("create");
    doc.apply_office_action(
        OfficeAction::Assign {
            assignee: assignee.into(),
            reason: None,
        },
        "dispatcher",
        Timestamp(CREATED.0 + 1),
    )
    .expect("assign");
    doc
}

#[test]
fn every_order_type_walks_the_whole_status_model() {
    for order_type in OrderType::ALL.iter().copied() {
        let mut doc = assigned_of_type(order_type, "reader1");
        let steps = [
            (FieldAction::Received, Status::Received),
            (FieldAction::EnRoute, Status::EnRoute),
            (FieldAction::Arrive, Status::OnSite),
            (FieldAction::Start, Status::InProgress),
            (
                FieldAction::Pause {
                    reason: "lunch".into(),
                },
                Status::Paused,
            ),
            (FieldAction::Resume, Status::InProgress),
            (
                FieldAction::NotDone {
                    reason: "no_access".into(),
                    note: None,
                },
                Status::NotDone,
            ),
        ];
        for (at, (action, expected)) in steps.into_iter().enumerate() {
            field(&mut doc, action, "reader1", 10 + at as i64);
            assert_eq!(doc.derive().unwrap().status, expected, "{order_type}");
        }
        doc.apply_office_action(
            OfficeAction::Close { note: None },
            "supervisor",
            Timestamp(CREATED.0 + 100),
        )
        .expect("close");
        assert_eq!(doc.derive().unwrap().status, Status::Closed, "{order_type}");

        let mut cancelled = assigned_of_type(order_type, "reader1");
        cancelled
            .apply_office_action(
                OfficeAction::Cancel {
                    reason: "paid".into(),
                },
                "dispatcher",
                Timestamp(CREATED.0 + 5),
            )
            .expect("cancel");
        assert_eq!(
            cancelled.derive().unwrap().status,
            Status::Cancelled,
            "{order_type}"
        );
    }
}

#[test]
fn status_follows_the_crews_progress() {
    let mut office = assigned_order("reader1");
    assert_eq!(office.derive().unwrap().status, Status::Assigned);
    let mut device = replica(&office, actor(1));
    field(&mut device, FieldAction::Received, "reader1", 10);
    assert_eq!(device.derive().unwrap().status, Status::Received);
    field(&mut device, FieldAction::Arrive, "reader1", 20);
    assert_eq!(device.derive().unwrap().status, Status::OnSite);
    field(&mut device, normal_reading(), "reader1", 30);
    let derived = device.derive().unwrap();
    assert_eq!(derived.status, Status::InProgress);
    assert_eq!(derived.started_at, Some(Timestamp(CREATED.0 + 30)));
    field(
        &mut device,
        FieldAction::Complete {
            code: None,
            photos: vec![],
        },
        "reader1",
        40,
    );
    sync(&mut office, &mut device);
    let derived = office.derive().unwrap();
    assert_eq!(derived.status, Status::Completed);
    assert!(derived.exceptions.is_empty(), "{:?}", derived.exceptions);
    office
        .apply_office_action(
            OfficeAction::Close { note: None },
            "supervisor",
            Timestamp(CREATED.0 + 50),
        )
        .expect("close a completed order");
    assert_eq!(office.derive().unwrap().status, Status::Closed);
}

#[test]
fn completed_offline_survives_office_cancel() {
    let mut office = assigned_order("reader1");
    let mut device = replica(&office, actor(1));
    field(&mut device, normal_reading(), "reader1", 10);
    field(
        &mut device,
        FieldAction::Complete {
            code: None,
            photos: vec![],
        },
        "reader1",
        20,
    );
    office
        .apply_office_action(
            OfficeAction::Cancel {
                reason: "account closed".into(),
            },
            "dispatcher",
            Timestamp(CREATED.0 + 15),
        )
        .expect("cancel");
    assert_eq!(office.derive().unwrap().status, Status::Cancelled);
    sync(&mut office, &mut device);
    for doc in [&office, &device] {
        let derived = doc.derive().unwrap();
        assert_eq!(derived.status, Status::Completed);
        assert_eq!(codes(&derived), vec![COMPLETED_AFTER_CANCEL]);
    }
}

#[test]
fn cancel_seen_by_the_device_refuses_further_work() {
    let mut office = assigned_order("reader1");
    let mut device = replica(&office, actor(1));
    office
        .apply_office_action(
            OfficeAction::Cancel {
                reason: "paid".into(),
            },
            "dispatcher",
            Timestamp(CREATED.0 + 5),
        )
        .unwrap();
    sync(&mut office, &mut device);
    let before = device.save();
    let refused = device.record_field_action(normal_reading(), ctx("reader1", 10), &reference());
    assert!(
        matches!(refused, Err(document::ActionError::Refused(_))),
        "{refused:?}"
    );
    assert_eq!(device.save(), before, "a refused action writes nothing");
}

#[test]
fn reassigned_order_keeps_the_first_crews_work() {
    let mut office = assigned_order("reader1");
    let mut first = replica(&office, actor(1));
    let arrive = field(&mut first, FieldAction::Arrive, "reader1", 10);
    let read = field(&mut first, normal_reading(), "reader1", 20);
    let reassign = office
        .apply_office_action(
            OfficeAction::Assign {
                assignee: "reader2".into(),
                reason: Some("balance the routes".into()),
            },
            "dispatcher",
            Timestamp(CREATED.0 + 15),
        )
        .unwrap();
    sync(&mut office, &mut first);
    let derived = office.derive().unwrap();
    assert_eq!(derived.assignee.as_deref(), Some("reader2"));
    assert_eq!(
        derived.status,
        Status::Assigned,
        "the new crew starts afresh"
    );
    assert_eq!(codes(&derived), vec![WORKED_AFTER_REASSIGN]);
    let mut expected = vec![arrive.id.clone(), read.id.clone(), reassign.id.clone()];
    expected.sort();
    assert_eq!(derived.exceptions[0].entries, expected);
    let record = office.record().unwrap();
    assert!(
        record.field.iter().any(|e| e.id == read.id),
        "field work is kept"
    );
}

#[test]
fn two_crews_completing_concurrently_keep_both() {
    let mut office = assigned_order("reader1");
    let mut first = replica(&office, actor(1));
    let mut second = replica(&office, actor(2));
    for (doc, at) in [(&mut first, 10), (&mut second, 11)] {
        field(doc, normal_reading(), "reader1", at);
        field(
            doc,
            FieldAction::Complete {
                code: None,
                photos: vec![],
            },
            "reader1",
            at + 5,
        );
    }
    sync(&mut first, &mut second);
    sync(&mut office, &mut first);
    let derived = office.derive().unwrap();
    assert_eq!(derived.status, Status::Completed);
    assert_eq!(derived.completions.len(), 2);
    assert_eq!(codes(&derived), vec![DUPLICATE_COMPLETION]);
}

#[test]
fn office_refuses_actions_that_make_no_sense() {
    let mut office = assigned_order("reader1");
    let same = office.apply_office_action(
        OfficeAction::Assign {
            assignee: "reader1".into(),
            reason: None,
        },
        "dispatcher",
        CREATED,
    );
    assert!(
        matches!(same, Err(document::ActionError::Refused(r)) if r.rule == "office.already_assigned")
    );
    let close =
        office.apply_office_action(OfficeAction::Close { note: None }, "dispatcher", CREATED);
    assert!(
        matches!(close, Err(document::ActionError::Refused(r)) if r.rule == "office.close_unfinished")
    );
    let blank = office.apply_office_action(
        OfficeAction::Cancel { reason: " ".into() },
        "dispatcher",
        CREATED,
    );
    assert!(matches!(blank, Err(document::ActionError::Refused(r)) if r.field == "reason"));
}

// ---------------------------------------------------------------------------------------------
// Property: random interleavings of office and field actions on several replicas.

const USERS: [&str; 2] = ["reader1", "reader2"];

#[derive(Debug, Clone)]
enum Step {
    /// The office (replica 0) assigns to a user, cancels, or writes a note.
    Assign(usize),
    Cancel,
    OfficeNote,
    /// Device `d` (replica d+1, user USERS[d % 2]) does a field action.
    Field(usize, FieldOp),
    /// Two replicas exchange everything.
    Sync(usize, usize),
}

#[derive(Debug, Clone, Copy)]
enum FieldOp {
    Arrive,
    Start,
    Read,
    Skip,
    Complete,
    NotDone,
    Note,
}

const DEVICES: usize = 3;

fn device_user(device: usize) -> &'static str {
    USERS[device % USERS.len()]
}

fn step() -> impl Strategy<Value = Step> {
    let field_op = prop_oneof![
        Just(FieldOp::Arrive),
        Just(FieldOp::Start),
        Just(FieldOp::Read),
        Just(FieldOp::Skip),
        Just(FieldOp::Complete),
        Just(FieldOp::Complete),
        Just(FieldOp::NotDone),
        Just(FieldOp::Note),
    ];
    prop_oneof![
        2 => (0..USERS.len()).prop_map(Step::Assign),
        1 => Just(Step::Cancel),
        1 => Just(Step::OfficeNote),
        8 => (0..DEVICES, field_op).prop_map(|(d, op)| Step::Field(d, op)),
        3 => (0..=DEVICES, 0..=DEVICES).prop_map(|(a, b)| Step::Sync(a, b)),
    ]
}

fn field_action(op: FieldOp) -> FieldAction {
    match op {
        FieldOp::Arrive => FieldAction::Arrive,
        FieldOp::Start => FieldAction::Start,
        FieldOp::Read => normal_reading(),
        FieldOp::Skip => FieldAction::Skip {
            code: "no_access".into(),
            note: None,
            photos: vec![],
        },
        FieldOp::Complete => FieldAction::Complete {
            code: None,
            photos: vec![],
        },
        FieldOp::NotDone => FieldAction::NotDone {
            reason: "no_access".into(),
            note: None,
        },
        FieldOp::Note => FieldAction::Note {
            code: None,
            text: "gate was open".into(),
        },
    }
}

/// What the test knows independently of the derivation: each action and what its writer had seen.
#[derive(Debug, Default)]
struct Oracle {
    /// Action id → ids of every action its writer had seen (not including itself).
    seen: BTreeMap<String, BTreeSet<String>>,
    completions: Vec<String>,
    cancels: Vec<String>,
    /// Office assignments in office order: (id, assignee).
    assignments: Vec<(String, String)>,
    /// Field work: (id, user).
    work: Vec<(String, String)>,
}

impl Oracle {
    fn concurrent(&self, a: &str, b: &str) -> bool {
        !self.seen[a].contains(b) && !self.seen[b].contains(a)
    }

    fn expected(&self) -> BTreeSet<(String, Vec<String>)> {
        let mut out = BTreeSet::new();
        for (i, a) in self.completions.iter().enumerate() {
            for b in &self.completions[i + 1..] {
                if self.concurrent(a, b) {
                    out.insert((DUPLICATE_COMPLETION.to_string(), sorted([a, b])));
                }
            }
            for c in &self.cancels {
                if self.concurrent(a, c) {
                    out.insert((COMPLETED_AFTER_CANCEL.to_string(), sorted([a, c])));
                }
            }
        }
        for (reassign, new_user) in &self.assignments {
            let mut worked: Vec<&String> = self
                .work
                .iter()
                .filter(|(id, user)| {
                    user != new_user
                        && self.concurrent(id, reassign)
                        // The worker held the order as they saw it (the office is sequential).
                        && self
                            .assignments
                            .iter()
                            .rev()
                            .find(|(a, _)| self.seen[id].contains(a))
                            .is_some_and(|(_, holder)| holder == user)
                })
                .map(|(id, _)| id)
                .collect();
            if !worked.is_empty() {
                worked.push(reassign);
                out.insert((WORKED_AFTER_REASSIGN.to_string(), sorted(worked)));
            }
        }
        out
    }
}

fn sorted<'a>(ids: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut v: Vec<String> = ids.into_iter().cloned().collect();
    v.sort();
    v
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn replicas_converge_and_exceptions_match_causality(steps in prop::collection::vec(step(), 1..24)) {
        let office = assigned_order(USERS[0]);
        let first_assignment = office.record().unwrap().office_log[0].id.clone();
        let mut replicas: Vec<WorkOrderDoc> = vec![office.clone()];
        for d in 0..DEVICES {
            replicas.push(replica(&office, actor(d as u8 + 1)));
        }
        let mut oracle = Oracle::default();
        oracle.seen.insert(first_assignment.clone(), BTreeSet::new());
        oracle.assignments.push((first_assignment.clone(), USERS[0].to_string()));
        // What each replica has seen (action ids).
        let mut known: Vec<BTreeSet<String>> = vec![BTreeSet::from([first_assignment]); DEVICES + 1];
        let mut clock = 100;

        for step in steps {
            clock += 1_000;
            let at = Timestamp(CREATED.0 + clock);
            let (replica_index, result) = match step {
                Step::Sync(a, b) => {
                    if a != b {
                        let (lo, hi) = (a.min(b), a.max(b));
                        let (left, right) = replicas.split_at_mut(hi);
                        sync(&mut left[lo], &mut right[0]);
                        let union: BTreeSet<String> = known[a].union(&known[b]).cloned().collect();
                        known[a] = union.clone();
                        known[b] = union;
                    }
                    continue;
                }
                Step::Assign(u) => (0, replicas[0]
                    .apply_office_action(OfficeAction::Assign { assignee: USERS[u].into(), reason: None }, "dispatcher", at)
                    .map(|e| (e.id, Some(USERS[u].to_string()), false, false, None))),
                Step::Cancel => (0, replicas[0]
                    .apply_office_action(OfficeAction::Cancel { reason: "not needed".into() }, "dispatcher", at)
                    .map(|e| (e.id, None, true, false, None))),
                Step::OfficeNote => (0, replicas[0]
                    .apply_office_action(OfficeAction::Note { text: "call first".into(), review: None }, "dispatcher", at)
                    .map(|e| (e.id, None, false, false, None))),
                Step::Field(d, op) => {
                    let user = device_user(d);
                    let action = field_action(op);
                    let is_completion = matches!(action, FieldAction::Complete { .. });
                    (d + 1, replicas[d + 1]
                        .record_field_action(action, ActionContext { user: user.into(), device_time: at, gps: None }, &reference())
                        .map(|e| (e.id, None, false, is_completion, Some(user.to_string()))))
                }
            };
            match result {
                Ok((id, assigned, cancel, completion, worker)) => {
                    oracle.seen.insert(id.clone(), known[replica_index].clone());
                    if let Some(user) = assigned { oracle.assignments.push((id.clone(), user)); }
                    if cancel { oracle.cancels.push(id.clone()); }
                    if completion { oracle.completions.push(id.clone()); }
                    if let Some(user) = worker { oracle.work.push((id.clone(), user)); }
                    known[replica_index].insert(id);
                }
                // An honest client: the rules refused it as the replica saw the order.
                Err(document::ActionError::Refused(_)) => {}
                Err(other) => prop_assert!(false, "document error: {other}"),
            }
        }

        // Everyone syncs with everyone.
        for i in 1..replicas.len() {
            let (left, right) = replicas.split_at_mut(i);
            left[0].merge(&mut right[0]).unwrap();
        }
        for i in 1..replicas.len() {
            let (left, right) = replicas.split_at_mut(i);
            right[0].merge(&mut left[0]).unwrap();
        }

        let derived: Vec<Derived> = replicas.iter().map(|r| r.derive().unwrap()).collect();
        for d in &derived[1..] {
            prop_assert_eq!(d, &derived[0], "every replica derives the same status and exceptions");
        }
        let json0 = replicas[0].to_json().unwrap();
        for r in &replicas[1..] {
            prop_assert_eq!(r.to_json().unwrap(), json0.clone());
        }

        let merge_codes = [COMPLETED_AFTER_CANCEL, WORKED_AFTER_REASSIGN, DUPLICATE_COMPLETION];
        let actual: BTreeSet<(String, Vec<String>)> = derived[0]
            .exceptions
            .iter()
            .filter(|e| merge_codes.contains(&e.code.as_str()))
            .map(|e| (e.code.clone(), e.entries.clone()))
            .collect();
        prop_assert_eq!(actual, oracle.expected());

        // Field work is never dropped.
        let record = replicas[0].record().unwrap();
        let ids: BTreeSet<&String> = record.field.iter().map(|e| &e.id).collect();
        for (id, _) in &oracle.work {
            prop_assert!(ids.contains(id), "field entry {} was dropped", id);
        }
        let completions: BTreeSet<&String> = derived[0].completions.iter().collect();
        prop_assert_eq!(completions, oracle.completions.iter().collect::<BTreeSet<_>>());
        if !oracle.completions.is_empty() {
            prop_assert_eq!(derived[0].status, Status::Completed);
        } else if !oracle.cancels.is_empty() {
            prop_assert_eq!(derived[0].status, Status::Cancelled);
        }
    }
}

#[test]
fn server_judges_field_work_as_the_device_saw_it() {
    let mut office = assigned_order("reader1");
    let mut device = replica(&office, actor(1));
    let reading = field(&mut device, normal_reading(), "reader1", 10);
    office
        .apply_office_action(
            OfficeAction::Cancel {
                reason: "payment posted".into(),
            },
            "dispatcher",
            Timestamp(CREATED.0 + 5),
        )
        .unwrap();
    sync(&mut office, &mut device);
    let merged = office.record().unwrap();
    let entry = merged.field.iter().find(|e| e.id == reading.id).unwrap();
    // As the device saw it, the reading was fine ...
    let judged = office.judge_field_entry(entry, &reference()).unwrap();
    assert!(judged.is_ok(), "{judged:?}");
    // ... while the same action against the merged (cancelled) order would be refused.
    let derived = derive(&merged);
    let now = rules::check(
        &merged,
        &derived,
        &entry.action,
        &entry.context,
        &reference(),
    );
    assert!(now.is_err(), "the merged order is cancelled: {now:?}");
}
