//! The stored assessment of a field entry is not taken on faith: a handheld that writes an entry
//! the rules accept, but with another assessment than they compute (a flag left out, a billed
//! quantity inflated, a follow-up invented), has the change quarantined as
//! `assessment_mismatch`, and nothing it claimed reaches the order's exceptions or creates an
//! order. The honest entry, written the same way, merges. Every flag-only rule of the forged-change
//! table's `NEVER_REFUSE` list has a row here. An entry claiming an older rules version is
//! accepted, but the server projects it and creates its follow-ups from its own assessment.

use super::forged::NEVER_REFUSE;
use super::rule_orders::*;
use super::*;
use crate::store::PageRequest;
use fieldline_core::capture::{Findings, LeakSide, MeterCondition, Recommendation};
use fieldline_core::document::assessment_check::ASSESSMENT_MISMATCH;
use fieldline_core::outcome::{Assessment, FollowUpKind, FollowUpProposal};
use fieldline_core::rules::{self, RULES_VERSION};
use fieldline_core::{AccountStatus, Capture, GeoPoint, GpsFix, OfficeData};
use std::collections::BTreeSet;

/// One entry the rules accept and assess, and a forgery of its assessment.
struct Row {
    /// The rule whose output is left out or changed.
    rule: &'static str,
    order_type: OrderType,
    office: fn(&mut OfficeData),
    /// Honest steps before it.
    before: Vec<FieldAction>,
    action: FieldAction,
    context: ActionContext,
    /// Turns the honest assessment into the forged one.
    forge: fn(&mut Assessment),
}

fn row(rule: &'static str, order_type: OrderType, action: FieldAction) -> Row {
    Row {
        rule,
        order_type,
        office: |_| {},
        before: vec![],
        action,
        context: ctx(60_000),
        forge: |_| {},
    }
}

impl Row {
    fn office(mut self, tweak: fn(&mut OfficeData)) -> Self {
        self.office = tweak;
        self
    }
    fn after(mut self, before: Vec<FieldAction>) -> Self {
        self.before = before;
        self
    }
    fn context(mut self, context: ActionContext) -> Self {
        self.context = context;
        self
    }
    /// The forgery drops every flag with `code` (and the follow-up it proposes, if any).
    fn drops(mut self, forge: fn(&mut Assessment)) -> Self {
        self.forge = forge;
        self
    }
}

fn drop_flag(a: &mut Assessment, code: &str) {
    a.flags.retain(|f| f.code != code);
    a.follow_ups.retain(|p| p.reason != code);
}

fn inactive(o: &mut OfficeData) {
    o.account.as_mut().expect("an account").status = AccountStatus::Inactive;
}

/// 50 km north of the premise.
fn far_away() -> ActionContext {
    let mut context = ctx(60_000);
    context.gps = Some(GpsFix {
        point: GeoPoint {
            lat: PREMISE.lat + 0.45,
            lon: PREMISE.lon,
        },
        accuracy_m: 5.0,
    });
    context
}

fn findings(leak: LeakSide, recommendation: Recommendation) -> FieldAction {
    cap(Capture::Investigation(Findings {
        leak_indicator_moving: true,
        house_valve: None,
        dye_test_leak: None,
        irrigation: false,
        visible_leak: leak,
        meter_condition: MeterCondition::Good,
        advice: None,
        recommendation,
    }))
}

/// One row per flag-only rule (and the forgeries the task names).
#[rustfmt::skip]
fn rows() -> Vec<Row> {
    use OrderType::*;
    vec![
        row("common.device_time", CycleRead, reading("1050", 0))
            .context(ctx(-HOUR))
            .drops(|a| drop_flag(a, "implausible_device_time")),
        row("common.off_site", CycleRead, reading("1050", 0))
            .context(far_away())
            .drops(|a| drop_flag(a, "off_site_capture")),
        row("cycle_read.unauthorized_use", CycleRead, reading("1050", 0))
            .office(inactive)
            .drops(|a| drop_flag(a, "unauthorized_use")),
        // A high read confirmed by a blind re-key, with its photo: flagged `high_read`.
        row("cycle_read.outcome", CycleRead, read_full("1150", Some("1150"), 1))
            .drops(|a| drop_flag(a, "high_read")),
        row("high_bill.findings", HighBillInvestigation, findings(LeakSide::Utility, Recommendation::MeterTest))
            .after(vec![FieldAction::Start])
            .drops(|a| {
                a.flags.retain(|f| f.code != "leak");
                a.follow_ups.clear();
            }),
        row("service.usage_while_off", TurnOn, reading("1050", 0))
            .after(vec![FieldAction::Start])
            .drops(|a| drop_flag(a, "usage_while_off")),
    ]
}

/// Forgeries of other parts of the assessment.
#[rustfmt::skip]
fn other_rows() -> Vec<Row> {
    use OrderType::*;
    vec![
        row("cycle_read.outcome", CycleRead, reading("1050", 0)).drops(|a| {
            let outcome = &mut a.readings[0];
            outcome.billed = outcome.billed.map(|b| b * 10.0);
        }),
        row("high_bill.findings", HighBillInvestigation, findings(LeakSide::None, Recommendation::None))
            .after(vec![FieldAction::Start])
            .drops(|a| {
                a.follow_ups.push(FollowUpProposal::new(FollowUpKind::UtilityRepair, "utility_side_leak"));
            }),
        row("high_bill.low_flow", HighBillInvestigation, flow(1050, 1060))
            .after(vec![FieldAction::Start])
            .drops(|a| {
                if let Some(flow) = a.flow.as_mut() {
                    flow.per_minute_milli = 0;
                }
                a.flags.clear();
            }),
    ]
}

fn flow(v0: u32, v1: u32) -> FieldAction {
    let t0 = Timestamp(CREATED.0 + 1_000);
    cap(Capture::LowFlowTest {
        register: 1,
        start: fieldline_core::FlowSample {
            value: v0.to_string(),
            at: t0,
        },
        end: fieldline_core::FlowSample {
            value: v1.to_string(),
            at: Timestamp(t0.0 + 10 * 60_000),
        },
    })
}

/// The order of `row` with its honest steps recorded and uploaded; the device's copy and what
/// the rules assess the row's action as there.
async fn prepare(
    f: &Fixture,
    h: &mut Handheld,
    at: &Site,
    reference: &ReferenceData,
    row: &Row,
) -> (Uuid, WorkOrderDoc, Assessment) {
    let mut data = office(at, row.order_type);
    (row.office)(&mut data);
    let order = create(f, &data).await;
    let mut doc = stored_doc(f, order, &h.actor).await;
    let received = doc.heads();
    record_all(&mut doc, &row.before, reference);
    let answer = f.sync(h, upload(order, doc.changes_since(&received))).await;
    assert!(
        answer.rejected.is_empty(),
        "{}: {:?}",
        row.rule,
        answer.rejected
    );
    let record = doc.record().expect("record");
    let derived = fieldline_core::derive(&record);
    let honest = rules::check(&record, &derived, &row.action, &row.context, reference)
        .unwrap_or_else(|refusal| panic!("{}: the rules refuse the action: {refusal}", row.rule));
    (order, doc, honest)
}

/// Runs one row; returns what disagreed, if anything.
async fn run_row(
    f: &Fixture,
    h: &mut Handheld,
    at: &Site,
    reference: &ReferenceData,
    row: &Row,
) -> Option<String> {
    let (order, doc, honest) = prepare(f, h, at, reference, row).await;
    let mut forged = honest.clone();
    (row.forge)(&mut forged);
    if forged == honest {
        return Some(format!("the forgery changes nothing in {honest:?}"));
    }
    let mut problems = Vec::new();
    let version = reference.version;
    let (hash, bytes) = forge_assessed(
        &doc,
        &h.actor,
        &row.action,
        &row.context,
        version,
        RULES_VERSION,
        &forged,
    );
    let answer = f.sync(h, upload(order, vec![bytes])).await;
    match answer.rejected.as_slice() {
        [r] if r.code == ASSESSMENT_MISMATCH && r.hashes == [hash.0] => {}
        other => problems.push(format!("the forgery was answered {other:?}")),
    }
    if answer.resets.len() != 1 {
        problems.push("the device is not told to reset".into());
    }
    let page = f
        .store
        .list_quarantine(
            f.utility,
            PageRequest {
                limit: 50,
                offset: 0,
            },
        )
        .await
        .expect("quarantine");
    match page
        .items
        .iter()
        .find(|q| q.change_hash == hash.to_string())
    {
        Some(q) if q.code == ASSESSMENT_MISMATCH && q.field.is_some() => {}
        other => problems.push(format!("quarantined as {other:?}")),
    }
    let stored = detail(f.store.as_ref(), f.utility, order)
        .await
        .expect("detail");
    if stored.field.len() != row.before.len() {
        problems.push("the forged entry was stored".into());
    }
    let follow_ups = f
        .store
        .follow_ups_of(f.utility, order)
        .await
        .expect("follow-ups");
    if !follow_ups.is_empty() {
        problems.push(format!("the forgery created orders: {follow_ups:?}"));
    }

    // The same entry with its honest assessment, written the same way, merges.
    let (_, bytes) = forge_assessed(
        &doc,
        &h.actor,
        &row.action,
        &row.context,
        version,
        RULES_VERSION,
        &honest,
    );
    let answer = f.sync(h, upload(order, vec![bytes])).await;
    if !answer.rejected.is_empty() {
        problems.push(format!(
            "the honest entry was refused: {:?}",
            answer.rejected
        ));
    }
    let stored = detail(f.store.as_ref(), f.utility, order)
        .await
        .expect("detail");
    if stored.field.len() != row.before.len() + 1 {
        problems.push("the honest entry was not stored".into());
    }
    let raised: BTreeSet<&str> = stored
        .derived
        .exceptions
        .iter()
        .map(|e| e.code.as_str())
        .collect();
    for flag in &honest.flags {
        if !raised.contains(flag.code.as_str()) {
            problems.push(format!("the honest flag {} is not an exception", flag.code));
        }
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

async fn run(rows: Vec<Row>) {
    let f = fixture().await;
    let reference = publish_reference(&f).await;
    let at = site(&f).await;
    let mut h = f.handheld(0).await;
    f.sync(&mut h, vec![]).await;
    let mut failures = Vec::new();
    for row in &rows {
        if let Some(problem) = run_row(&f, &mut h, &at, &reference, row).await {
            failures.push(format!("{}: {problem}", row.rule));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    f.guard.cleanup().await;
}

#[tokio::test]
async fn leaving_out_what_a_flag_only_rule_adds_is_quarantined() {
    let rows = rows();
    let covered: BTreeSet<&str> = rows.iter().map(|r| r.rule).collect();
    let listed: BTreeSet<&str> = NEVER_REFUSE.into_iter().collect();
    assert_eq!(
        covered, listed,
        "one row per rule the forged-change table excludes"
    );
    run(rows).await;
}

#[tokio::test]
async fn an_inflated_billed_quantity_an_invented_follow_up_or_a_changed_flow_is_quarantined() {
    run(other_rows()).await;
}

#[tokio::test]
async fn an_older_rules_version_is_accepted_but_projected_from_the_servers_assessment() {
    let f = fixture().await;
    let reference = publish_reference(&f).await;
    let at = site(&f).await;
    let mut h = f.handheld(0).await;
    f.sync(&mut h, vec![]).await;
    // Use on an inactive account, claimed under an older rules version with the flag and its
    // inspection left out and a repair invented instead.
    let row = row(
        "cycle_read.unauthorized_use",
        OrderType::CycleRead,
        reading("1050", 0),
    )
    .office(inactive);
    let (order, doc, honest) = prepare(&f, &mut h, &at, &reference, &row).await;
    assert!(honest.flags.iter().any(|f| f.code == "unauthorized_use"));
    let mut forged = honest.clone();
    drop_flag(&mut forged, "unauthorized_use");
    forged.follow_ups = vec![FollowUpProposal::new(
        FollowUpKind::UtilityRepair,
        "utility_side_leak",
    )];
    let (_, bytes) = forge_assessed(
        &doc,
        &h.actor,
        &row.action,
        &row.context,
        reference.version,
        RULES_VERSION - 1,
        &forged,
    );
    let answer = f.sync(&mut h, upload(order, vec![bytes])).await;
    assert!(
        answer.rejected.is_empty(),
        "an older app's work is accepted: {:?}",
        answer.rejected
    );

    let projected = |summary: &crate::store::OrderSummary| -> BTreeSet<String> {
        summary
            .projection
            .exceptions
            .iter()
            .map(|e| e.code.clone())
            .collect()
    };
    let stored = f.store.get_order(f.utility, order).await.expect("stored");
    assert!(
        projected(&stored.summary).contains("unauthorized_use"),
        "the server projects its own flags: {:?}",
        stored.summary.projection.exceptions
    );
    let follow_ups = f
        .store
        .follow_ups_of(f.utility, order)
        .await
        .expect("follow-ups");
    let kinds: Vec<FollowUpKind> = follow_ups.iter().map(|l| l.kind).collect();
    assert_eq!(kinds, [FollowUpKind::Inspection], "{follow_ups:?}");

    // An office action projects the order again: still from the server's assessment.
    apply_office_action(
        f.store.as_ref(),
        f.utility,
        &f.dispatcher,
        order,
        OfficeAction::Note {
            text: "seen".into(),
            review: None,
        },
        Utc::now(),
    )
    .await
    .expect("the office acts");
    let stored = f.store.get_order(f.utility, order).await.expect("stored");
    assert!(projected(&stored.summary).contains("unauthorized_use"));
    f.guard.cleanup().await;
}
