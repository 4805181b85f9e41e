//! Follow-up proposals of cycle reads: use on a locked or inactive account proposes one
//! inspection.

use crate::fixtures::*;
use crate::table::*;
use fieldline_core::*;

#[test]
fn use_on_a_locked_account_proposes_one_inspection() {
    let order = record(
        office(vec![usual_register()], AccountStatus::Locked),
        vec![],
    );
    let reference = reference::ReferenceData::default();
    let used = check_on(&order, Status::OnSite, &read("1050", 0), &reference).expect("accepted");
    assert_eq!(
        used.follow_ups,
        vec![FollowUpProposal::new(
            FollowUpKind::Inspection,
            "unauthorized_use"
        )]
    );
    let active = record(
        office(vec![usual_register()], AccountStatus::Active),
        vec![],
    );
    let normal = check_on(&active, Status::OnSite, &read("1050", 0), &reference).expect("accepted");
    assert!(normal.follow_ups.is_empty());
}
