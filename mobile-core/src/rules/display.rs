//! The hidden-limits display policy: the device always checks the limits offline, but a reader's
//! handheld does not show them when the utility hides them (a reader who knows the window can
//! "read" into it without looking at the meter).

use crate::model::{Register, Role};
use crate::reference::Policy;

/// The limits `(low, high)` to show `role` for `register`, or `None` when they must not be shown
/// (hidden from readers by policy) or the register has no limits. A missing low limit shows as 0
/// and a missing high limit as full scale.
pub fn display_limits(register: &Register, policy: &Policy, role: Role) -> Option<(f64, f64)> {
    if policy.hide_limits_from_readers && role == Role::Reader {
        return None;
    }
    if register.low_limit.is_none() && register.high_limit.is_none() {
        return None;
    }
    Some((
        register.low_limit.unwrap_or(0.0),
        register.high_limit.unwrap_or_else(|| register.full_scale()),
    ))
}

/// Limits may appear in a refusal message: the engine does not know the acting user's role, so
/// it shows them only when the policy shows them to every role.
pub(crate) fn limits_in_messages(policy: &Policy) -> bool {
    !policy.hide_limits_from_readers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn register() -> Register {
        Register {
            number: 1,
            dials_left: 4,
            dials_right: 0,
            multiplier: 1,
            unit: "CCF".into(),
            previous_read: Some(100.0),
            previous_read_at: None,
            low_limit: Some(110.0),
            high_limit: None,
        }
    }

    #[test]
    fn readers_do_not_see_hidden_limits_but_inspectors_do() {
        let policy = Policy::default();
        assert!(policy.hide_limits_from_readers);
        assert_eq!(display_limits(&register(), &policy, Role::Reader), None);
        assert_eq!(
            display_limits(&register(), &policy, Role::Inspector),
            Some((110.0, 10_000.0))
        );
        let open = Policy {
            hide_limits_from_readers: false,
            ..Policy::default()
        };
        assert!(display_limits(&register(), &open, Role::Reader).is_some());
    }

    #[test]
    fn no_limits_shows_nothing() {
        let mut r = register();
        r.low_limit = None;
        assert_eq!(display_limits(&r, &Policy::default(), Role::Admin), None);
    }
}
