//! Field-found orders (a leak, a damaged box, a meter not in the records) are created on the
//! device, offline: a new work order document whose office data says who found what and where,
//! with the problem recorded as its first field entry. It travels like any other document; the
//! server gives it an office number when it syncs.

use crate::action::{ActionContext, FieldAction, PhotoRef};
use crate::capture::{Capture, ProblemSeverity};
use crate::document::{ActionError, WorkOrderDoc, automerge::ActorId};
use crate::model::{OfficeData, OrderDetails, OrderType, PremiseSnapshot, Priority, Source};
use crate::record::FieldEntry;
use crate::reference::ReferenceData;

/// What the crew reports when it creates a field-found order.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldReport {
    /// Problem code from the reference data's `problem_codes`.
    pub code: String,
    /// How serious.
    pub severity: ProblemSeverity,
    /// Street address or a description of the place, as the crew knows it.
    pub address: String,
    /// Photos of the problem (at least one).
    pub photos: Vec<PhotoRef>,
    /// A note (some problem codes require one).
    pub note: Option<String>,
}

/// The priority a field-found order gets from its severity.
pub fn priority_for(severity: ProblemSeverity) -> Priority {
    match severity {
        ProblemSeverity::Low => Priority::Low,
        ProblemSeverity::Medium => Priority::Normal,
        ProblemSeverity::High => Priority::Urgent,
        ProblemSeverity::Critical => Priority::Emergency,
    }
}

/// Creates the document of a new field-found order `order_id` (a UUID the device makes up),
/// written by `actor`, and records the problem as its first entry, checked by the rules
/// (known code, photo, GPS fix). The finder (`context.user`) works the order until the office
/// assigns it. Nothing is returned when the rules refuse the report.
pub fn new_field_found_order(
    order_id: &str,
    report: FieldReport,
    context: ActionContext,
    reference: &ReferenceData,
    actor: ActorId,
) -> Result<(WorkOrderDoc, FieldEntry), ActionError> {
    let office = OfficeData {
        order_type: OrderType::FieldFound,
        reason: Some(report.code.clone()),
        priority: priority_for(report.severity),
        source: Source::FieldFound,
        created_by: context.user.clone(),
        created_at: context.device_time,
        due_at: None,
        appointment_start: None,
        appointment_end: None,
        route: None,
        sequence: None,
        premise: Some(PremiseSnapshot {
            id: format!("field-found:{order_id}"),
            address: report.address,
            location: context.gps.map(|fix| fix.point),
            access_notes: None,
            hazards: Vec::new(),
        }),
        account: None,
        meter: None,
        instructions: None,
        details: OrderDetails::default(),
    };
    let mut doc = WorkOrderDoc::create(order_id, &office, actor, context.device_time)
        .map_err(ActionError::from)?;
    let entry = doc.record_field_action(
        FieldAction::Capture {
            capture: Capture::Problem {
                code: report.code,
                severity: report.severity,
            },
            photos: report.photos,
            note: report.note,
        },
        context,
        reference,
    )?;
    Ok((doc, entry))
}
