//! Keyed readings as fixed-point integers (units of 10^-dials_right), so digit checks,
//! comparisons and consumption are exact: no float drift between device and server.

/// Most dials (left + right) a register may have; keeps every product well inside `i128`.
pub(crate) const MAX_DIALS: u32 = 30;

/// Why a keyed value is not a reading of this register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// Nothing keyed.
    Empty,
    /// Something other than digits and one decimal point.
    NotDigits,
    /// More digits left of the decimal than the register has dials (with leading zeros).
    TooManyLeft,
    /// More digits right of the decimal than the register has dials.
    TooManyRight,
    /// The value is at or above full scale (10^dials_left).
    FullScale,
}

/// 10^exp as an integer (`exp` ≤ [`MAX_DIALS`]).
pub(crate) fn pow10(exp: u32) -> i128 {
    10i128.pow(exp.min(MAX_DIALS))
}

/// Parses a keyed value into units of 10^-dials_right. Surrounding spaces are ignored; leading
/// zeros count as digits (the dials show them).
pub(crate) fn parse(text: &str, dials_left: u32, dials_right: u32) -> Result<i128, ParseError> {
    let (dials_left, dials_right) = (dials_left.min(MAX_DIALS), dials_right.min(MAX_DIALS));
    let text = text.trim();
    let (left, right) = match text.split_once('.') {
        Some((l, r)) => (l, r),
        None => (text, ""),
    };
    if left.is_empty() && right.is_empty() {
        return Err(if text.is_empty() {
            ParseError::Empty
        } else {
            ParseError::NotDigits
        });
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(left) || !digits(right) {
        return Err(ParseError::NotDigits);
    }
    let significant = left.trim_start_matches('0');
    if significant.len() > dials_left as usize {
        return Err(ParseError::FullScale);
    }
    if left.len() > dials_left as usize {
        return Err(ParseError::TooManyLeft);
    }
    if right.len() > dials_right as usize {
        return Err(ParseError::TooManyRight);
    }
    let whole = to_int(significant);
    let frac = to_int(right) * pow10(dials_right - right.len() as u32);
    Ok(whole * pow10(dials_right) + frac)
}

/// Digits (at most [`MAX_DIALS`] of them, already checked) as an integer.
fn to_int(digits: &str) -> i128 {
    digits
        .bytes()
        .fold(0i128, |acc, b| acc * 10 + i128::from(b - b'0'))
}

/// A register value from the office (previous read, limit) in units of 10^-dials_right,
/// rounded to the nearest unit; `None` when it is not a finite, non-negative number in range.
pub(crate) fn from_f64(value: f64, dials_right: u32) -> Option<i128> {
    let scaled = (value * pow10(dials_right) as f64).round();
    (0.0..1e36).contains(&scaled).then_some(scaled as i128)
}

/// Units of 10^-dials_right back to register units, for outcomes.
pub(crate) fn to_f64(units: i128, dials_right: u32) -> f64 {
    units as f64 / pow10(dials_right) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_values_parse_exactly() {
        let cases: &[(&str, u32, u32, Result<i128, ParseError>)] = &[
            ("1050", 5, 0, Ok(1050)),
            ("04821.3", 5, 1, Ok(48213)),
            ("4821.3", 5, 2, Ok(482130)),
            (".5", 5, 1, Ok(5)),
            ("7.", 5, 1, Ok(70)),
            (" 12 ", 5, 0, Ok(12)),
            ("99999", 5, 0, Ok(99999)),
            ("", 5, 0, Err(ParseError::Empty)),
            (".", 5, 1, Err(ParseError::NotDigits)),
            ("12a", 5, 0, Err(ParseError::NotDigits)),
            ("-12", 5, 0, Err(ParseError::NotDigits)),
            ("1.2.3", 5, 2, Err(ParseError::NotDigits)),
            ("1e3", 5, 0, Err(ParseError::NotDigits)),
            ("000123", 5, 0, Err(ParseError::TooManyLeft)),
            ("100000", 5, 0, Err(ParseError::FullScale)),
            ("12.34", 5, 1, Err(ParseError::TooManyRight)),
            ("12.3", 5, 0, Err(ParseError::TooManyRight)),
        ];
        for (text, left, right, expected) in cases {
            assert_eq!(parse(text, *left, *right), *expected, "{text:?}");
        }
    }

    #[test]
    fn office_values_round_to_units() {
        assert_eq!(from_f64(1000.0, 0), Some(1000));
        assert_eq!(from_f64(0.1 + 0.2, 1), Some(3));
        assert_eq!(from_f64(-1.0, 0), None);
        assert_eq!(from_f64(f64::NAN, 0), None);
        assert_eq!(to_f64(48213, 1), 4821.3);
    }
}
