//! The rules about whole actions as one table: who may act, what the status allows, codes,
//! skips, reading-or-skip before completing, and the plausibility flags.

use crate::fixtures::*;
use fieldline_core::reference::ReferenceData;
use fieldline_core::*;

enum Expect {
    /// Accepted with these flags.
    Ok(&'static [&'static str]),
    /// Refused by this rule on this field, needing this.
    Err(&'static str, &'static str, Option<Need>),
}
use Expect::{Err as Refused, Ok as Accepted};

struct Row {
    name: &'static str,
    status: Status,
    /// Earlier entries of the order (by `READER` unless stated).
    history: Vec<(FieldAction, &'static str)>,
    registers: Vec<Register>,
    action: FieldAction,
    user: &'static str,
    /// Device time of the action, after creation.
    at_ms: i64,
    gps: Option<GeoPoint>,
    tweak: fn(&mut ReferenceData),
    expect: Expect,
}

fn row(name: &'static str, status: Status, action: FieldAction, expect: Expect) -> Row {
    Row {
        name,
        status,
        history: vec![],
        registers: vec![usual_register()],
        action,
        user: READER,
        at_ms: 1_000,
        gps: Some(PREMISE),
        tweak: |_| {},
        expect,
    }
}

impl Row {
    fn after(mut self, history: Vec<(FieldAction, &'static str)>) -> Self {
        self.history = history;
        self
    }
    fn by(mut self, user: &'static str) -> Self {
        self.user = user;
        self
    }
    fn at(mut self, ms: i64) -> Self {
        self.at_ms = ms;
        self
    }
    fn gps(mut self, gps: Option<GeoPoint>) -> Self {
        self.gps = gps;
        self
    }
    fn registers(mut self, registers: Vec<Register>) -> Self {
        self.registers = registers;
        self
    }
    fn tweak(mut self, tweak: fn(&mut ReferenceData)) -> Self {
        self.tweak = tweak;
        self
    }
}

fn complete() -> FieldAction {
    FieldAction::Complete {
        code: None,
        photos: vec![],
    }
}

fn complete_with(code: &str) -> FieldAction {
    FieldAction::Complete {
        code: Some(code.into()),
        photos: vec![],
    }
}

fn normal_read() -> FieldAction {
    reading(vec![input(1, "1050", None)], 0, None)
}

fn read_with_codes(codes: &[&str], trouble: Option<&str>, photo_count: usize) -> FieldAction {
    FieldAction::Reading {
        readings: vec![input(1, "1050", None)],
        reader_codes: codes.iter().map(|c| c.to_string()).collect(),
        trouble_code: trouble.map(str::to_string),
        note: None,
        photos: photos(photo_count),
    }
}

fn skip(code: &str, note: Option<&str>, photo_count: usize) -> FieldAction {
    FieldAction::Skip {
        code: code.into(),
        note: note.map(str::to_string),
        photos: photos(photo_count),
    }
}

fn not_done(reason: &str, note: Option<&str>) -> FieldAction {
    FieldAction::NotDone {
        reason: reason.into(),
        note: note.map(str::to_string),
    }
}

/// About 1.1 km north of the premise.
const FAR: GeoPoint = GeoPoint {
    lat: 44.9878,
    lon: -93.2650,
};
/// About 55 m north of the premise.
const NEAR: GeoPoint = GeoPoint {
    lat: 44.9783,
    lon: -93.2650,
};

#[rustfmt::skip]
fn rows() -> Vec<Row> {
    use Status::*;
    let note = |text: &str| FieldAction::Note { code: None, text: text.into() };
    let pause = || FieldAction::Pause { reason: "lunch".into() };
    vec![
        // Who may act.
        row("assignee reads", OnSite, normal_read(), Accepted(&[])),
        row("someone else reads", OnSite, normal_read(), Refused("common.not_assignee", "user", None)).by("reader2"),
        row("someone else notes", InProgress, note("hi"), Refused("common.not_assignee", "user", None)).by("reader2"),
        // Finished orders take no more field work.
        row("reading on a cancelled order", Cancelled, normal_read(), Refused("common.order_closed", "action", None)),
        row("note on a completed order", Completed, note("late"), Refused("common.order_closed", "action", None)),
        row("arrive on a not-done order", NotDone, FieldAction::Arrive, Refused("common.order_closed", "action", None)),
        row("complete on a closed order", Closed, complete(), Refused("common.order_closed", "action", None)),
        // Sequences.
        row("arrive twice", OnSite, FieldAction::Arrive, Accepted(&[])),
        row("start when on site", OnSite, FieldAction::Start, Accepted(&[])),
        row("start twice", InProgress, FieldAction::Start, Refused("common.sequence", "action", None)),
        row("pause work in progress", InProgress, pause(), Accepted(&[])),
        row("pause before starting", OnSite, pause(), Refused("common.sequence", "action", None)),
        row("pause twice", Paused, pause(), Refused("common.sequence", "action", None)),
        row("resume a paused order", Paused, FieldAction::Resume, Accepted(&[])),
        row("resume when not paused", InProgress, FieldAction::Resume, Refused("common.sequence", "action", None)),
        // Completing.
        row("complete after a reading", InProgress, complete(), Accepted(&[])).after(vec![(normal_read(), READER)]),
        row("complete while paused", Paused, complete(), Accepted(&[])).after(vec![(normal_read(), READER)]),
        row("complete before start", OnSite, complete(), Refused("common.started_before_complete", "action", None)).after(vec![(normal_read(), READER)]),
        row("complete before the start time", InProgress, complete(), Refused("common.completion_time", "device_time", None)).after(vec![(normal_read(), READER)]).at(400),
        row("complete without reading or skip", InProgress, complete(), Refused("cycle_read.reading_or_skip", "readings", None)).after(vec![(FieldAction::Start, READER)]),
        row("complete after a skip", InProgress, complete(), Accepted(&[])).after(vec![(skip("dog", None, 0), READER)]),
        row("another reader's reading does not count", InProgress, complete(), Refused("cycle_read.reading_or_skip", "readings", None)).after(vec![(normal_read(), "reader2"), (FieldAction::Start, READER)]),
        row("complete with a register unread", InProgress, complete(), Refused("cycle_read.reading_or_skip", "readings", None))
            .registers(vec![usual_register(), register(2, (5, 0), None, (None, None))])
            .after(vec![(normal_read(), READER)]),
        row("complete blank when policy allows", InProgress, complete(), Accepted(&[])).after(vec![(FieldAction::Start, READER)]).tweak(|r| r.policy.allow_blank_read = true),
        row("known completion code", InProgress, complete_with("read"), Accepted(&[])).after(vec![(normal_read(), READER)]),
        row("unknown completion code", InProgress, complete_with("finished"), Refused("common.completion_code", "code", None)).after(vec![(normal_read(), READER)]),
        // Not done.
        row("not done, known reason", OnSite, not_done("no_access", None), Accepted(&[])),
        row("not done, unknown reason", OnSite, not_done("tired", None), Refused("common.not_done_reason", "reason", None)),
        row("not done, other without note", OnSite, not_done("other", None), Refused("common.not_done_reason", "note", Some(Need::Note))),
        row("not done, other with note", OnSite, not_done("other", Some("road closed")), Accepted(&[])),
        // Rule 8: codes with a reading.
        row("three reader codes", OnSite, read_with_codes(&["lid_broken", "box_flooded", "dirty_register"], None, 0), Accepted(&[])),
        row("four reader codes", OnSite, read_with_codes(&["lid_broken", "box_flooded", "dirty_register", "meter_leaking"], None, 0), Refused("cycle_read.reader_codes", "reader_codes", None)),
        row("unknown reader code", OnSite, read_with_codes(&["lid_broken", "purple"], None, 0), Refused("cycle_read.reader_codes", "reader_codes[1]", None)),
        row("reader code twice", OnSite, read_with_codes(&["lid_broken", "lid_broken"], None, 0), Refused("cycle_read.reader_codes", "reader_codes[1]", None)),
        row("known trouble code raises its flag", OnSite, read_with_codes(&[], Some("meter_stopped"), 0), Accepted(&["meter_problem"])),
        row("trouble code without a flag", OnSite, read_with_codes(&[], Some("box_damaged"), 0), Accepted(&[])),
        row("reader code raises its flag", OnSite, read_with_codes(&["meter_leaking"], None, 0), Accepted(&["leak"])),
        row("unknown trouble code", OnSite, read_with_codes(&[], Some("gremlins"), 0), Refused("cycle_read.trouble_code", "trouble_code", None)),
        row("tamper without photo", OnSite, read_with_codes(&[], Some("tamper_suspected"), 0), Refused("cycle_read.trouble_code", "photos", Some(Need::Photo))),
        row("tamper with photo", OnSite, read_with_codes(&[], Some("tamper_suspected"), 1), Accepted(&["tamper"])),
        // Rules 6 and 7: skips.
        row("skip, no access", OnSite, skip("no_access", None, 0), Accepted(&["skipped_read"])),
        row("skip, unknown code", OnSite, skip("raining", None, 0), Refused("cycle_read.skip_code", "code", None)),
        row("skip, locked gate without photo", OnSite, skip("locked_gate", None, 0), Refused("cycle_read.skip_photo", "photos", Some(Need::Photo))),
        row("skip, locked gate with photo", OnSite, skip("locked_gate", None, 1), Accepted(&["skipped_read"])),
        row("skip, meter not found without note", OnSite, skip("meter_not_found", None, 0), Refused("cycle_read.skip_note", "note", Some(Need::Note))),
        row("skip, unsafe needs photo first", OnSite, skip("unsafe", None, 0), Refused("cycle_read.skip_photo", "photos", Some(Need::Photo))),
        row("skip, unsafe with photo needs note", OnSite, skip("unsafe", None, 1), Refused("cycle_read.skip_note", "note", Some(Need::Note))),
        // Plausibility: flags, never refusals.
        row("reading far from the premise", OnSite, normal_read(), Accepted(&["off_site_capture"])).gps(Some(FAR)),
        row("reading near the premise", OnSite, normal_read(), Accepted(&[])).gps(Some(NEAR)),
        row("reading without GPS", OnSite, normal_read(), Accepted(&[])).gps(None),
        row("en route far away is fine", Received, FieldAction::EnRoute, Accepted(&[])).gps(Some(FAR)),
        row("device clock before the order existed", OnSite, FieldAction::Arrive, Accepted(&["implausible_device_time"])).at(-Timestamp::DAY_MS),
        row("device clock a little behind", OnSite, FieldAction::Arrive, Accepted(&[])).at(-60_000),
        row("both flags on a skip", OnSite, skip("dog", None, 0), Accepted(&["implausible_device_time", "off_site_capture", "skipped_read"])).gps(Some(FAR)).at(-Timestamp::DAY_MS),
    ]
}

#[test]
fn action_rules_table() {
    let mut failures = Vec::new();
    for row in rows() {
        let order = record(
            office(row.registers.clone(), AccountStatus::Active),
            row.history,
        );
        let mut reference = ReferenceData::default();
        (row.tweak)(&mut reference);
        let mut ctx = context(row.user, row.at_ms);
        ctx.gps = row.gps.map(|point| GpsFix {
            point,
            accuracy_m: 10.0,
        });
        let got = rules::check(
            &order,
            &derived(row.status, Some(500)),
            &row.action,
            &ctx,
            &reference,
        );
        let problem = match (&row.expect, &got) {
            (Accepted(flags), Ok(assessment)) => {
                let actual = flag_codes(assessment);
                (actual != *flags).then(|| format!("expected flags {flags:?}, got {actual:?}"))
            }
            (Refused(rule, field, needs), Err(refusal)) => {
                let actual = (refusal.rule.as_str(), refusal.field.as_str(), refusal.needs);
                (actual != (*rule, *field, *needs))
                    .then(|| format!("expected {:?}, got {refusal:?}", (rule, field, needs)))
            }
            (_, got) => Some(format!("unexpected {got:?}")),
        };
        if let Some(problem) = problem {
            failures.push(format!("{}: {problem}", row.name));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn unassigned_order_takes_no_field_work() {
    let order = record(
        office(vec![usual_register()], AccountStatus::Active),
        vec![],
    );
    let mut unassigned = derived(Status::Unassigned, None);
    unassigned.assignee = None;
    let refusal = rules::check(
        &order,
        &unassigned,
        &FieldAction::Received,
        &context(READER, 10),
        &ReferenceData::default(),
    )
    .expect_err("nobody holds the order");
    assert_eq!(refusal.rule, "common.not_assignee");
}

#[test]
fn other_order_types_get_the_common_rules_but_not_the_cycle_read_ones() {
    let mut turn_on = office(vec![usual_register()], AccountStatus::Active);
    turn_on.order_type = OrderType::TurnOn;
    let order = record(turn_on, vec![]);
    let reference = ReferenceData::default();
    // No cycle-read "reading or skip" on a turn-on: its own completion rule asks instead ...
    let bare = check_on(&order, Status::InProgress, &complete(), &reference);
    assert!(bare.is_err_and(|r| r.rule == "turn_on.completion"));
    // ... but the common rules still hold, and cycle-read-only codes are unknown there.
    let before_start = check_on(&order, Status::OnSite, &complete(), &reference);
    assert!(before_start.is_err_and(|r| r.rule == "common.started_before_complete"));
    let read_code = check_on(
        &order,
        Status::InProgress,
        &complete_with("read"),
        &reference,
    );
    assert!(read_code.is_err_and(|r| r.rule == "common.completion_code"));
}
