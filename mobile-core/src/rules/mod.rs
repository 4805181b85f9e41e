//! PLACEHOLDER written by the lead so the workspace compiles; the rules engineer replaces this
//! whole file with the real rule engine.

use crate::action::{ActionContext, FieldAction};
use crate::outcome::{Assessment, Refusal};
use crate::record::OrderRecord;
use crate::reference::ReferenceData;
use crate::status::Derived;

/// Version of the rule engine.
pub const RULES_VERSION: u32 = 1;

/// Checks a field action (placeholder: accepts everything).
pub fn check(
    _record: &OrderRecord,
    _derived: &Derived,
    _action: &FieldAction,
    _context: &ActionContext,
    _reference: &ReferenceData,
) -> Result<Assessment, Refusal> {
    Ok(Assessment::default())
}
