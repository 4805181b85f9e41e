//! Reference data: the code lists and the policy every rule is checked under. Nobody edits it on
//! a device, so it is versioned plain data delivered to devices (not a CRDT document), and every
//! field entry records the version it was checked under.

mod service;

pub(crate) use service::civil_from_days;
pub use service::{
    ChecklistTemplate, DisconnectPolicy, LeakCheckPolicy, Question, QuestionKind, SealFormat,
    StockMeter,
};

use crate::model::OrderType;
use serde::{Deserialize, Serialize};

/// Every published version of a utility's reference data, so the server judges each field entry
/// under the version the device recorded it with (a code an admin retired later must not turn
/// honest work done under the old list into a refusal).
#[derive(Debug, Clone)]
pub struct ReferenceSet {
    versions: std::collections::BTreeMap<u32, std::sync::Arc<ReferenceData>>,
}

impl ReferenceSet {
    /// A set of the given versions; the built-in default is always in it.
    pub fn new(versions: impl IntoIterator<Item = std::sync::Arc<ReferenceData>>) -> ReferenceSet {
        let default = ReferenceData::default();
        let mut map = std::collections::BTreeMap::new();
        map.insert(default.version, std::sync::Arc::new(default));
        for data in versions {
            map.insert(data.version, data);
        }
        ReferenceSet { versions: map }
    }

    /// The version an entry recorded; for a version the server never published (only a broken
    /// client claims one), the newest one not newer than it, else the oldest.
    pub fn at(&self, version: u32) -> &ReferenceData {
        self.versions
            .range(..=version)
            .next_back()
            .or_else(|| self.versions.iter().next())
            .map(|(_, data)| data.as_ref())
            .unwrap_or_else(|| unreachable!("a reference set always holds the default"))
    }

    /// The newest version.
    pub fn current(&self) -> &ReferenceData {
        self.versions
            .values()
            .next_back()
            .map(|data| data.as_ref())
            .unwrap_or_else(|| unreachable!("a reference set always holds the default"))
    }
}

impl Default for ReferenceSet {
    fn default() -> Self {
        ReferenceSet::new([])
    }
}

impl From<ReferenceData> for ReferenceSet {
    fn from(data: ReferenceData) -> Self {
        ReferenceSet::new([std::sync::Arc::new(data)])
    }
}

/// Versioned code lists and policy, as delivered to devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceData {
    /// Version of this reference data; recorded in every field entry checked under it.
    pub version: u32,
    /// Thresholds and switches the rules read.
    #[serde(default)]
    pub policy: Policy,
    /// Why a meter was not read (`no_access`, `dog`...).
    pub skip_codes: Vec<CodeDef>,
    /// Observations a reader adds to a reading (up to `policy.max_reader_codes`).
    pub reader_codes: Vec<CodeDef>,
    /// Something wrong with the meter or its setting (one per reading).
    pub trouble_codes: Vec<CodeDef>,
    /// How an order was completed.
    pub completion_codes: Vec<CodeDef>,
    /// Why an order could not be done.
    pub not_done_reasons: Vec<CodeDef>,
    /// Why a meter is exchanged.
    #[serde(default)]
    pub exchange_reasons: Vec<CodeDef>,
    /// Problems a crew may report as a field-found order (`leak`, `damaged_box`).
    #[serde(default)]
    pub problem_codes: Vec<CodeDef>,
    /// Inspection checklists, every version that may still be answered.
    #[serde(default)]
    pub checklists: Vec<ChecklistTemplate>,
    /// Meters in stock that an exchange may install.
    #[serde(default)]
    pub meter_stock: Vec<StockMeter>,
    /// What a meter's radio endpoint reports or a reader sees on it (`tamper`, `low_battery`).
    /// Reference data published before the list existed reads with the defaults, so a utility
    /// gets endpoint flags without republishing; an admin who wants none publishes `[]`.
    #[serde(default = "default_endpoint_flags")]
    pub endpoint_flags: Vec<CodeDef>,
}

/// One code of a code list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeDef {
    /// Stable code (`locked_gate`).
    pub code: String,
    /// What the crew sees (`Locked gate`).
    pub label: String,
    /// Using this code requires a photo in the same action.
    #[serde(default)]
    pub photo_required: bool,
    /// Using this code requires a note in the same action.
    #[serde(default)]
    pub note_required: bool,
    /// Order types the code may be used on; empty means every type.
    #[serde(default)]
    pub order_types: Vec<OrderType>,
    /// Using the code raises this flag for the office's exception queue (`tamper`, `leak`).
    #[serde(default)]
    pub flag: Option<String>,
}

impl CodeDef {
    /// A code usable on every order type, with no photo or note required.
    pub fn new(code: &str, label: &str) -> Self {
        CodeDef {
            code: code.to_string(),
            label: label.to_string(),
            photo_required: false,
            note_required: false,
            order_types: Vec::new(),
            flag: None,
        }
    }

    /// The same code, requiring a photo.
    pub fn with_photo(mut self) -> Self {
        self.photo_required = true;
        self
    }

    /// The same code, requiring a note.
    pub fn with_note(mut self) -> Self {
        self.note_required = true;
        self
    }

    /// The same code, raising `flag` when used.
    pub fn raising(mut self, flag: &str) -> Self {
        self.flag = Some(flag.to_string());
        self
    }

    /// The same code, restricted to these order types.
    pub fn only_for(mut self, types: &[OrderType]) -> Self {
        self.order_types = types.to_vec();
        self
    }

    /// The code may be used on an order of this type.
    pub fn applies_to(&self, order_type: OrderType) -> bool {
        self.order_types.is_empty() || self.order_types.contains(&order_type)
    }
}

/// Finds `code` in a code list, if it may be used on `order_type`.
pub fn find_code<'a>(
    list: &'a [CodeDef],
    code: &str,
    order_type: OrderType,
) -> Option<&'a CodeDef> {
    list.iter()
        .find(|def| def.code == code && def.applies_to(order_type))
}

/// Percentage bands that classify a reading outside the expected consumption window.
///
/// The window is what billing's limits imply: limits are *readings*, so with a previous read
/// `p` the expected consumption runs from `low_c = low_limit − p` to `high_c = high_limit − p`
/// (a limit below `p` that looks rolled over by [`RolloverWindow`] was wrapped past full scale by
/// billing and gets full scale added). A consumption `c` is then
/// - `very_high` when `c > high_c × (1 + very_high_pct/100)`, else
/// - `high` when `c > high_c × (1 + high_pct/100)`, else
/// - `very_low` when `c < low_c × (1 − very_low_pct/100)`, else
/// - `low` when `c < low_c × (1 − low_pct/100)`.
///
/// With the default `high_pct = low_pct = 0` "high"/"low" start exactly at the limits; the
/// plain percentages let a utility add slack over billing's limits. The comparisons are exact
/// (integer arithmetic on the fixed-point reading). Without a previous read there is no
/// consumption: the reading itself is compared with the limits and can only be `high` or `low`.
/// "Out of range" (blind re-key, photo, `high_read`-style flag) means one of the four bands. A
/// negative reading is not banded; a rollover or zero use that is out of range takes the band as
/// its validation. Limits past full scale count as full scale; percentages cap at 10,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Bands {
    /// Percent above the high-limit consumption where `high` starts (0 = at the limit).
    pub high_pct: u32,
    /// Percent above the high-limit consumption where `very_high` starts.
    pub very_high_pct: u32,
    /// Percent below the low-limit consumption where `low` starts (0 = at the limit).
    pub low_pct: u32,
    /// Percent below the low-limit consumption where `very_low` starts (at most 100).
    pub very_low_pct: u32,
}

impl Default for Bands {
    fn default() -> Self {
        Bands {
            high_pct: 0,
            very_high_pct: 100,
            low_pct: 0,
            very_low_pct: 50,
        }
    }
}

/// When a reading lower than the previous one is a rollover of the dials rather than negative.
///
/// It is a rollover when the previous read is in the top `previous_top_pct` percent of full scale
/// (`previous ≥ full × (1 − previous_top_pct/100)`) and the current read is below
/// `current_max_pct` percent of full scale (`current < full × current_max_pct/100`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RolloverWindow {
    /// Top share of full scale the previous read must be in, in percent.
    pub previous_top_pct: u32,
    /// Share of full scale the current read must be below, in percent.
    pub current_max_pct: u32,
}

impl Default for RolloverWindow {
    fn default() -> Self {
        RolloverWindow {
            previous_top_pct: 10,
            current_max_pct: 10,
        }
    }
}

/// The utility's policy switches and thresholds. Missing fields take the defaults, which suit a
/// US water utility.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// High/low classification bands.
    pub bands: Bands,
    /// What counts as a rollover.
    pub rollover: RolloverWindow,
    /// A cycle read may be completed with neither a reading nor a skip code.
    pub allow_blank_read: bool,
    /// Readers' handhelds do not show the limits (the device still checks them).
    pub hide_limits_from_readers: bool,
    /// A reading outside the limits needs a photo of the register.
    pub photo_for_out_of_range: bool,
    /// Most reader codes on one reading.
    pub max_reader_codes: u32,
    /// A capture farther than this from the premise (beyond the fix's accuracy) raises
    /// `off_site_capture`, in metres.
    pub off_site_distance_m: f64,
    /// A device time earlier than the order's creation by more than this raises
    /// `implausible_device_time`, in milliseconds (device clocks drift a little).
    pub device_clock_tolerance_ms: i64,
    /// When a disconnect may go ahead.
    pub disconnect: DisconnectPolicy,
    /// The format of seal and lock numbers.
    pub seal_format: SealFormat,
    /// A turn-off must put a lock or seal on.
    pub turn_off_seal_required: bool,
    /// What a moving leak indicator at turn-on or reconnect calls for.
    pub leak_check: LeakCheckPolicy,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            bands: Bands::default(),
            rollover: RolloverWindow::default(),
            allow_blank_read: false,
            hide_limits_from_readers: true,
            photo_for_out_of_range: true,
            max_reader_codes: 3,
            off_site_distance_m: 200.0,
            device_clock_tolerance_ms: 5 * 60 * 1000,
            disconnect: DisconnectPolicy::default(),
            seal_format: SealFormat::default(),
            turn_off_seal_required: true,
            leak_check: LeakCheckPolicy::LeaveOff,
        }
    }
}

impl ReferenceData {
    /// A complete default for a US water utility: the skip codes of DOMAIN.md and plausible
    /// reader, trouble, completion and not-done codes.
    pub fn default_water() -> Self {
        let cycle = [OrderType::CycleRead];
        let disconnect = [OrderType::Disconnect];
        let inspection = [OrderType::Inspection];
        ReferenceData {
            version: 1,
            policy: Policy::default(),
            skip_codes: vec![
                CodeDef::new("no_access", "No access"),
                CodeDef::new("dog", "Dog"),
                CodeDef::new("locked_gate", "Locked gate").with_photo(),
                CodeDef::new("vehicle_over_box", "Vehicle over box").with_photo(),
                CodeDef::new("meter_buried", "Meter buried").with_photo(),
                CodeDef::new("meter_not_found", "Meter not found").with_note(),
                CodeDef::new("unsafe", "Unsafe to read")
                    .with_photo()
                    .with_note(),
            ],
            reader_codes: vec![
                CodeDef::new("lid_broken", "Lid broken"),
                CodeDef::new("box_flooded", "Box flooded"),
                CodeDef::new("dirty_register", "Register dirty or fogged"),
                CodeDef::new("meter_leaking", "Meter leaking").raising("leak"),
                CodeDef::new("leak_indicator_moving", "Leak indicator moving").raising("leak"),
                CodeDef::new("customer_read", "Read given by customer"),
                CodeDef::new("estimated_dials", "Dial position estimated"),
                CodeDef::new("dog_present", "Dog on premises"),
            ],
            trouble_codes: vec![
                CodeDef::new("register_broken", "Register broken or unreadable")
                    .raising("meter_problem"),
                CodeDef::new("meter_stopped", "Meter stopped").raising("meter_problem"),
                CodeDef::new("meter_running_backwards", "Meter running backwards")
                    .raising("reverse_flow"),
                CodeDef::new("tamper_suspected", "Tamper suspected")
                    .with_photo()
                    .raising("tamper"),
                CodeDef::new("bypass_suspected", "Bypass suspected")
                    .with_photo()
                    .raising("tamper"),
                CodeDef::new("serial_mismatch", "Serial does not match").raising("serial_mismatch"),
                CodeDef::new("endpoint_damaged", "Radio endpoint damaged"),
                CodeDef::new("box_damaged", "Meter box damaged"),
            ],
            completion_codes: vec![
                CodeDef::new("read", "Read obtained").only_for(&cycle),
                CodeDef::new("skipped", "Skipped with a code").only_for(&cycle),
                CodeDef::new("completed", "Work completed"),
                CodeDef::new("completed_with_issue", "Completed, issue noted"),
                CodeDef::new("locked", "Service cut and locked").only_for(&disconnect),
                CodeDef::new("held_medical", "Held: medical claim on site")
                    .raising("held_medical")
                    .only_for(&disconnect),
                CodeDef::new("tamper_confirmed", "Tamper confirmed")
                    .raising("tamper")
                    .only_for(&inspection),
                CodeDef::new("no_violation", "No violation found").only_for(&inspection),
            ],
            not_done_reasons: vec![
                CodeDef::new("no_access", "No access"),
                CodeDef::new("customer_refused", "Customer refused"),
                CodeDef::new("unsafe", "Unsafe conditions"),
                CodeDef::new("weather", "Weather"),
                CodeDef::new("equipment", "Equipment or material missing"),
                CodeDef::new("out_of_time", "Out of time"),
                CodeDef::new("wrong_address", "Wrong or unknown address"),
                CodeDef::new("customer_paid", "Customer showed proof of payment")
                    .only_for(&disconnect),
                CodeDef::new("meter_not_in_stock", "No suitable meter on the truck")
                    .only_for(&[OrderType::MeterExchange]),
                CodeDef::new("other", "Other").with_note(),
            ],
            exchange_reasons: vec![
                CodeDef::new("stopped", "Meter stopped"),
                CodeDef::new("damaged", "Meter damaged"),
                CodeDef::new("age", "Scheduled replacement (age)"),
                CodeDef::new("accuracy", "Failed accuracy test"),
                CodeDef::new("upsize", "Size change").with_note(),
            ],
            problem_codes: vec![
                CodeDef::new("leak", "Leak").raising("leak"),
                CodeDef::new("damaged_box", "Damaged meter box"),
                CodeDef::new("meter_not_in_records", "Meter not in records"),
                CodeDef::new("illegal_connection", "Possible illegal connection").raising("tamper"),
                CodeDef::new("other", "Other").with_note(),
            ],
            checklists: vec![default_tamper_checklist()],
            meter_stock: Vec::new(),
            endpoint_flags: default_endpoint_flags(),
        }
    }

    /// The skip code `code` for `order_type`, if known.
    pub fn skip_code(&self, code: &str, order_type: OrderType) -> Option<&CodeDef> {
        find_code(&self.skip_codes, code, order_type)
    }

    /// The reader code `code` for `order_type`, if known.
    pub fn reader_code(&self, code: &str, order_type: OrderType) -> Option<&CodeDef> {
        find_code(&self.reader_codes, code, order_type)
    }

    /// The trouble code `code` for `order_type`, if known.
    pub fn trouble_code(&self, code: &str, order_type: OrderType) -> Option<&CodeDef> {
        find_code(&self.trouble_codes, code, order_type)
    }

    /// The completion code `code` for `order_type`, if known.
    pub fn completion_code(&self, code: &str, order_type: OrderType) -> Option<&CodeDef> {
        find_code(&self.completion_codes, code, order_type)
    }

    /// The not-done reason `code` for `order_type`, if known.
    pub fn not_done_reason(&self, code: &str, order_type: OrderType) -> Option<&CodeDef> {
        find_code(&self.not_done_reasons, code, order_type)
    }
}

/// The default endpoint flags of an AMR/AMI fleet. Tamper proposes an inspection (the rule does
/// that for any flag raising `tamper`); a sick or damaged endpoint raises `endpoint_problem` for
/// the office to send the radio shop, as no order type repairs endpoints.
pub fn default_endpoint_flags() -> Vec<CodeDef> {
    vec![
        CodeDef::new("tamper", "Endpoint reports tamper").raising("tamper"),
        CodeDef::new("wire_cut", "Endpoint wire cut or unplugged")
            .with_photo()
            .raising("tamper"),
        CodeDef::new("leak", "Continuous flow (leak)").raising("leak"),
        CodeDef::new("reverse_flow", "Reverse flow (backflow)").raising("reverse_flow"),
        CodeDef::new("low_battery", "Low battery").raising("endpoint_problem"),
        CodeDef::new("no_signal", "No radio signal").raising("endpoint_problem"),
        CodeDef::new("damaged", "Endpoint damaged")
            .with_photo()
            .raising("endpoint_problem"),
        CodeDef::new("missing", "Endpoint missing")
            .with_photo()
            .with_note()
            .raising("endpoint_problem"),
    ]
}

/// The default tamper / unauthorized-use inspection checklist, version 1.
fn default_tamper_checklist() -> ChecklistTemplate {
    let question = |id: &str, label: &str, kind: QuestionKind, required: bool| Question {
        id: id.into(),
        label: label.into(),
        kind,
        required,
    };
    ChecklistTemplate {
        id: "tamper".into(),
        version: 1,
        title: "Tamper and unauthorized use".into(),
        questions: vec![
            question("seal_intact", "Seal intact?", QuestionKind::YesNo, true),
            question("meter_present", "Meter present?", QuestionKind::YesNo, true),
            question("bypass_found", "Bypass found?", QuestionKind::YesNo, true),
            question(
                "service_condition",
                "Service condition",
                QuestionKind::Choice(vec!["good".into(), "fair".into(), "poor".into()]),
                true,
            ),
            question("remarks", "Remarks", QuestionKind::Text, false),
        ],
    }
}

impl ReferenceData {
    /// The checklist template `id` at `version`, if delivered.
    pub fn checklist(&self, id: &str, version: u32) -> Option<&ChecklistTemplate> {
        self.checklists
            .iter()
            .find(|t| t.id == id && t.version == version)
    }

    /// The exchange reason `code`, if known.
    pub fn exchange_reason(&self, code: &str) -> Option<&CodeDef> {
        find_code(&self.exchange_reasons, code, OrderType::MeterExchange)
    }

    /// The field-found problem `code`, if known.
    pub fn problem_code(&self, code: &str) -> Option<&CodeDef> {
        find_code(&self.problem_codes, code, OrderType::FieldFound)
    }

    /// The endpoint flag `code` for `order_type`, if known.
    pub fn endpoint_flag(&self, code: &str, order_type: OrderType) -> Option<&CodeDef> {
        find_code(&self.endpoint_flags, code, order_type)
    }

    /// The meter in stock with this serial, if any.
    pub fn stock_meter(&self, serial: &str) -> Option<&StockMeter> {
        self.meter_stock.iter().find(|m| m.serial == serial)
    }
}

impl Default for ReferenceData {
    /// The default water utility reference data ([`ReferenceData::default_water`]).
    fn default() -> Self {
        ReferenceData::default_water()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_set_judges_each_entry_under_the_version_it_recorded() {
        let v3 = ReferenceData {
            version: 3,
            skip_codes: Vec::new(),
            ..ReferenceData::default()
        };
        let set = ReferenceSet::new([std::sync::Arc::new(v3)]);
        let default = ReferenceData::default();
        assert_eq!(
            set.at(default.version),
            &default,
            "the built-in version is always there"
        );
        assert_eq!(set.at(3).version, 3);
        assert!(set.at(3).skip_codes.is_empty());
        assert_eq!(set.current().version, 3);
        // Never published: the newest not newer than it, else the oldest.
        assert_eq!(set.at(2).version, default.version);
        assert_eq!(set.at(9).version, 3);
        assert_eq!(set.at(0).version, default.version);
    }

    #[test]
    fn default_water_has_the_domain_skip_codes() {
        let reference = ReferenceData::default();
        for code in [
            "no_access",
            "dog",
            "locked_gate",
            "vehicle_over_box",
            "meter_buried",
            "meter_not_found",
            "unsafe",
        ] {
            assert!(
                reference.skip_code(code, OrderType::CycleRead).is_some(),
                "{code}"
            );
        }
        assert!(reference.skip_codes.iter().any(|c| c.photo_required));
    }

    #[test]
    fn policy_fields_missing_from_json_take_the_defaults() {
        let policy: Policy =
            serde_json::from_str(r#"{"allow_blank_read": true, "bands": {"very_high_pct": 200}}"#)
                .unwrap_or_default();
        assert!(policy.allow_blank_read);
        assert_eq!(policy.bands.very_high_pct, 200);
        assert_eq!(policy.bands.very_low_pct, 50);
        assert_eq!(policy.max_reader_codes, 3);
    }

    #[test]
    fn service_policy_fields_missing_from_json_take_the_defaults() {
        let policy: Policy = serde_json::from_str(
            r#"{"disconnect": {"cutoff_hour": 14, "moratorium_areas": ["north"]}}"#,
        )
        .unwrap_or_default();
        assert_eq!(policy.disconnect.cutoff_hour, 14);
        assert_eq!(
            policy.disconnect.moratorium_areas,
            vec!["north".to_string()]
        );
        assert_eq!(policy.disconnect.notice_days, 10);
        assert_eq!(policy.seal_format, SealFormat::default());
        assert!(policy.turn_off_seal_required);
    }

    #[test]
    fn reference_data_from_before_the_service_lists_still_reads() {
        let mut json = serde_json::to_value(ReferenceData::default()).unwrap_or_default();
        for key in [
            "exchange_reasons",
            "problem_codes",
            "checklists",
            "meter_stock",
        ] {
            json.as_object_mut().map(|o| o.remove(key));
        }
        let old: ReferenceData = serde_json::from_value(json).expect("older reference data");
        assert!(old.checklists.is_empty() && old.meter_stock.is_empty());
        assert_eq!(old.skip_codes, ReferenceData::default().skip_codes);
    }

    #[test]
    fn reference_data_from_before_endpoint_flags_reads_with_the_default_flags() {
        let mut json = serde_json::to_value(ReferenceData::default()).unwrap_or_default();
        json.as_object_mut().map(|o| o.remove("endpoint_flags"));
        let old: ReferenceData = serde_json::from_value(json).expect("older reference data");
        assert_eq!(old.endpoint_flags, default_endpoint_flags());
        assert!(
            old.endpoint_flag("tamper", OrderType::CycleRead)
                .is_some_and(|c| c.flag.as_deref() == Some("tamper"))
        );
        let none: ReferenceData = serde_json::from_value(serde_json::json!({
            "version": 2, "skip_codes": [], "reader_codes": [], "trouble_codes": [],
            "completion_codes": [], "not_done_reasons": [], "endpoint_flags": []
        }))
        .expect("reference data without endpoint flags");
        assert!(none.endpoint_flags.is_empty(), "an explicit [] is kept");
    }

    #[test]
    fn codes_restricted_to_a_type_are_unknown_elsewhere() {
        let reference = ReferenceData::default();
        assert!(
            reference
                .completion_code("read", OrderType::CycleRead)
                .is_some()
        );
        assert!(
            reference
                .completion_code("read", OrderType::TurnOn)
                .is_none()
        );
    }
}
