//! `fieldline-core`: the one Rust core that runs on handhelds and inside the server, so every
//! rule is written once. The default build has no I/O: model, documents, rules, status.

pub mod action;
pub mod capture;
#[cfg(feature = "client")]
pub mod client;
pub mod document;
pub mod field_found;
pub mod model;
pub mod outcome;
pub mod record;
pub mod reference;
pub mod rules;
pub mod status;
pub mod sync;
pub mod timeline;

pub use action::{
    ActionContext, FieldAction, OfficeAction, PhotoKind, PhotoRef, ReadingInput, Review,
    ReviewDecision,
};
pub use capture::*;
pub use document::{DocumentError, WorkOrderDoc};
pub use model::*;
pub use outcome::{
    Assessment, Flag, FlowRate, FollowUpKind, FollowUpProposal, Need, ReadingOutcome, Refusal,
    Validation,
};
pub use record::{Causality, FieldEntry, OfficeEntry, OrderRecord, Origin};
pub use status::{Derived, FollowUp, OrderException, Status, derive};
