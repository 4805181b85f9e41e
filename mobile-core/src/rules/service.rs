//! Steps service orders share: the meter's serial must be the order's meter, a reading after
//! service was off flags `usage_while_off`, and a moving leak indicator is handled as the
//! utility's policy says.

use crate::capture::{Capture, LeakResolution};
use crate::model::OrderType;
use crate::outcome::{Flag, Refusal};
use crate::reference::LeakCheckPolicy;
use crate::rules::{Rule, cycle_read};

/// Flag: the register moved while service was off (turn-on, reconnect).
pub(crate) const USAGE_WHILE_OFF: &str = "usage_while_off";
/// Flag: the leak indicator moved with the fixtures off.
pub(crate) const LEAK: &str = "leak";

/// Serials compare without case or surrounding spaces (badges are keyed by hand).
pub(crate) fn same_serial(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

rule! {
    /// `service.serial`: the serial read off the meter is the order's meter.
    Serial = "service.serial" on ["capture"], |id, input, _out| {
        let Some(Capture::MeterVerified { serial }) = input.action.capture() else {
            return Ok(());
        };
        let Some(meter) = input.record.office.meter.as_ref() else {
            return Err(Refusal::new(id, "capture.serial", "This order names no meter to verify; call the office."));
        };
        if same_serial(serial, &meter.serial) {
            return Ok(());
        }
        Err(Refusal::new(
            id,
            "capture.serial",
            "The serial does not match the order's meter. Check the badge; if it really \
             differs, record a \"serial does not match\" trouble code and call the office.",
        ))
    }
}

rule! {
    /// `service.usage_while_off`: never refuses; on a turn-on or reconnect, a reading above the
    /// read taken when service was shut off flags use while it was off.
    UsageWhileOff = "service.usage_while_off" on ["reading"], |id, input, out| {
        if !matches!(input.order_type(), OrderType::TurnOn | OrderType::Reconnect) {
            return Ok(());
        }
        for read in cycle_read::read_facts(input)? {
            if read.consumption.is_some_and(|c| c > 0) && !read.negative {
                out.flags.push(Flag {
                    code: USAGE_WHILE_OFF.to_string(),
                    register: Some(read.register),
                    detail: Some("the register moved while service was off".into()),
                });
            }
        }
        Ok(())
    }
}

rule! {
    /// `service.leak_check`: a moving indicator needs the resolution the policy asks for (leave
    /// service off, or notify the customer), and is flagged `leak`.
    LeakCheck = "service.leak_check" on ["capture"], |id, input, out| {
        let Some(Capture::LeakCheck { indicator_moving, resolution }) = input.action.capture() else {
            return Ok(());
        };
        if !indicator_moving {
            return Ok(());
        }
        let (wanted, words) = match input.reference.policy.leak_check {
            LeakCheckPolicy::LeaveOff => (LeakResolution::LeftOff, "leave service off"),
            LeakCheckPolicy::Notify => (LeakResolution::CustomerNotified, "notify the customer"),
        };
        if *resolution != Some(wanted) {
            return Err(Refusal::new(
                id,
                "capture.resolution",
                format!("The leak indicator is moving: the utility's policy is to {words}. Record that."),
            ));
        }
        out.flags.push(Flag {
            detail: Some("leak indicator moving at service on".into()),
            ..Flag::new(LEAK)
        });
        Ok(())
    }
}

/// The service steps, in the order they run.
pub(super) static RULES: &[&dyn Rule] = &[&Serial, &UsageWhileOff, &LeakCheck];
