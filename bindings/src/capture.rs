//! The typed steps of service-order work as the app passes them: FFI mirrors of the core's
//! `Capture` (carried by `FieldAction.Capture`) and every type inside it, with conversions both
//! ways. The matches are exhaustive, so a new core step or choice breaks the build here.

use fieldline_core::capture as core;
use fieldline_core::model::Timestamp;

use crate::action::ReadingInput;

/// Declares the `From` conversions both ways between a fieldless FFI enum and the core enum of
/// the same name, and the wire names (`snake_case`, as the core serializes them) of its choices.
macro_rules! mirror_enum {
    ($name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        impl From<$name> for core::$name {
            fn from(v: $name) -> Self {
                match v {
                    $($name::$variant => core::$name::$variant,)+
                }
            }
        }

        impl From<core::$name> for $name {
            fn from(v: core::$name) -> Self {
                match v {
                    $(core::$name::$variant => $name::$variant,)+
                }
            }
        }

        impl $name {
            /// Every choice, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The choice's stable wire name.
            pub fn wire_name(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }
        }
    };
}

/// The wire names of every choice of a mirrored enum.
pub(crate) fn wire_names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<String> {
    all.iter().map(|v| name(*v).to_string()).collect()
}

/// Where a valve was left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ValvePosition {
    /// Water flows.
    On,
    /// Water is shut off.
    Off,
}

mirror_enum!(ValvePosition { On = "on", Off = "off" });

/// Where service was shut off for a disconnect or turn-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DisconnectPoint {
    /// The angle valve (meter stop) at the meter.
    AngleValve,
    /// The curb stop on the service line.
    CurbStop,
}

mirror_enum!(DisconnectPoint { AngleValve = "angle_valve", CurbStop = "curb_stop" });

/// What the crew did about a moving leak indicator at turn-on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LeakResolution {
    /// Service was left off.
    LeftOff,
    /// Service was left on and the customer told of the leak.
    CustomerNotified,
}

mirror_enum!(LeakResolution { LeftOff = "left_off", CustomerNotified = "customer_notified" });

/// The state of a seal found on a meter before reconnecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SealCondition {
    /// In place and unbroken.
    Intact,
    /// In place but cut or broken.
    Broken,
    /// Not there at all.
    Missing,
}

mirror_enum!(SealCondition { Intact = "intact", Broken = "broken", Missing = "missing" });

/// How a disconnect notice was delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NoticeMethod {
    /// Posted on the door.
    Posted,
    /// Handed to an adult at the premise (their name is required).
    HandedToAdult,
    /// The customer refused to take it.
    Refused,
}

mirror_enum!(NoticeMethod { Posted = "posted", HandedToAdult = "handed_to_adult", Refused = "refused" });

/// Result of closing the house valve while the leak indicator moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HouseValveResult {
    /// The indicator stopped: the leak is inside the house.
    IndicatorStopped,
    /// It kept moving: the leak is on the service line.
    IndicatorStillMoving,
}

mirror_enum!(HouseValveResult { IndicatorStopped = "indicator_stopped", IndicatorStillMoving = "indicator_still_moving" });

/// Which side of the meter a visible leak is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LeakSide {
    /// No visible leak.
    None,
    /// The utility's side (main, service, meter setting): the utility repairs it.
    Utility,
    /// The customer's side.
    Customer,
}

mirror_enum!(LeakSide { None = "none", Utility = "utility", Customer = "customer" });

/// Condition of the meter as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum MeterCondition {
    /// Working and undamaged.
    Good,
    /// Damaged (register, lid, body).
    Damaged,
    /// Not registering flow.
    Stopped,
    /// Leaking at the meter.
    Leaking,
}

mirror_enum!(MeterCondition { Good = "good", Damaged = "damaged", Stopped = "stopped", Leaking = "leaking" });

/// What a high-bill investigation recommends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Recommendation {
    /// Nothing to do.
    None,
    /// Read the meter again.
    ReRead,
    /// Test the meter's accuracy (creates a follow-up).
    MeterTest,
    /// Billing reviews an adjustment.
    AdjustmentReview,
    /// The utility repairs its side (creates a follow-up).
    UtilityRepair,
}

mirror_enum!(Recommendation { None = "none", ReRead = "re_read", MeterTest = "meter_test", AdjustmentReview = "adjustment_review", UtilityRepair = "utility_repair" });

/// How serious a problem found in the field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ProblemSeverity {
    /// Can wait for routine work.
    Low,
    /// Needs attention soon.
    Medium,
    /// Needs a crew today.
    High,
    /// Water running or a hazard to the public now.
    Critical,
}

mirror_enum!(ProblemSeverity { Low = "low", Medium = "medium", High = "high", Critical = "critical" });

/// A field of the office's meter record a reader may propose a correction to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum MeterField {
    /// The serial / badge number (a photo of the badge is required).
    Serial,
    /// The meter's size.
    Size,
    /// Where the meter is.
    Location,
    /// The premise's access notes.
    AccessNotes,
    /// How many registers the meter has.
    RegisterCount,
    /// Dials left of the decimal point of one register.
    DialsLeft,
    /// Dials right of the decimal point of one register.
    DialsRight,
    /// The multiplier of one register.
    Multiplier,
}

mirror_enum!(MeterField { Serial = "serial", Size = "size", Location = "location", AccessNotes = "access_notes", RegisterCount = "register_count", DialsLeft = "dials_left", DialsRight = "dials_right", Multiplier = "multiplier" });

/// The value a reader found for one field of the meter record, where the record is wrong.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldCorrection {
    /// Which field.
    pub field: MeterField,
    /// The register, for per-register fields (dials, multiplier); none otherwise.
    #[uniffi(default = None)]
    pub register: Option<u32>,
    /// The value as found on site, as keyed.
    pub value: String,
}

impl From<FieldCorrection> for core::FieldCorrection {
    fn from(c: FieldCorrection) -> Self {
        core::FieldCorrection {
            field: c.field.into(),
            register: c.register,
            value: c.value,
        }
    }
}

impl From<core::FieldCorrection> for FieldCorrection {
    fn from(c: core::FieldCorrection) -> Self {
        FieldCorrection {
            field: c.field.into(),
            register: c.register,
            value: c.value,
        }
    }
}
/// One register reading at one instant, for the low-flow test.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FlowSample {
    /// The value exactly as keyed.
    pub value: String,
    /// When it was read (device clock), Unix milliseconds.
    pub at_ms: i64,
}

impl From<FlowSample> for core::FlowSample {
    fn from(s: FlowSample) -> Self {
        core::FlowSample {
            value: s.value,
            at: Timestamp(s.at_ms),
        }
    }
}

impl From<core::FlowSample> for FlowSample {
    fn from(s: core::FlowSample) -> Self {
        FlowSample {
            value: s.value,
            at_ms: s.at.0,
        }
    }
}

/// What a high-bill investigation found.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Findings {
    /// The leak indicator moved with every fixture off.
    pub leak_indicator_moving: bool,
    /// The house-valve test, when done.
    pub house_valve: Option<HouseValveResult>,
    /// The dye test showed a toilet leak, when done.
    pub dye_test_leak: Option<bool>,
    /// The premise has irrigation.
    pub irrigation: bool,
    /// Which side a visible leak is on.
    pub visible_leak: LeakSide,
    /// The meter as found.
    pub meter_condition: MeterCondition,
    /// Advice left with the customer.
    pub advice: Option<String>,
    /// What the investigator recommends.
    pub recommendation: Recommendation,
}

impl From<Findings> for core::Findings {
    fn from(f: Findings) -> Self {
        let Findings {
            leak_indicator_moving,
            house_valve,
            dye_test_leak,
            irrigation,
            visible_leak,
            meter_condition,
            advice,
            recommendation,
        } = f;
        core::Findings {
            leak_indicator_moving,
            house_valve: house_valve.map(Into::into),
            dye_test_leak,
            irrigation,
            visible_leak: visible_leak.into(),
            meter_condition: meter_condition.into(),
            advice,
            recommendation: recommendation.into(),
        }
    }
}

impl From<core::Findings> for Findings {
    fn from(f: core::Findings) -> Self {
        let core::Findings {
            leak_indicator_moving,
            house_valve,
            dye_test_leak,
            irrigation,
            visible_leak,
            meter_condition,
            advice,
            recommendation,
        } = f;
        Findings {
            leak_indicator_moving,
            house_valve: house_valve.map(Into::into),
            dye_test_leak,
            irrigation,
            visible_leak: visible_leak.into(),
            meter_condition: meter_condition.into(),
            advice,
            recommendation: recommendation.into(),
        }
    }
}

/// The meter taken out in an exchange.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OldMeter {
    /// Serial as read off the meter; must be the order's meter.
    pub serial: String,
    /// Final reading of every register (checked by the cycle-read rules).
    pub readings: Vec<ReadingInput>,
}

impl From<OldMeter> for core::OldMeter {
    fn from(m: OldMeter) -> Self {
        core::OldMeter {
            serial: m.serial,
            readings: m.readings.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<core::OldMeter> for OldMeter {
    fn from(m: core::OldMeter) -> Self {
        OldMeter {
            serial: m.serial,
            readings: m.readings.into_iter().map(Into::into).collect(),
        }
    }
}

/// The meter put in by an exchange.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewMeter {
    /// Serial of the new meter; must differ from the old one and be in stock.
    pub serial: String,
    /// Initial reading of each register, as keyed (dials from the stock record).
    pub initial_readings: Vec<String>,
    /// Radio endpoint id, when one was fitted.
    #[uniffi(default = None)]
    pub radio_id: Option<String>,
}

impl From<NewMeter> for core::NewMeter {
    fn from(m: NewMeter) -> Self {
        core::NewMeter {
            serial: m.serial,
            initial_readings: m.initial_readings,
            radio_id: m.radio_id,
        }
    }
}

impl From<core::NewMeter> for NewMeter {
    fn from(m: core::NewMeter) -> Self {
        NewMeter {
            serial: m.serial,
            initial_readings: m.initial_readings,
            radio_id: m.radio_id,
        }
    }
}

/// An answer's value, of the kind the question asks for.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Answer {
    /// Yes or no.
    YesNo {
        /// The answer.
        value: bool,
    },
    /// One of the question's choices.
    Choice {
        /// The choice's code.
        value: String,
    },
    /// Free text.
    Text {
        /// The text.
        value: String,
    },
}

impl From<Answer> for core::Answer {
    fn from(a: Answer) -> Self {
        match a {
            Answer::YesNo { value } => core::Answer::YesNo(value),
            Answer::Choice { value } => core::Answer::Choice(value),
            Answer::Text { value } => core::Answer::Text(value),
        }
    }
}

impl From<core::Answer> for Answer {
    fn from(a: core::Answer) -> Self {
        match a {
            core::Answer::YesNo(value) => Answer::YesNo { value },
            core::Answer::Choice(value) => Answer::Choice { value },
            core::Answer::Text(value) => Answer::Text { value },
        }
    }
}

/// One answer of an inspection checklist.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChecklistAnswer {
    /// The question's id in the template.
    pub question: String,
    /// The answer.
    pub answer: Answer,
}

impl From<ChecklistAnswer> for core::ChecklistAnswer {
    fn from(a: ChecklistAnswer) -> Self {
        core::ChecklistAnswer {
            question: a.question,
            answer: a.answer.into(),
        }
    }
}

impl From<core::ChecklistAnswer> for ChecklistAnswer {
    fn from(a: core::ChecklistAnswer) -> Self {
        ChecklistAnswer {
            question: a.question,
            answer: a.answer.into(),
        }
    }
}

/// One step of service-order work (`FieldAction.Capture`). Each is its own field entry,
/// checked by its order type's rules; `FieldClient.requirements` says which steps a type has.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Capture {
    /// The meter's serial as read off the meter (must be the order's meter).
    MeterVerified {
        /// Serial / badge as read.
        serial: String,
    },
    /// A valve was operated.
    Valve {
        /// Where it was left.
        position: ValvePosition,
        /// Which valve (required when shutting off for a disconnect).
        point: Option<DisconnectPoint>,
    },
    /// The leak indicator was watched with service on.
    LeakCheck {
        /// The indicator moved with the fixtures off.
        indicator_moving: bool,
        /// What was done about it (required when it moved; policy says which).
        resolution: Option<LeakResolution>,
    },
    /// A seal or lock was removed (turn-on).
    SealRemoved {
        /// Its number.
        number: String,
    },
    /// A seal or lock was put on (turn-off, disconnect).
    SealInstalled {
        /// Its number (format-checked, unique).
        number: String,
    },
    /// The seal found before reconnecting.
    SealFound {
        /// Its number, if readable.
        number: Option<String>,
        /// Its state.
        condition: SealCondition,
    },
    /// Contact with the customer.
    Customer {
        /// The customer (or an adult) was there.
        present: bool,
        /// The customer was told what was done.
        notified: bool,
        /// A door hanger was left.
        door_hanger: bool,
    },
    /// A disconnect notice was delivered (the GPS fix and time start the notice period).
    NoticeDelivered {
        /// How.
        method: NoticeMethod,
        /// Who took it, when handed to an adult.
        recipient: Option<String>,
    },
    /// A medical claim was made on site: the disconnect is held.
    MedicalClaim {
        /// Who made it, if given.
        claimant: Option<String>,
    },
    /// Low-flow test: a register read at two instants, from which the flow per minute follows
    /// (the entry's `flow`).
    LowFlowTest {
        /// The register read.
        register: u32,
        /// First reading.
        start: FlowSample,
        /// Second reading.
        end: FlowSample,
    },
    /// What a high-bill investigation found and recommends.
    Investigation {
        /// The findings.
        findings: Findings,
    },
    /// A meter exchange, old and new meter as one unit.
    Exchange {
        /// Why (an exchange reason code).
        reason: String,
        /// The meter taken out.
        old: OldMeter,
        /// The meter put in.
        new: NewMeter,
    },
    /// The answers of an inspection checklist.
    Checklist {
        /// Template id.
        template: String,
        /// Template version answered.
        version: u32,
        /// The answers.
        answers: Vec<ChecklistAnswer>,
    },
    /// The problem a crew found (field-found orders).
    Problem {
        /// Problem code from the reference data (`leak`, `damaged_box`...).
        code: String,
        /// How serious.
        severity: ProblemSeverity,
    },
    /// What the meter's radio endpoint reports or the reader sees on it: codes from the
    /// requirements' `flags` list (`tamper`, `low_battery`...).
    EndpointFlags {
        /// The endpoint flag codes, each once.
        flags: Vec<String>,
    },
    /// The office's meter record is wrong: the values found on site, for the office to accept.
    MeterCorrection {
        /// One correction per field (per register for register fields).
        corrections: Vec<FieldCorrection>,
    },
    /// A meter at the premise that is not the order's meter.
    MeterFound {
        /// Serial / badge as read off it.
        serial: String,
        /// Its register, as keyed.
        reading: String,
        /// Where it is.
        location: String,
    },
}

impl From<Capture> for core::Capture {
    fn from(c: Capture) -> Self {
        use core::Capture as C;
        match c {
            Capture::MeterVerified { serial } => C::MeterVerified { serial },
            Capture::Valve { position, point } => C::Valve {
                position: position.into(),
                point: point.map(Into::into),
            },
            Capture::LeakCheck {
                indicator_moving,
                resolution,
            } => C::LeakCheck {
                indicator_moving,
                resolution: resolution.map(Into::into),
            },
            Capture::SealRemoved { number } => C::SealRemoved { number },
            Capture::SealInstalled { number } => C::SealInstalled { number },
            Capture::SealFound { number, condition } => C::SealFound {
                number,
                condition: condition.into(),
            },
            Capture::Customer {
                present,
                notified,
                door_hanger,
            } => C::Customer {
                present,
                notified,
                door_hanger,
            },
            Capture::NoticeDelivered { method, recipient } => C::NoticeDelivered {
                method: method.into(),
                recipient,
            },
            Capture::MedicalClaim { claimant } => C::MedicalClaim { claimant },
            Capture::LowFlowTest {
                register,
                start,
                end,
            } => C::LowFlowTest {
                register,
                start: start.into(),
                end: end.into(),
            },
            Capture::Investigation { findings } => C::Investigation(findings.into()),
            Capture::Exchange { reason, old, new } => C::Exchange {
                reason,
                old: old.into(),
                new: new.into(),
            },
            Capture::Checklist {
                template,
                version,
                answers,
            } => C::Checklist {
                template,
                version,
                answers: answers.into_iter().map(Into::into).collect(),
            },
            Capture::Problem { code, severity } => C::Problem {
                code,
                severity: severity.into(),
            },
            Capture::EndpointFlags { flags } => C::EndpointFlags { flags },
            Capture::MeterCorrection { corrections } => C::MeterCorrection {
                corrections: corrections.into_iter().map(Into::into).collect(),
            },
            Capture::MeterFound {
                serial,
                reading,
                location,
            } => C::MeterFound {
                serial,
                reading,
                location,
            },
        }
    }
}

impl From<core::Capture> for Capture {
    fn from(c: core::Capture) -> Self {
        use core::Capture as C;
        match c {
            C::MeterVerified { serial } => Capture::MeterVerified { serial },
            C::Valve { position, point } => Capture::Valve {
                position: position.into(),
                point: point.map(Into::into),
            },
            C::LeakCheck {
                indicator_moving,
                resolution,
            } => Capture::LeakCheck {
                indicator_moving,
                resolution: resolution.map(Into::into),
            },
            C::SealRemoved { number } => Capture::SealRemoved { number },
            C::SealInstalled { number } => Capture::SealInstalled { number },
            C::SealFound { number, condition } => Capture::SealFound {
                number,
                condition: condition.into(),
            },
            C::Customer {
                present,
                notified,
                door_hanger,
            } => Capture::Customer {
                present,
                notified,
                door_hanger,
            },
            C::NoticeDelivered { method, recipient } => Capture::NoticeDelivered {
                method: method.into(),
                recipient,
            },
            C::MedicalClaim { claimant } => Capture::MedicalClaim { claimant },
            C::LowFlowTest {
                register,
                start,
                end,
            } => Capture::LowFlowTest {
                register,
                start: start.into(),
                end: end.into(),
            },
            C::Investigation(findings) => Capture::Investigation {
                findings: findings.into(),
            },
            C::Exchange { reason, old, new } => Capture::Exchange {
                reason,
                old: old.into(),
                new: new.into(),
            },
            C::Checklist {
                template,
                version,
                answers,
            } => Capture::Checklist {
                template,
                version,
                answers: answers.into_iter().map(Into::into).collect(),
            },
            C::Problem { code, severity } => Capture::Problem {
                code,
                severity: severity.into(),
            },
            C::EndpointFlags { flags } => Capture::EndpointFlags { flags },
            C::MeterCorrection { corrections } => Capture::MeterCorrection {
                corrections: corrections.into_iter().map(Into::into).collect(),
            },
            C::MeterFound {
                serial,
                reading,
                location,
            } => Capture::MeterFound {
                serial,
                reading,
                location,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wire names the requirements give are the core's serde names.
    fn assert_wire<T: Copy + Into<C>, C: serde::Serialize>(all: &[T], name: fn(T) -> &'static str) {
        for v in all {
            let core: C = (*v).into();
            assert_eq!(
                serde_json::to_value(core).expect("serializes"),
                serde_json::Value::String(name(*v).to_string())
            );
        }
    }

    #[test]
    fn every_choice_has_the_cores_wire_name() {
        assert_wire::<_, core::ValvePosition>(ValvePosition::ALL, ValvePosition::wire_name);
        assert_wire::<_, core::DisconnectPoint>(DisconnectPoint::ALL, DisconnectPoint::wire_name);
        assert_wire::<_, core::LeakResolution>(LeakResolution::ALL, LeakResolution::wire_name);
        assert_wire::<_, core::SealCondition>(SealCondition::ALL, SealCondition::wire_name);
        assert_wire::<_, core::NoticeMethod>(NoticeMethod::ALL, NoticeMethod::wire_name);
        assert_wire::<_, core::HouseValveResult>(
            HouseValveResult::ALL,
            HouseValveResult::wire_name,
        );
        assert_wire::<_, core::LeakSide>(LeakSide::ALL, LeakSide::wire_name);
        assert_wire::<_, core::MeterCondition>(MeterCondition::ALL, MeterCondition::wire_name);
        assert_wire::<_, core::Recommendation>(Recommendation::ALL, Recommendation::wire_name);
        assert_wire::<_, core::ProblemSeverity>(ProblemSeverity::ALL, ProblemSeverity::wire_name);
        assert_wire::<_, core::MeterField>(MeterField::ALL, MeterField::wire_name);
    }

    fn every_capture() -> Vec<Capture> {
        let reading = ReadingInput {
            register: 1,
            value: "1050".into(),
            confirmation: None,
            method: crate::action::ReadMethod::Keyed,
        };
        vec![
            Capture::MeterVerified {
                serial: "SN1".into(),
            },
            Capture::Valve {
                position: ValvePosition::Off,
                point: Some(DisconnectPoint::CurbStop),
            },
            Capture::LeakCheck {
                indicator_moving: true,
                resolution: Some(LeakResolution::CustomerNotified),
            },
            Capture::SealRemoved {
                number: "FL000001".into(),
            },
            Capture::SealInstalled {
                number: "FL000002".into(),
            },
            Capture::SealFound {
                number: None,
                condition: SealCondition::Broken,
            },
            Capture::Customer {
                present: true,
                notified: true,
                door_hanger: false,
            },
            Capture::NoticeDelivered {
                method: NoticeMethod::HandedToAdult,
                recipient: Some("Pat".into()),
            },
            Capture::MedicalClaim { claimant: None },
            Capture::LowFlowTest {
                register: 1,
                start: FlowSample {
                    value: "1050".into(),
                    at_ms: 1,
                },
                end: FlowSample {
                    value: "1051".into(),
                    at_ms: 60_001,
                },
            },
            Capture::Investigation {
                findings: Findings {
                    leak_indicator_moving: true,
                    house_valve: Some(HouseValveResult::IndicatorStillMoving),
                    dye_test_leak: Some(false),
                    irrigation: true,
                    visible_leak: LeakSide::Utility,
                    meter_condition: MeterCondition::Leaking,
                    advice: Some("fix the tap".into()),
                    recommendation: Recommendation::UtilityRepair,
                },
            },
            Capture::Exchange {
                reason: "age".into(),
                old: OldMeter {
                    serial: "SN1".into(),
                    readings: vec![reading],
                },
                new: NewMeter {
                    serial: "NEW1".into(),
                    initial_readings: vec!["0000".into()],
                    radio_id: Some("R1".into()),
                },
            },
            Capture::Checklist {
                template: "tamper".into(),
                version: 1,
                answers: vec![
                    ChecklistAnswer {
                        question: "a".into(),
                        answer: Answer::YesNo { value: true },
                    },
                    ChecklistAnswer {
                        question: "b".into(),
                        answer: Answer::Choice { value: "x".into() },
                    },
                    ChecklistAnswer {
                        question: "c".into(),
                        answer: Answer::Text { value: "t".into() },
                    },
                ],
            },
            Capture::Problem {
                code: "leak".into(),
                severity: ProblemSeverity::Critical,
            },
            Capture::EndpointFlags {
                flags: vec!["tamper".into(), "low_battery".into()],
            },
            Capture::MeterCorrection {
                corrections: vec![
                    FieldCorrection {
                        field: MeterField::Serial,
                        register: None,
                        value: "SN9".into(),
                    },
                    FieldCorrection {
                        field: MeterField::DialsLeft,
                        register: Some(1),
                        value: "6".into(),
                    },
                ],
            },
            Capture::MeterFound {
                serial: "SN77".into(),
                reading: "00412".into(),
                location: "side yard".into(),
            },
        ]
    }

    #[test]
    fn every_capture_survives_the_round_trip_and_names_its_own_step() {
        let mut steps = Vec::new();
        for capture in every_capture() {
            let core_capture = core::Capture::from(capture.clone());
            steps.push(core_capture.step());
            assert_eq!(
                crate::requirements::Step::from_name(core_capture.step()),
                Some(crate::requirements::Step::of(&core_capture))
            );
            assert_eq!(Capture::from(core_capture), capture);
        }
        let mut unique = steps.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), steps.len(), "one of each: {steps:?}");
    }
}
