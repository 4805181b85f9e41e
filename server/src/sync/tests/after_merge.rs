//! Honest work that passes every rule as its device saw the order but fails one once merged with
//! what the device had not seen (the office's cancel or reassignment, a payment that cancelled a
//! disconnect, the same crew's other handheld working the order at the same time): the server
//! merges it and the order carries an exception for the office, never a quarantine.

use super::rule_orders::*;
use super::*;
use crate::orders::payments::{PaymentRequest, post_payment};
use crate::store::PageRequest;
use fieldline_core::{Capture, OfficeAction, PhotoKind};

/// What the office does while both handhelds are offline holding the order.
enum Office {
    Nothing,
    Act(OfficeAction),
    /// A payment on the order's account (which cancels an open disconnect).
    Payment,
}

/// One case: two handhelds of the assignee take the order, the office acts, each records its
/// steps offline and syncs; the order must show `code` (for `rule_after_merge`, naming `rule`).
struct Case {
    rule: &'static str,
    order_type: OrderType,
    office: Office,
    phone: Vec<FieldAction>,
    tablet: Vec<FieldAction>,
    code: &'static str,
}

fn verified() -> FieldAction {
    cap(Capture::MeterVerified {
        serial: SERIAL.into(),
    })
}

/// Every step of a cut, completed as `locked`.
fn full_cut() -> Vec<FieldAction> {
    vec![
        verified(),
        reading("1050", 1),
        cut(),
        cap_photos(
            Capture::SealInstalled {
                number: "FL004521".into(),
            },
            photo_list(PhotoKind::Lock, 1),
        ),
        cap(Capture::Customer {
            present: false,
            notified: false,
            door_hanger: true,
        }),
        complete(Some("locked"), vec![]),
    ]
}

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    use OrderType::*;
    vec![
        // Both handhelds start the same order.
        Case { rule: "common.sequence", order_type: TurnOn, office: Office::Nothing,
            phone: vec![FieldAction::Start], tablet: vec![FieldAction::Start], code: RULE_AFTER_MERGE },
        // Both put on the same seal number (the tablet after verifying the meter, so its seal
        // comes later in the replicas' common order).
        Case { rule: "seal.unique", order_type: TurnOff, office: Office::Nothing,
            phone: vec![seal_on("FL004521")], tablet: vec![verified(), seal_on("FL004521")], code: RULE_AFTER_MERGE },
        // One records the resident's medical claim while the other cuts.
        Case { rule: "disconnect.medical_claim", order_type: Disconnect, office: Office::Nothing,
            phone: vec![cap(Capture::MedicalClaim { claimant: Some("resident".into()) })],
            tablet: vec![verified(), cut()], code: RULE_AFTER_MERGE },
        // The office gives the order to another reader while the crew reads it.
        Case { rule: "common.not_assignee", order_type: CycleRead,
            office: Office::Act(OfficeAction::Assign { assignee: "reader2".into(), reason: None }),
            phone: vec![reading("1050", 0)], tablet: vec![], code: fieldline_core::status::WORKED_AFTER_REASSIGN },
        // The customer pays (the office cancels the disconnect) while the crew cuts and
        // completes.
        Case { rule: "common.order_closed", order_type: Disconnect, office: Office::Payment,
            phone: full_cut(), tablet: vec![], code: fieldline_core::status::COMPLETED_AFTER_CANCEL },
        // The customer pays while the crew cuts, without completing yet.
        Case { rule: "common.order_closed", order_type: Disconnect, office: Office::Payment,
            phone: vec![verified(), cut()], tablet: vec![], code: RULE_AFTER_MERGE },
        // The office cancels a route read while the reader reads it.
        Case { rule: "common.order_closed", order_type: CycleRead,
            office: Office::Act(OfficeAction::Cancel { reason: "duplicate".into() }),
            phone: vec![reading("1050", 0)], tablet: vec![], code: RULE_AFTER_MERGE },
    ]
}

const RULE_AFTER_MERGE: &str = fieldline_core::document::trust::RULE_AFTER_MERGE;

/// Runs one case; returns what disagreed, if anything.
async fn run_case(f: &Fixture, at: &Site, case: &Case) -> Option<String> {
    let reference = ReferenceData::default();
    let order = create(f, &office(at, case.order_type)).await;
    let mut phone = f.handheld(0).await;
    let mut tablet = f.handheld(0).await;
    let mut docs = [
        stored_doc(f, order, &phone.actor).await,
        stored_doc(f, order, &tablet.actor).await,
    ];
    let received = docs[0].heads();
    match &case.office {
        Office::Nothing => {}
        Office::Act(action) => {
            apply_office_action(
                f.store.as_ref(),
                f.utility,
                &f.dispatcher,
                order,
                action.clone(),
                Utc::now(),
            )
            .await
            .expect("the office acts");
        }
        Office::Payment => {
            let account = office(at, case.order_type)
                .account
                .expect("an account")
                .id
                .parse()
                .expect("an account id");
            let request = PaymentRequest {
                amount_cents: 20_000,
                reference: None,
            };
            let posted = post_payment(
                f.store.as_ref(),
                f.utility,
                &f.dispatcher,
                account,
                request,
                &reference,
                Utc::now(),
            )
            .await
            .expect("the payment is posted");
            assert!(
                posted.cancelled.contains(&order),
                "the payment cancels the cut"
            );
        }
    }
    record_all(&mut docs[0], &case.phone, &reference);
    record_all(&mut docs[1], &case.tablet, &reference);

    let mut problems = Vec::new();
    for (h, doc) in [(&mut phone, &docs[0]), (&mut tablet, &docs[1])] {
        let changes = doc.changes_since(&received);
        if changes.is_empty() {
            continue;
        }
        let answer = f.sync(h, upload(order, changes)).await;
        if !answer.rejected.is_empty() {
            problems.push(format!("refused: {:?}", answer.rejected));
        }
    }
    let stored = detail(f.store.as_ref(), f.utility, order)
        .await
        .expect("detail");
    let steps = case.phone.len() + case.tablet.len();
    if stored.field.len() != steps {
        problems.push(format!("{} of {steps} steps merged", stored.field.len()));
    }
    let exceptions = &stored.summary.projection.exceptions;
    let raised = exceptions.iter().any(|e| {
        e.code == case.code
            && (case.code != RULE_AFTER_MERGE
                || e.detail
                    .as_deref()
                    .is_some_and(|d| d.starts_with(&format!("{}:", case.rule))))
    });
    if !raised {
        problems.push(format!("no {} exception: {exceptions:?}", case.code));
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

#[tokio::test]
async fn work_failing_a_rule_only_after_merging_is_merged_with_an_exception() {
    let f = fixture().await;
    let at = site(&f).await;
    let mut failures = Vec::new();
    for case in cases() {
        if let Some(problem) = run_case(&f, &at, &case).await {
            failures.push(format!("{} ({:?}): {problem}", case.rule, case.order_type));
        }
    }
    let quarantined = f
        .store
        .list_quarantine(
            f.utility,
            PageRequest {
                limit: 10,
                offset: 0,
            },
        )
        .await
        .expect("quarantine");
    assert_eq!(quarantined.total, 0, "{:?}", quarantined.items);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    f.guard.cleanup().await;
}
