//! What an order's type asks of the crew, typed, so an app builds its work screen from data: the
//! steps (`rules::steps_for`), the choices of each step's fields, the code lists a step draws
//! from, and the completion and not-done codes usable on the type (`rules::requirements`).

use fieldline_core::capture::Capture as CoreCapture;
use fieldline_core::model::OrderType;
use fieldline_core::reference::{ChecklistTemplate, CodeDef, QuestionKind, ReferenceData};
use fieldline_core::rules;

use crate::capture::{
    DisconnectPoint, HouseValveResult, LeakResolution, LeakSide, MeterCondition, MeterField,
    NoticeMethod, ProblemSeverity, Recommendation, SealCondition, ValvePosition, wire_names,
};

/// A step of order work: a reading, a skip, or one kind of `Capture`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Step {
    /// `FieldAction.Reading`.
    Reading,
    /// `FieldAction.Skip`.
    Skip,
    /// `Capture.MeterVerified`.
    MeterVerified,
    /// `Capture.Valve`.
    Valve,
    /// `Capture.LeakCheck`.
    LeakCheck,
    /// `Capture.SealRemoved`.
    SealRemoved,
    /// `Capture.SealInstalled`.
    SealInstalled,
    /// `Capture.SealFound`.
    SealFound,
    /// `Capture.Customer`.
    Customer,
    /// `Capture.NoticeDelivered`.
    NoticeDelivered,
    /// `Capture.MedicalClaim`.
    MedicalClaim,
    /// `Capture.LowFlowTest`.
    LowFlowTest,
    /// `Capture.Investigation`.
    Investigation,
    /// `Capture.Exchange`.
    Exchange,
    /// `Capture.Checklist`.
    Checklist,
    /// `Capture.Problem`.
    Problem,
    /// `Capture.EndpointFlags`.
    EndpointFlags,
    /// `Capture.MeterCorrection`.
    MeterCorrection,
    /// `Capture.MeterFound`.
    MeterFound,
}

impl Step {
    /// The step a capture records (exhaustive: a new core capture breaks the build here).
    pub fn of(capture: &CoreCapture) -> Step {
        match capture {
            CoreCapture::MeterVerified { .. } => Step::MeterVerified,
            CoreCapture::Valve { .. } => Step::Valve,
            CoreCapture::LeakCheck { .. } => Step::LeakCheck,
            CoreCapture::SealRemoved { .. } => Step::SealRemoved,
            CoreCapture::SealInstalled { .. } => Step::SealInstalled,
            CoreCapture::SealFound { .. } => Step::SealFound,
            CoreCapture::Customer { .. } => Step::Customer,
            CoreCapture::NoticeDelivered { .. } => Step::NoticeDelivered,
            CoreCapture::MedicalClaim { .. } => Step::MedicalClaim,
            CoreCapture::LowFlowTest { .. } => Step::LowFlowTest,
            CoreCapture::Investigation(_) => Step::Investigation,
            CoreCapture::Exchange { .. } => Step::Exchange,
            CoreCapture::Checklist { .. } => Step::Checklist,
            CoreCapture::Problem { .. } => Step::Problem,
            CoreCapture::EndpointFlags { .. } => Step::EndpointFlags,
            CoreCapture::MeterCorrection { .. } => Step::MeterCorrection,
            CoreCapture::MeterFound { .. } => Step::MeterFound,
        }
    }

    /// The step for a name of `rules::steps_for` (`reading`, `skip` or a capture's step name).
    pub fn from_name(name: &str) -> Option<Step> {
        Some(match name {
            "reading" => Step::Reading,
            "skip" => Step::Skip,
            "meter_verified" => Step::MeterVerified,
            "valve" => Step::Valve,
            "leak_check" => Step::LeakCheck,
            "seal_removed" => Step::SealRemoved,
            "seal_installed" => Step::SealInstalled,
            "seal_found" => Step::SealFound,
            "customer" => Step::Customer,
            "notice_delivered" => Step::NoticeDelivered,
            "medical_claim" => Step::MedicalClaim,
            "low_flow_test" => Step::LowFlowTest,
            "investigation" => Step::Investigation,
            "exchange" => Step::Exchange,
            "checklist" => Step::Checklist,
            "problem" => Step::Problem,
            "endpoint_flags" => Step::EndpointFlags,
            "meter_correction" => Step::MeterCorrection,
            "meter_found" => Step::MeterFound,
            _ => return None,
        })
    }
}

/// A code a step or outcome may use, with what using it requires.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CodeInfo {
    /// Stable code (`no_access`).
    pub code: String,
    /// What the crew sees (`No access`).
    pub label: String,
    /// Using it requires a photo in the same action.
    pub photo_required: bool,
    /// Using it requires a note in the same action.
    pub note_required: bool,
    /// Using it raises this flag for the office (`tamper`, `leak`).
    pub flag: Option<String>,
}

impl From<CodeDef> for CodeInfo {
    fn from(c: CodeDef) -> Self {
        CodeInfo {
            code: c.code,
            label: c.label,
            photo_required: c.photo_required,
            note_required: c.note_required,
            flag: c.flag,
        }
    }
}

/// The choices of one enum field of a step.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StepChoice {
    /// The field (`position`, `findings.visible_leak`).
    pub field: String,
    /// Its choices: the `snake_case` names of the matching FFI enum's variants, in order.
    pub options: Vec<String>,
}

/// A code list one field of a step draws from.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CodeList {
    /// The field (`code`, `reader_codes`, `reason`).
    pub field: String,
    /// The codes usable on this order type.
    pub codes: Vec<CodeInfo>,
}

/// The kind of answer a checklist question takes.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum QuestionType {
    /// `Answer.YesNo`.
    YesNo,
    /// `Answer.Choice`, one of these.
    Choice {
        /// The choices.
        choices: Vec<String>,
    },
    /// `Answer.Text`.
    Text,
}

/// One question of a checklist.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChecklistQuestion {
    /// Id to answer it under (`ChecklistAnswer.question`).
    pub id: String,
    /// What the inspector sees.
    pub label: String,
    /// The kind of answer.
    pub kind: QuestionType,
    /// An answer is required.
    pub required: bool,
}

/// A checklist template an inspection may answer.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChecklistInfo {
    /// Template id (`Capture.Checklist.template`).
    pub template: String,
    /// Version (`Capture.Checklist.version`).
    pub version: u32,
    /// Title.
    pub title: String,
    /// Questions in order.
    pub questions: Vec<ChecklistQuestion>,
}

impl From<ChecklistTemplate> for ChecklistInfo {
    fn from(t: ChecklistTemplate) -> Self {
        ChecklistInfo {
            template: t.id,
            version: t.version,
            title: t.title,
            questions: t
                .questions
                .into_iter()
                .map(|q| ChecklistQuestion {
                    id: q.id,
                    label: q.label,
                    kind: match q.kind {
                        QuestionKind::YesNo => QuestionType::YesNo,
                        QuestionKind::Choice(choices) => QuestionType::Choice { choices },
                        QuestionKind::Text => QuestionType::Text,
                    },
                    required: q.required,
                })
                .collect(),
        }
    }
}

/// One step an order's type has, with what the screen needs to record it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StepRequirement {
    /// The step.
    pub step: Step,
    /// Its stable name (`seal_installed`), as rules and refusals say it.
    pub name: String,
    /// The choices of its enum fields.
    pub choices: Vec<StepChoice>,
    /// The code lists its fields draw from.
    pub code_lists: Vec<CodeList>,
    /// The checklists it may answer (the checklist step only).
    pub checklists: Vec<ChecklistInfo>,
}

/// What an order of one type asks of the crew.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OrderRequirements {
    /// The order type (`turn_off`).
    pub order_type: String,
    /// Its steps, in the order the work usually goes. A step not listed is refused
    /// (`common.step`).
    pub steps: Vec<StepRequirement>,
    /// Completion codes usable on this type.
    pub completion_codes: Vec<CodeInfo>,
    /// Not-done reasons usable on this type.
    pub not_done_reasons: Vec<CodeInfo>,
}

fn choice<T: Copy>(field: &str, all: &[T], name: fn(T) -> &'static str) -> StepChoice {
    StepChoice {
        field: field.to_string(),
        options: wire_names(all, name),
    }
}

fn choices(step: Step) -> Vec<StepChoice> {
    match step {
        Step::Valve => vec![
            choice("position", ValvePosition::ALL, ValvePosition::wire_name),
            choice("point", DisconnectPoint::ALL, DisconnectPoint::wire_name),
        ],
        Step::LeakCheck => vec![choice(
            "resolution",
            LeakResolution::ALL,
            LeakResolution::wire_name,
        )],
        Step::SealFound => vec![choice(
            "condition",
            SealCondition::ALL,
            SealCondition::wire_name,
        )],
        Step::NoticeDelivered => vec![choice("method", NoticeMethod::ALL, NoticeMethod::wire_name)],
        Step::Investigation => vec![
            choice(
                "findings.house_valve",
                HouseValveResult::ALL,
                HouseValveResult::wire_name,
            ),
            choice("findings.visible_leak", LeakSide::ALL, LeakSide::wire_name),
            choice(
                "findings.meter_condition",
                MeterCondition::ALL,
                MeterCondition::wire_name,
            ),
            choice(
                "findings.recommendation",
                Recommendation::ALL,
                Recommendation::wire_name,
            ),
        ],
        Step::Problem => vec![choice(
            "severity",
            ProblemSeverity::ALL,
            ProblemSeverity::wire_name,
        )],
        Step::MeterCorrection => vec![choice(
            "corrections.field",
            MeterField::ALL,
            MeterField::wire_name,
        )],
        Step::Reading
        | Step::EndpointFlags
        | Step::MeterFound
        | Step::Skip
        | Step::MeterVerified
        | Step::SealRemoved
        | Step::SealInstalled
        | Step::Customer
        | Step::MedicalClaim
        | Step::LowFlowTest
        | Step::Exchange
        | Step::Checklist => Vec::new(),
    }
}

fn code_lists(step: Step, order_type: OrderType, reference: &ReferenceData) -> Vec<CodeList> {
    let list = |field: &str, codes: &[CodeDef]| CodeList {
        field: field.to_string(),
        codes: codes
            .iter()
            .filter(|c| c.applies_to(order_type))
            .cloned()
            .map(CodeInfo::from)
            .collect(),
    };
    match step {
        Step::Reading => vec![
            list("reader_codes", &reference.reader_codes),
            list("trouble_code", &reference.trouble_codes),
        ],
        Step::Skip => vec![list("code", &reference.skip_codes)],
        Step::Exchange => vec![list("reason", &reference.exchange_reasons)],
        Step::Problem => vec![list("code", &reference.problem_codes)],
        Step::EndpointFlags => vec![list("flags", &reference.endpoint_flags)],
        Step::MeterVerified
        | Step::Valve
        | Step::LeakCheck
        | Step::SealRemoved
        | Step::SealInstalled
        | Step::SealFound
        | Step::Customer
        | Step::NoticeDelivered
        | Step::MedicalClaim
        | Step::LowFlowTest
        | Step::Investigation
        | Step::Checklist
        | Step::MeterCorrection
        | Step::MeterFound => Vec::new(),
    }
}

/// What an order of `order_type` asks of the crew under `reference`.
pub fn requirements(order_type: OrderType, reference: &ReferenceData) -> OrderRequirements {
    let core = rules::requirements(order_type, reference);
    OrderRequirements {
        order_type: order_type.as_str().to_string(),
        steps: core
            .steps
            .iter()
            .filter_map(|help| {
                let step = Step::from_name(help.step)?;
                Some(StepRequirement {
                    step,
                    name: help.step.to_string(),
                    choices: choices(step),
                    code_lists: code_lists(step, order_type, reference),
                    checklists: match step {
                        Step::Checklist => reference
                            .checklists
                            .iter()
                            .cloned()
                            .map(ChecklistInfo::from)
                            .collect(),
                        _ => Vec::new(),
                    },
                })
            })
            .collect(),
        completion_codes: core
            .completion_codes
            .into_iter()
            .map(CodeInfo::from)
            .collect(),
        not_done_reasons: core
            .not_done_reasons
            .into_iter()
            .map(CodeInfo::from)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_of_every_order_type_has_an_ffi_step() {
        for order_type in OrderType::ALL {
            let names = rules::steps_for(*order_type);
            for name in names {
                assert!(Step::from_name(name).is_some(), "{name} has no Step");
            }
            let reqs = requirements(*order_type, &ReferenceData::default());
            assert_eq!(reqs.steps.len(), names.len(), "{order_type}");
            assert_eq!(reqs.order_type, order_type.as_str());
        }
    }

    #[test]
    fn a_turn_off_lists_its_steps_choices_and_codes() {
        let reqs = requirements(OrderType::TurnOff, &ReferenceData::default());
        let steps: Vec<Step> = reqs.steps.iter().map(|s| s.step).collect();
        assert_eq!(
            steps,
            [
                Step::Reading,
                Step::MeterVerified,
                Step::Valve,
                Step::SealInstalled,
                Step::Customer
            ]
        );
        let valve = &reqs.steps[2];
        assert_eq!(valve.choices[0].field, "position");
        assert_eq!(valve.choices[0].options, ["on", "off"]);
        assert_eq!(valve.choices[1].options, ["angle_valve", "curb_stop"]);
        assert!(!reqs.completion_codes.is_empty());
        assert!(!reqs.not_done_reasons.is_empty());
    }

    #[test]
    fn a_cycle_read_lists_the_endpoint_flags_and_the_correctable_fields() {
        let reqs = requirements(OrderType::CycleRead, &ReferenceData::default());
        let steps: Vec<Step> = reqs.steps.iter().map(|s| s.step).collect();
        assert_eq!(
            steps,
            [
                Step::Reading,
                Step::Skip,
                Step::EndpointFlags,
                Step::MeterCorrection,
                Step::MeterFound
            ]
        );
        let flags = &reqs.steps[2].code_lists[0];
        assert_eq!(flags.field, "flags");
        assert!(flags.codes.iter().any(|c| c.code == "tamper"));
        let fields = &reqs.steps[3].choices[0];
        assert_eq!(fields.field, "corrections.field");
        assert!(fields.options.contains(&"access_notes".to_string()));
    }

    #[test]
    fn a_field_found_order_draws_its_problem_from_the_reference_codes() {
        let reference = ReferenceData::default();
        let reqs = requirements(OrderType::FieldFound, &reference);
        let problem = &reqs.steps[0];
        assert_eq!(problem.step, Step::Problem);
        let codes: Vec<&str> = problem.code_lists[0]
            .codes
            .iter()
            .map(|c| c.code.as_str())
            .collect();
        assert!(codes.contains(&"leak"), "{codes:?}");
        assert_eq!(
            problem.choices[0].options,
            ["low", "medium", "high", "critical"]
        );
    }
}
