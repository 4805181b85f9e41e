//! The cycle-read reading rules as one table: each row sets up a register, keys a value (and
//! maybe a re-key, photos, a note) and states the outcome or the refusal (rule, field, need).

use crate::fixtures::*;
use fieldline_core::reference::ReferenceData;
use fieldline_core::rules::{Severity, worst_validation};
use fieldline_core::*;

/// What a row expects.
enum Expect {
    /// Accepted with this validation, consumption, billed quantity and flags.
    Ok(
        Validation,
        Option<f64>,
        Option<f64>,
        &'static [&'static str],
    ),
    /// Refused by this rule on this field, needing this.
    Err(&'static str, &'static str, Option<Need>),
}

struct Row {
    name: &'static str,
    register: Register,
    multiplier: u32,
    account: AccountStatus,
    value: &'static str,
    confirmation: Option<&'static str>,
    photos: usize,
    note: Option<&'static str>,
    /// Changes to the default reference data.
    tweak: fn(&mut ReferenceData),
    expect: Expect,
}

fn no_tweak(_: &mut ReferenceData) {}

/// A row on the usual register (previous 1000, limits 1010..1100), active account.
fn row(name: &'static str, value: &'static str, expect: Expect) -> Row {
    Row {
        name,
        register: usual_register(),
        multiplier: 1,
        account: AccountStatus::Active,
        value,
        confirmation: None,
        photos: 0,
        note: None,
        tweak: no_tweak,
        expect,
    }
}

impl Row {
    fn rekey(mut self, confirmation: &'static str) -> Self {
        self.confirmation = Some(confirmation);
        self
    }
    fn photo(mut self) -> Self {
        self.photos = 1;
        self
    }
    fn note(mut self, note: &'static str) -> Self {
        self.note = Some(note);
        self
    }
    fn on(mut self, register: Register) -> Self {
        self.register = register;
        self
    }
    fn account(mut self, status: AccountStatus) -> Self {
        self.account = status;
        self
    }
    fn multiplier(mut self, m: u32) -> Self {
        self.multiplier = m;
        self
    }
    fn tweak(mut self, tweak: fn(&mut ReferenceData)) -> Self {
        self.tweak = tweak;
        self
    }
}

use Expect::{Err as Refused, Ok as Accepted};
use Need::{BlindConfirmation, Confirmation, Note, Photo};

const VALUE: &str = "readings[0].value";
const CONFIRMATION: &str = "readings[0].confirmation";

fn rollover_register() -> Register {
    // Previous 99950 on 5 dials; expected use 10..100, so the high limit wrapped to 50.
    register(1, (5, 0), Some(99_950.0), (Some(99_960.0), Some(50.0)))
}

fn decimal_register() -> Register {
    register(1, (4, 1), Some(1000.0), (Some(1010.0), Some(1100.0)))
}

fn no_limits() -> Register {
    register(1, (5, 0), Some(1000.0), (None, None))
}

fn no_previous() -> Register {
    register(1, (5, 0), None, (Some(1010.0), Some(1100.0)))
}

#[rustfmt::skip]
fn rows() -> Vec<Row> {
    vec![
        // Rule 1: dials and full scale.
        row("normal read", "1050", Accepted(Validation::Normal, Some(50.0), Some(50.0), &[])),
        row("leading zeros within the dials", "01050", Accepted(Validation::Normal, Some(50.0), Some(50.0), &[])),
        row("too many digits left (leading zeros)", "001050", Refused("cycle_read.dials", VALUE, None)),
        row("digits right on a register without decimals", "1050.5", Refused("cycle_read.dials", VALUE, None)),
        row("too many digits right", "1050.25", Refused("cycle_read.dials", VALUE, None)).on(decimal_register()),
        row("decimal read is exact", "1050.3", Accepted(Validation::Normal, Some(50.3), Some(50.3), &[])).on(decimal_register()),
        row("letters", "10a0", Refused("cycle_read.dials", VALUE, None)),
        row("minus sign", "-5", Refused("cycle_read.dials", VALUE, None)),
        row("two decimal points", "10.5.0", Refused("cycle_read.dials", VALUE, None)).on(decimal_register()),
        row("blank", " ", Refused("cycle_read.dials", VALUE, None)),
        row("at full scale", "100000", Refused("cycle_read.full_scale", VALUE, None)),
        // Rule 2: rollover.
        row("rollover without re-key", "30", Refused("cycle_read.rollover", CONFIRMATION, Some(BlindConfirmation))).on(rollover_register()),
        row("rollover with re-key", "30", Accepted(Validation::Rollover, Some(80.0), Some(80.0), &["rollover_read"])).on(rollover_register()).rekey("30"),
        row("rollover re-key with leading zeros matches", "30", Accepted(Validation::Rollover, Some(80.0), Some(80.0), &["rollover_read"])).on(rollover_register()).rekey("00030"),
        row("rollover re-key mismatch", "30", Refused("cycle_read.blind_rekey_mismatch", CONFIRMATION, Some(BlindConfirmation))).on(rollover_register()).rekey("31"),
        row("forward read under a wrapped high limit", "99990", Accepted(Validation::Normal, Some(40.0), Some(40.0), &[])).on(rollover_register()),
        row("rollover far past the wrapped limit", "5000", Accepted(Validation::VeryHigh, Some(5050.0), Some(5050.0), &["very_high_read", "rollover_read"])).on(rollover_register()).rekey("5000").photo(),
        // Rule 2: negative needs a re-key, then a photo, then a note.
        row("negative without re-key", "900", Refused("cycle_read.negative", CONFIRMATION, Some(BlindConfirmation))),
        row("negative without photo", "900", Refused("cycle_read.negative", "photos", Some(Photo))).rekey("900"),
        row("negative without note", "900", Refused("cycle_read.negative", "note", Some(Note))).rekey("900").photo(),
        row("negative with blank note", "900", Refused("cycle_read.negative", "note", Some(Note))).rekey("900").photo().note("  "),
        row("negative with re-key, photo and note", "900", Accepted(Validation::Negative, Some(-100.0), Some(-100.0), &["negative_read"])).rekey("900").photo().note("meter looks new"),
        row("small previous, small current is negative not rollover", "5", Refused("cycle_read.negative", CONFIRMATION, Some(BlindConfirmation))).on(register(1, (5, 0), Some(50_000.0), (None, None))),
        // Rule 3: multiplier.
        row("billed is consumption times multiplier", "1050", Accepted(Validation::Normal, Some(50.0), Some(500.0), &[])).multiplier(10),
        // Rule 4: bands. Expected use 10..100: high > 100, very high > 200, low < 10, very low < 5.
        row("high without re-key", "1150", Refused("cycle_read.limits", CONFIRMATION, Some(BlindConfirmation))),
        row("high with re-key, no photo", "1150", Refused("cycle_read.out_of_range_photo", "photos", Some(Photo))).rekey("1150"),
        row("high with re-key and photo", "1150", Accepted(Validation::High, Some(150.0), Some(150.0), &["high_read"])).rekey("1150").photo(),
        row("exactly at the high limit is normal", "1100", Accepted(Validation::Normal, Some(100.0), Some(100.0), &[])),
        row("decimal read exactly at the high limit", "1100.0", Accepted(Validation::Normal, Some(100.0), Some(100.0), &[])).on(decimal_register()),
        row("decimal read one tenth over the high limit", "1100.1", Refused("cycle_read.limits", CONFIRMATION, Some(BlindConfirmation))).on(decimal_register()),
        row("very high without re-key", "1300", Refused("cycle_read.limits", CONFIRMATION, Some(BlindConfirmation))),
        row("very high with re-key and photo", "1300", Accepted(Validation::VeryHigh, Some(300.0), Some(300.0), &["very_high_read"])).rekey("1300").photo(),
        row("low without re-key", "1008", Refused("cycle_read.limits", CONFIRMATION, Some(BlindConfirmation))),
        row("low with re-key and photo", "1008", Accepted(Validation::Low, Some(8.0), Some(8.0), &["low_read"])).rekey("1008").photo(),
        row("very low with re-key and photo", "1003", Accepted(Validation::VeryLow, Some(3.0), Some(3.0), &["very_low_read"])).rekey("1003").photo(),
        row("high re-key mismatch", "1150", Refused("cycle_read.blind_rekey_mismatch", CONFIRMATION, Some(BlindConfirmation))).rekey("1151").photo(),
        row("re-key mismatch on a normal read", "1050", Refused("cycle_read.blind_rekey_mismatch", CONFIRMATION, Some(BlindConfirmation))).rekey("1005"),
        row("unreadable re-key is a mismatch", "1050", Refused("cycle_read.blind_rekey_mismatch", CONFIRMATION, Some(BlindConfirmation))).rekey("1O50"),
        row("out of range without photo when policy allows", "1150", Accepted(Validation::High, Some(150.0), Some(150.0), &["high_read"])).rekey("1150").tweak(|r| r.policy.photo_for_out_of_range = false),
        row("wider high band", "1150", Accepted(Validation::Normal, Some(150.0), Some(150.0), &[])).tweak(|r| r.policy.bands.high_pct = 60),
        row("no previous read: above the high limit", "1200", Accepted(Validation::High, None, None, &["high_read"])).on(no_previous()).rekey("1200").photo(),
        row("no previous read: inside the limits", "1050", Accepted(Validation::Normal, None, None, &[])).on(no_previous()),
        row("no previous read and no limits", "1050", Accepted(Validation::Unchecked, None, None, &[])).on(register(1, (5, 0), None, (None, None))),
        // Rule 5: zero and use on inactive or locked accounts.
        row("zero on an active account needs confirmation", "1000", Refused("cycle_read.zero_consumption", CONFIRMATION, Some(Confirmation))).on(no_limits()),
        row("zero on an active account confirmed", "1000", Accepted(Validation::Zero, Some(0.0), Some(0.0), &["zero_read"])).on(no_limits()).rekey("1000"),
        row("zero below the low limit is very low", "1000", Refused("cycle_read.limits", CONFIRMATION, Some(BlindConfirmation))),
        row("zero on an inactive account", "1000", Accepted(Validation::Zero, Some(0.0), Some(0.0), &[])).on(no_limits()).account(AccountStatus::Inactive),
        row("use on an inactive account", "1050", Accepted(Validation::Normal, Some(50.0), Some(50.0), &["unauthorized_use"])).account(AccountStatus::Inactive),
        row("use on a locked account", "1020", Accepted(Validation::Normal, Some(20.0), Some(20.0), &["unauthorized_use"])).account(AccountStatus::Locked),
        // A register the meter does not have.
        row("unknown register", "1050", Refused("cycle_read.register", "readings[0].register", None)).on(register(2, (5, 0), Some(1000.0), (None, None))),
    ]
}

#[test]
fn cycle_read_reading_rules_table() {
    let mut failures = Vec::new();
    for row in rows() {
        let mut register = row.register.clone();
        register.multiplier = row.multiplier;
        // The reading is for register 1; a row with another register tests "no such register".
        let order = record(office(vec![register], row.account), vec![]);
        let mut reference = ReferenceData::default();
        (row.tweak)(&mut reference);
        let action = reading(
            vec![input(1, row.value, row.confirmation)],
            row.photos,
            row.note,
        );
        let got = check_on(&order, Status::OnSite, &action, &reference);
        let problem = match (&row.expect, &got) {
            (Accepted(validation, consumption, billed, flags), Ok(assessment)) => {
                let outcome = &assessment.readings[0];
                let actual = (
                    outcome.validation,
                    outcome.consumption,
                    outcome.billed,
                    flag_codes(assessment),
                );
                let expected = (*validation, *consumption, *billed, flags.to_vec());
                (actual != expected).then(|| format!("expected {expected:?}, got {actual:?}"))
            }
            (Refused(rule, field, needs), Err(refusal)) => {
                let actual = (refusal.rule.as_str(), refusal.field.as_str(), refusal.needs);
                (actual != (*rule, *field, *needs))
                    .then(|| format!("expected {:?}, got {refusal:?}", (rule, field, needs)))
            }
            (_, got) => Some(format!("unexpected {got:?}")),
        };
        if let Some(problem) = problem {
            failures.push(format!("{}: {problem}", row.name));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn accepted_reading_records_the_reading_and_confirmation() {
    let order = record(
        office(vec![usual_register()], AccountStatus::Active),
        vec![],
    );
    let action = reading(vec![input(1, "01150", Some("1150"))], 1, None);
    let assessment =
        check_on(&order, Status::OnSite, &action, &ReferenceData::default()).expect("accepted");
    let outcome = &assessment.readings[0];
    assert_eq!(outcome.register, 1);
    assert_eq!(outcome.value, 1150.0);
    assert!(outcome.confirmed);
}

fn two_registers() -> Vec<Register> {
    vec![
        usual_register(),
        register(2, (4, 1), Some(500.0), (Some(501.0), Some(520.0))),
    ]
}

#[test]
fn worst_register_sets_the_severity() {
    let order = record(office(two_registers(), AccountStatus::Active), vec![]);
    // Register 1 high (150 over an expected 10..100), register 2 very high (50.0 over 1..20).
    let action = reading(
        vec![
            input(1, "1150", Some("1150")),
            input(2, "550.0", Some("550")),
        ],
        1,
        None,
    );
    let assessment =
        check_on(&order, Status::OnSite, &action, &ReferenceData::default()).expect("accepted");
    let validations: Vec<Validation> = assessment.readings.iter().map(|r| r.validation).collect();
    assert_eq!(validations, vec![Validation::High, Validation::VeryHigh]);
    assert_eq!(
        worst_validation(&assessment.readings),
        Some(Validation::VeryHigh)
    );
    assert!(Validation::VeryHigh.severity() > Validation::High.severity());
    assert!(Validation::Negative.severity() > Validation::VeryHigh.severity());
    assert!(Validation::High.severity() > Validation::Normal.severity());
    let flags: Vec<(&str, Option<u32>)> = assessment
        .flags
        .iter()
        .map(|f| (f.code.as_str(), f.register))
        .collect();
    assert_eq!(
        flags,
        vec![("high_read", Some(1)), ("very_high_read", Some(2))]
    );
}

#[test]
fn refusal_names_the_register_that_needs_fixing() {
    let order = record(office(two_registers(), AccountStatus::Active), vec![]);
    let action = reading(
        vec![input(1, "1050", None), input(2, "550.0", None)],
        0,
        None,
    );
    let refusal = check_on(&order, Status::OnSite, &action, &ReferenceData::default())
        .expect_err("register 2 is out of range");
    assert_eq!(refusal.rule, "cycle_read.limits");
    assert_eq!(refusal.field, "readings[1].confirmation");
    assert!(
        refusal.message.contains("Register 2"),
        "{}",
        refusal.message
    );

    let twice = reading(
        vec![input(1, "1050", None), input(1, "1050", None)],
        0,
        None,
    );
    let refusal = check_on(&order, Status::OnSite, &twice, &ReferenceData::default())
        .expect_err("register 1 twice");
    assert_eq!(
        (refusal.rule.as_str(), refusal.field.as_str()),
        ("cycle_read.register", "readings[1].register")
    );
}

#[test]
fn rekey_mismatch_message_never_shows_the_first_entry() {
    let order = record(
        office(vec![usual_register()], AccountStatus::Active),
        vec![],
    );
    let action = reading(vec![input(1, "1187", Some("1178"))], 1, None);
    let refusal =
        check_on(&order, Status::OnSite, &action, &ReferenceData::default()).expect_err("mismatch");
    assert_eq!(refusal.rule, "cycle_read.blind_rekey_mismatch");
    assert!(!refusal.message.contains("1187"), "{}", refusal.message);
    assert!(!refusal.message.contains("1178"), "{}", refusal.message);
}

/// Out-of-range situations whose refusals must not leak hidden limits.
fn leak_cases() -> Vec<(Register, ReadingInput, usize)> {
    let limits = (Some(4321.0), Some(8765.0));
    vec![
        (
            register(1, (5, 0), Some(4000.0), limits),
            input(1, "9999", None),
            0,
        ),
        (
            register(1, (5, 0), Some(4000.0), limits),
            input(1, "9999", Some("9999")),
            0,
        ),
        (
            register(1, (5, 0), Some(4000.0), limits),
            input(1, "4010", None),
            0,
        ),
        (
            register(1, (5, 0), Some(4000.0), limits),
            input(1, "4010", Some("4010")),
            0,
        ),
        (
            register(1, (5, 0), Some(4000.0), limits),
            input(1, "4010", Some("4011")),
            0,
        ),
        (register(1, (5, 0), None, limits), input(1, "9000", None), 0),
        (
            register(1, (5, 0), None, limits),
            input(1, "100", Some("100")),
            0,
        ),
        (
            register(1, (5, 0), Some(4000.0), limits),
            input(1, "3000", Some("3000")),
            1,
        ),
    ]
}

fn leak_messages(reference: &ReferenceData) -> Vec<String> {
    let mut out = Vec::new();
    for (register, input, photos) in leak_cases() {
        let order = record(office(vec![register], AccountStatus::Active), vec![]);
        let action = reading(vec![input], photos, None);
        match check_on(&order, Status::OnSite, &action, reference) {
            Err(refusal) => out.push(refusal.message),
            Ok(assessment) => out.extend(assessment.flags.iter().filter_map(|f| f.detail.clone())),
        }
    }
    out
}

#[test]
fn hidden_limits_never_appear_in_messages() {
    let hidden = ReferenceData::default();
    assert!(hidden.policy.hide_limits_from_readers);
    let messages = leak_messages(&hidden);
    assert!(messages.len() >= 6, "{messages:?}");
    for message in &messages {
        assert!(
            !message.contains("4321") && !message.contains("8765"),
            "leaks a limit: {message}"
        );
    }
    // The check above can see a leak: with limits shown, the refusals name them.
    let mut shown = ReferenceData::default();
    shown.policy.hide_limits_from_readers = false;
    assert!(
        leak_messages(&shown).iter().any(|m| m.contains("8765")),
        "limits shown by policy appear in messages"
    );
}
