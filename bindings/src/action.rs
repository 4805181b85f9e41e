//! Field actions as the app passes them: one FFI enum mirroring the core's `FieldAction`, with
//! conversions both ways. Adding a core action is one variant here and one arm in each `From`
//! (the compiler points at both, as the matches are exhaustive).

use fieldline_core::action as core;
use fieldline_core::model::ReadMethod as CoreReadMethod;

use crate::capture::Capture;

/// How a reading was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReadMethod {
    /// Typed by the reader.
    Keyed,
    /// From a radio endpoint.
    Radio,
    /// From a touch probe.
    Probe,
    /// Keyed with a photo of the register.
    PhotoAssisted,
}

impl From<ReadMethod> for CoreReadMethod {
    fn from(m: ReadMethod) -> Self {
        match m {
            ReadMethod::Keyed => CoreReadMethod::Keyed,
            ReadMethod::Radio => CoreReadMethod::Radio,
            ReadMethod::Probe => CoreReadMethod::Probe,
            ReadMethod::PhotoAssisted => CoreReadMethod::PhotoAssisted,
        }
    }
}

impl From<CoreReadMethod> for ReadMethod {
    fn from(m: CoreReadMethod) -> Self {
        match m {
            CoreReadMethod::Keyed => ReadMethod::Keyed,
            CoreReadMethod::Radio => ReadMethod::Radio,
            CoreReadMethod::Probe => ReadMethod::Probe,
            CoreReadMethod::PhotoAssisted => ReadMethod::PhotoAssisted,
        }
    }
}

/// What a photo shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
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

impl From<PhotoKind> for core::PhotoKind {
    fn from(k: PhotoKind) -> Self {
        match k {
            PhotoKind::Register => core::PhotoKind::Register,
            PhotoKind::Lock => core::PhotoKind::Lock,
            PhotoKind::Box => core::PhotoKind::Box,
            PhotoKind::Leak => core::PhotoKind::Leak,
            PhotoKind::Premise => core::PhotoKind::Premise,
            PhotoKind::Notice => core::PhotoKind::Notice,
            PhotoKind::Other => core::PhotoKind::Other,
            PhotoKind::Meter => core::PhotoKind::Meter,
            PhotoKind::Evidence => core::PhotoKind::Evidence,
        }
    }
}

impl From<core::PhotoKind> for PhotoKind {
    fn from(k: core::PhotoKind) -> Self {
        match k {
            core::PhotoKind::Register => PhotoKind::Register,
            core::PhotoKind::Lock => PhotoKind::Lock,
            core::PhotoKind::Box => PhotoKind::Box,
            core::PhotoKind::Leak => PhotoKind::Leak,
            core::PhotoKind::Premise => PhotoKind::Premise,
            core::PhotoKind::Notice => PhotoKind::Notice,
            core::PhotoKind::Other => PhotoKind::Other,
            core::PhotoKind::Meter => PhotoKind::Meter,
            core::PhotoKind::Evidence => PhotoKind::Evidence,
        }
    }
}

/// A photo by the SHA-256 of its bytes (the bytes travel separately).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PhotoRef {
    /// Lowercase hex SHA-256 of the photo bytes.
    pub sha256: String,
    /// What it shows.
    pub kind: PhotoKind,
}

impl From<PhotoRef> for core::PhotoRef {
    fn from(p: PhotoRef) -> Self {
        core::PhotoRef {
            sha256: p.sha256,
            kind: p.kind.into(),
        }
    }
}

impl From<core::PhotoRef> for PhotoRef {
    fn from(p: core::PhotoRef) -> Self {
        PhotoRef {
            sha256: p.sha256,
            kind: p.kind.into(),
        }
    }
}

/// One register's reading as keyed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReadingInput {
    /// 1-based register number.
    pub register: u32,
    /// The value exactly as keyed (`"04821.3"`); its digits are checked against the dials.
    pub value: String,
    /// The blind re-key, when a refusal asked for one (`Need.BlindConfirmation`).
    #[uniffi(default = None)]
    pub confirmation: Option<String>,
    /// How the value was obtained.
    pub method: ReadMethod,
}

impl From<ReadingInput> for core::ReadingInput {
    fn from(r: ReadingInput) -> Self {
        core::ReadingInput {
            register: r.register,
            value: r.value,
            confirmation: r.confirmation,
            method: r.method.into(),
        }
    }
}

impl From<core::ReadingInput> for ReadingInput {
    fn from(r: core::ReadingInput) -> Self {
        ReadingInput {
            register: r.register,
            value: r.value,
            confirmation: r.confirmation,
            method: r.method.into(),
        }
    }
}

/// What a field user does to an order. Each becomes one append-only entry in the order's field
/// record, checked by the same rules the server runs.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum FieldAction {
    /// The device received the order.
    Received,
    /// On the way to the premise.
    EnRoute,
    /// At the premise.
    Arrive,
    /// Work started.
    Start,
    /// Work paused.
    Pause {
        /// Why (`lunch`, `waiting_for_customer`).
        reason: String,
    },
    /// Work resumed.
    Resume,
    /// Readings of one or more registers.
    Reading {
        /// One input per register read.
        readings: Vec<ReadingInput>,
        /// Reader codes (up to three).
        reader_codes: Vec<String>,
        /// A trouble code.
        trouble_code: Option<String>,
        /// A note with the reading (required for a negative consumption).
        note: Option<String>,
        /// Photos taken with the reading.
        photos: Vec<PhotoRef>,
    },
    /// No reading: a skip code instead.
    Skip {
        /// Skip code (`no_access`, `dog`).
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
    /// One step of service-order work (a valve, a seal, the customer...), typed; which steps an
    /// order's type has is in `FieldClient.requirements`.
    Capture {
        /// The step and what was captured.
        capture: Capture,
        /// Photos of the step (some steps and outcomes require one).
        photos: Vec<PhotoRef>,
        /// A note (some outcomes require one).
        note: Option<String>,
    },
    /// The work is done.
    Complete {
        /// Completion code.
        code: Option<String>,
        /// Photos some outcomes require.
        photos: Vec<PhotoRef>,
    },
    /// The work could not be done.
    NotDone {
        /// Why (`no_access`, `customer_refused`).
        reason: String,
        /// Optional note.
        note: Option<String>,
    },
}

fn photos_in(photos: Vec<PhotoRef>) -> Vec<core::PhotoRef> {
    photos.into_iter().map(Into::into).collect()
}

fn photos_out(photos: Vec<core::PhotoRef>) -> Vec<PhotoRef> {
    photos.into_iter().map(Into::into).collect()
}

impl From<FieldAction> for core::FieldAction {
    fn from(a: FieldAction) -> Self {
        use core::FieldAction as C;
        match a {
            FieldAction::Received => C::Received,
            FieldAction::EnRoute => C::EnRoute,
            FieldAction::Arrive => C::Arrive,
            FieldAction::Start => C::Start,
            FieldAction::Pause { reason } => C::Pause { reason },
            FieldAction::Resume => C::Resume,
            FieldAction::Reading {
                readings,
                reader_codes,
                trouble_code,
                note,
                photos,
            } => C::Reading {
                readings: readings.into_iter().map(Into::into).collect(),
                reader_codes,
                trouble_code,
                note,
                photos: photos_in(photos),
            },
            FieldAction::Skip { code, note, photos } => C::Skip {
                code,
                note,
                photos: photos_in(photos),
            },
            FieldAction::Note { code, text } => C::Note { code, text },
            FieldAction::Photo { photo } => C::Photo {
                photo: photo.into(),
            },
            FieldAction::Capture {
                capture,
                photos,
                note,
            } => C::Capture {
                capture: capture.into(),
                photos: photos_in(photos),
                note,
            },
            FieldAction::Complete { code, photos } => C::Complete {
                code,
                photos: photos_in(photos),
            },
            FieldAction::NotDone { reason, note } => C::NotDone { reason, note },
        }
    }
}

impl From<core::FieldAction> for FieldAction {
    fn from(a: core::FieldAction) -> Self {
        use core::FieldAction as C;
        match a {
            C::Received => FieldAction::Received,
            C::EnRoute => FieldAction::EnRoute,
            C::Arrive => FieldAction::Arrive,
            C::Start => FieldAction::Start,
            C::Pause { reason } => FieldAction::Pause { reason },
            C::Resume => FieldAction::Resume,
            C::Reading {
                readings,
                reader_codes,
                trouble_code,
                note,
                photos,
            } => FieldAction::Reading {
                readings: readings.into_iter().map(Into::into).collect(),
                reader_codes,
                trouble_code,
                note,
                photos: photos_out(photos),
            },
            C::Skip { code, note, photos } => FieldAction::Skip {
                code,
                note,
                photos: photos_out(photos),
            },
            C::Note { code, text } => FieldAction::Note { code, text },
            C::Photo { photo } => FieldAction::Photo {
                photo: photo.into(),
            },
            C::Capture {
                capture,
                photos,
                note,
            } => FieldAction::Capture {
                capture: capture.into(),
                photos: photos_out(photos),
                note,
            },
            C::Complete { code, photos } => FieldAction::Complete {
                code,
                photos: photos_out(photos),
            },
            C::NotDone { reason, note } => FieldAction::NotDone { reason, note },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_action() -> Vec<FieldAction> {
        let photo = PhotoRef {
            sha256: "ab".repeat(32),
            kind: PhotoKind::Register,
        };
        vec![
            FieldAction::Received,
            FieldAction::EnRoute,
            FieldAction::Arrive,
            FieldAction::Start,
            FieldAction::Pause {
                reason: "lunch".into(),
            },
            FieldAction::Resume,
            FieldAction::Reading {
                readings: vec![ReadingInput {
                    register: 1,
                    value: "0123".into(),
                    confirmation: Some("0123".into()),
                    method: ReadMethod::PhotoAssisted,
                }],
                reader_codes: vec!["rc1".into()],
                trouble_code: Some("tc".into()),
                note: Some("n".into()),
                photos: vec![photo.clone()],
            },
            FieldAction::Skip {
                code: "dog".into(),
                note: None,
                photos: vec![],
            },
            FieldAction::Note {
                code: None,
                text: "gate".into(),
            },
            FieldAction::Photo { photo },
            FieldAction::Capture {
                capture: Capture::Valve {
                    position: crate::capture::ValvePosition::Off,
                    point: None,
                },
                photos: vec![PhotoRef {
                    sha256: "cd".repeat(32),
                    kind: PhotoKind::Evidence,
                }],
                note: Some("curb box".into()),
            },
            FieldAction::Complete {
                code: Some("ok".into()),
                photos: vec![PhotoRef {
                    sha256: "ef".repeat(32),
                    kind: PhotoKind::Meter,
                }],
            },
            FieldAction::NotDone {
                reason: "no_access".into(),
                note: Some("locked".into()),
            },
        ]
    }

    #[test]
    fn every_action_survives_the_round_trip_through_the_core() {
        for action in every_action() {
            let core_action = core::FieldAction::from(action.clone());
            assert_eq!(FieldAction::from(core_action), action);
        }
    }

    #[test]
    fn every_core_action_name_is_reachable_from_the_ffi() {
        let names: Vec<&str> = every_action()
            .into_iter()
            .map(|a| core::FieldAction::from(a).name())
            .collect();
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(names.len(), unique.len(), "{names:?}");
        assert_eq!(names.len(), 13);
    }
}
