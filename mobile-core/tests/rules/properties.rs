//! Laws of the reading rules over random registers and keyed text: the engine never panics on
//! what a crew can type, hidden limits never reach a message or flag, and consumption is exact
//! (current − previous, or through full scale on a rollover).

use crate::fixtures::*;
use fieldline_core::reference::ReferenceData;
use fieldline_core::*;
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000)
}

fn account() -> impl Strategy<Value = AccountStatus> {
    prop_oneof![
        Just(AccountStatus::Active),
        Just(AccountStatus::Inactive),
        Just(AccountStatus::Locked),
    ]
}

/// The text of every refusal message and flag detail the action produces.
fn texts(result: &Result<Assessment, Refusal>) -> Vec<String> {
    match result {
        Err(refusal) => vec![refusal.message.clone()],
        Ok(assessment) => assessment
            .flags
            .iter()
            .filter_map(|f| f.detail.clone())
            .collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn hidden_limits_never_reach_a_message(
        value in "[0-9]{0,6}(\\.[0-9]{0,2})?",
        rekey in proptest::option::of("[0-9]{1,6}"),
        same_rekey in any::<bool>(),
        photo_count in 0usize..2,
        note in proptest::option::of("[a-z ]{0,6}"),
        previous in proptest::option::of(0u32..99_999),
        low in 1_000u32..90_000,
        span in 1u32..9_000,
        status in account(),
    ) {
        let (low, high) = (low, low + span);
        // Digits that appear in messages anyway (full scale 100000, dials 5) are not a leak.
        prop_assume!(!"100000".contains(&low.to_string()) && !"100000".contains(&high.to_string()));
        let register = register(
            1,
            (5, 0),
            previous.map(f64::from),
            (Some(f64::from(low)), Some(f64::from(high))),
        );
        let order = record(office(vec![register], status), vec![]);
        let confirmation = if same_rekey { Some(value.clone()) } else { rekey };
        let action = reading(
            vec![input(1, &value, confirmation.as_deref())],
            photo_count,
            note.as_deref(),
        );
        let result = check_on(&order, Status::OnSite, &action, &ReferenceData::default());
        for text in texts(&result) {
            prop_assert!(
                !text.contains(&low.to_string()) && !text.contains(&high.to_string()),
                "{text:?} leaks {low} or {high}"
            );
        }
    }

    #[test]
    fn consumption_is_exact(
        dials_left in 1u32..7,
        dials_right in 0u32..4,
        previous_frac in 0.0f64..1.0,
        current_frac in 0.0f64..1.0,
        multiplier in 1u32..100,
    ) {
        let scale = 10i64.pow(dials_right);
        let full = 10i64.pow(dials_left) * scale;
        // Previous and current in units of the last dial.
        let previous = ((previous_frac * full as f64) as i64).min(full - 1);
        let current = ((current_frac * full as f64) as i64).min(full - 1);
        let mut register = register(
            1,
            (dials_left, dials_right),
            Some(previous as f64 / scale as f64),
            (None, None),
        );
        register.multiplier = multiplier;
        let order = record(office(vec![register], AccountStatus::Active), vec![]);
        let keyed = if dials_right == 0 {
            format!("{current}")
        } else {
            format!(
                "{}.{:0width$}",
                current / scale,
                current % scale,
                width = dials_right as usize
            )
        };
        let action = reading(vec![input(1, &keyed, Some(&keyed))], 1, Some("checked"));
        let assessment = check_on(&order, Status::OnSite, &action, &ReferenceData::default());
        prop_assert!(assessment.is_ok(), "{keyed}: {assessment:?}");
        let outcome = assessment.map(|a| a.readings[0].clone()).map_err(|e| e.to_string());
        let outcome = outcome.map_err(TestCaseError::fail)?;
        let expected = if outcome.validation == Validation::Rollover {
            full - previous + current
        } else {
            current - previous
        };
        let units = |v: Option<f64>| v.map(|v| (v * scale as f64).round() as i64);
        prop_assert_eq!(units(outcome.consumption), Some(expected));
        prop_assert_eq!(units(outcome.billed), Some(expected * i64::from(multiplier)));
        prop_assert_eq!(units(Some(outcome.value)), Some(current));
        if current < previous {
            let rollover = previous * 10 >= full * 9 && current * 10 < full;
            prop_assert_eq!(outcome.validation == Validation::Rollover, rollover);
        }
    }
}
