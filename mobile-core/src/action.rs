//! What a crew or the office does to an order, as intents. A field action is checked by the rule
//! engine, then written into the document as an entry that carries the action itself, so the
//! server can judge the same action again against the document as the device saw it.

use crate::capture::Capture;
use crate::model::{GpsFix, ReadMethod, Timestamp};
use serde::{Deserialize, Serialize};

/// One register's reading as the crew keyed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingInput {
    /// 1-based register number.
    pub register: u32,
    /// The value exactly as keyed (`"04821.3"`): digits are checked against the dials.
    pub value: String,
    /// The blind re-key, when the rules asked for one. It must equal `value`.
    pub confirmation: Option<String>,
    /// How the value was obtained.
    pub method: ReadMethod,
}

/// Kinds of photo a crew attaches (DOMAIN.md "typed photos").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoKind {
    /// The register face.
    Register,
    /// A lock or seal.
    Lock,
    /// The meter box.
    Box,
    /// A leak.
    Leak,
    /// The premise.
    Premise,
    /// A posted notice.
    Notice,
    /// Anything else.
    Other,
    /// The meter (serial, setting), e.g. old and new meter of an exchange.
    Meter,
    /// Evidence for an inspection finding.
    Evidence,
}

/// A reference to a photo by the SHA-256 of its bytes (the photo itself travels separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoRef {
    /// Lowercase hex SHA-256 of the photo bytes.
    pub sha256: String,
    /// What the photo shows.
    pub kind: PhotoKind,
}

/// What a field user does. Each variant becomes one entry in the `field` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum FieldAction {
    /// The device received the order.
    Received,
    /// Driving or walking to the premise.
    EnRoute,
    /// At the premise.
    Arrive,
    /// Work started.
    Start,
    /// Work paused, with a reason.
    Pause {
        /// Why (`lunch`, `waiting_for_customer`).
        reason: String,
    },
    /// Work resumed after a pause.
    Resume,
    /// Readings of one or more registers, with what the rules asked for.
    Reading {
        /// One input per register read in this action.
        readings: Vec<ReadingInput>,
        /// Reader codes (up to three).
        reader_codes: Vec<String>,
        /// A trouble code.
        trouble_code: Option<String>,
        /// A note that goes with the reading (required for a negative consumption).
        note: Option<String>,
        /// Photos taken with the reading.
        photos: Vec<PhotoRef>,
    },
    /// No reading: a skip code instead.
    Skip {
        /// Skip code (`no_access`, `dog`...).
        code: String,
        /// Optional explanation.
        note: Option<String>,
        /// Photos (some skip codes require one).
        photos: Vec<PhotoRef>,
    },
    /// A note for the office.
    Note {
        /// Optional coded note.
        code: Option<String>,
        /// Free text.
        text: String,
    },
    /// A photo on its own.
    Photo {
        /// The photo.
        photo: PhotoRef,
    },
    /// The work is done.
    Complete {
        /// Completion code.
        code: Option<String>,
        /// Photos required by some outcomes.
        photos: Vec<PhotoRef>,
    },
    /// One step of a service order's work, typed by what it captures (seal, valve, leak
    /// check, exchange, checklist...).
    Capture {
        /// What was captured.
        capture: Capture,
        /// Photos taken with it (some steps require one).
        #[serde(default)]
        photos: Vec<PhotoRef>,
        /// A note that goes with it.
        #[serde(default)]
        note: Option<String>,
    },
    /// The work could not be done.
    NotDone {
        /// Why (`no_access`, `customer_refused`...).
        reason: String,
        /// Optional note.
        note: Option<String>,
    },
}

impl FieldAction {
    /// The stable name of the action, as written into the document.
    pub fn name(&self) -> &'static str {
        match self {
            FieldAction::Received => "received",
            FieldAction::EnRoute => "en_route",
            FieldAction::Arrive => "arrive",
            FieldAction::Start => "start",
            FieldAction::Pause { .. } => "pause",
            FieldAction::Resume => "resume",
            FieldAction::Reading { .. } => "reading",
            FieldAction::Skip { .. } => "skip",
            FieldAction::Note { .. } => "note",
            FieldAction::Photo { .. } => "photo",
            FieldAction::Complete { .. } => "complete",
            FieldAction::Capture { .. } => "capture",
            FieldAction::NotDone { .. } => "not_done",
        }
    }

    /// The captured step, for `Capture` actions.
    pub fn capture(&self) -> Option<&Capture> {
        match self {
            FieldAction::Capture { capture, .. } => Some(capture),
            _ => None,
        }
    }

    /// Every photo the action carries.
    pub fn photos(&self) -> Vec<&PhotoRef> {
        match self {
            FieldAction::Reading { photos, .. }
            | FieldAction::Skip { photos, .. }
            | FieldAction::Complete { photos, .. }
            | FieldAction::Capture { photos, .. } => photos.iter().collect(),
            FieldAction::Photo { photo } => vec![photo],
            _ => Vec::new(),
        }
    }
}

/// Who, when and where an action was taken, as the device claims it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionContext {
    /// The acting user's username.
    pub user: String,
    /// The device's clock when the action was taken.
    pub device_time: Timestamp,
    /// The device's GPS fix, if it had one.
    pub gps: Option<GpsFix>,
}

/// What the office does to an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OfficeAction {
    /// Assign (or reassign) to a field user.
    Assign {
        /// Username of the field user.
        assignee: String,
        /// Why (shown in the history).
        reason: Option<String>,
    },
    /// Take the order back from its assignee.
    Unassign {
        /// Why.
        reason: Option<String>,
    },
    /// Cancel the order.
    Cancel {
        /// Why (required).
        reason: String,
    },
    /// A note to the crew; with `review`, also the office's decision on a flag a field entry
    /// raised (a meter-record correction accepted or dismissed). The decision rides on a note,
    /// not on an action of its own, because the schema only grows by optional fields: an app
    /// already in the field reads it as the note it also is, where an unknown action would make
    /// the whole office log unreadable to it.
    Note {
        /// Free text.
        text: String,
        /// The flag this note decides, if it is a review decision.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        review: Option<Review>,
    },
    /// The office reviewed the finished order.
    Close {
        /// Optional review note.
        note: Option<String>,
    },
}

/// The office's decision on the flags a field entry raised: the entry's exceptions of that code
/// are resolved once the decision is in the office log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// The field entry whose flags are decided.
    pub entry: String,
    /// The flag code decided (`meter_info_correction`).
    pub flag: String,
    /// What the office decided.
    pub decision: ReviewDecision,
}

/// What the office decided about a flagged proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// The proposal was applied (the meter record now says what the crew found).
    Accepted,
    /// The proposal was looked at and left unapplied.
    Dismissed,
}

impl ReviewDecision {
    /// The stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::Accepted => "accepted",
            ReviewDecision::Dismissed => "dismissed",
        }
    }
}

impl OfficeAction {
    /// The review decision this action records, if any.
    pub fn review(&self) -> Option<&Review> {
        match self {
            OfficeAction::Note { review, .. } => review.as_ref(),
            _ => None,
        }
    }

    /// The stable name of the action, as written into the document.
    pub fn name(&self) -> &'static str {
        match self {
            OfficeAction::Assign { .. } => "assign",
            OfficeAction::Unassign { .. } => "unassign",
            OfficeAction::Cancel { .. } => "cancel",
            OfficeAction::Note { .. } => "note",
            OfficeAction::Close { .. } => "close",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The office log as an app released before reviews reads it.
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "action", rename_all = "snake_case")]
    enum ReleasedOfficeAction {
        Note { text: String },
    }

    #[test]
    fn a_review_note_reads_as_a_plain_note_in_released_apps_and_old_notes_have_no_review() {
        let decided = OfficeAction::Note {
            text: "Meter-record correction (serial) accepted.".into(),
            review: Some(Review {
                entry: "3@ab".into(),
                flag: "meter_info_correction".into(),
                decision: ReviewDecision::Accepted,
            }),
        };
        let json = serde_json::to_value(&decided).expect("json");
        assert_eq!(json["review"]["decision"], "accepted");
        let released: ReleasedOfficeAction = serde_json::from_value(json).expect("released app");
        assert_eq!(
            released,
            ReleasedOfficeAction::Note {
                text: "Meter-record correction (serial) accepted.".into()
            }
        );

        let plain = OfficeAction::Note {
            text: "dog in yard".into(),
            review: None,
        };
        let json = serde_json::to_value(&plain).expect("json");
        assert!(
            json.get("review").is_none(),
            "a plain note writes no review: {json}"
        );
        let old: OfficeAction =
            serde_json::from_str(r#"{"action":"note","text":"dog in yard"}"#).expect("old note");
        assert_eq!(old, plain);
        assert_eq!(old.review(), None);
    }
}
