//! Plausibility of the device's claims (its clock and GPS). A wrong clock or a capture away from
//! the premise is something for the office to look at, never a reason to refuse field work.

use crate::model::{GeoPoint, Timestamp};
use crate::outcome::{Assessment, Flag, Refusal};
use crate::reference::Policy;
use crate::rules::{Input, Rule};

/// Flag: the device's clock claims a time before the order existed.
pub(crate) const IMPLAUSIBLE_DEVICE_TIME: &str = "implausible_device_time";
/// Flag: the action was captured away from the premise.
pub(crate) const OFF_SITE_CAPTURE: &str = "off_site_capture";

/// `common.device_time`: flags a device time earlier than the order's creation (beyond the
/// policy's clock tolerance).
pub(super) struct DeviceTime;

impl Rule for DeviceTime {
    fn id(&self) -> &'static str {
        "common.device_time"
    }

    fn actions(&self) -> &'static [&'static str] {
        &[]
    }

    fn check(&self, input: &Input<'_>, out: &mut Assessment) -> Result<(), Refusal> {
        let tolerance = input.reference.policy.device_clock_tolerance_ms.max(0);
        let created = input.record.office.created_at.0;
        if input.context.device_time.0 < created.saturating_sub(tolerance) {
            out.flags.push(Flag {
                detail: Some("the handheld's clock is earlier than the order's creation".into()),
                ..Flag::new(IMPLAUSIBLE_DEVICE_TIME)
            });
        }
        Ok(())
    }
}

/// `common.off_site`: flags an on-site action whose GPS fix is farther from the premise than the
/// policy's distance, even allowing for the fix's stated accuracy.
pub(super) struct OffSite;

impl Rule for OffSite {
    fn id(&self) -> &'static str {
        "common.off_site"
    }

    fn actions(&self) -> &'static [&'static str] {
        &[
            "arrive", "start", "reading", "skip", "capture", "photo", "complete", "not_done",
        ]
    }

    fn check(&self, input: &Input<'_>, out: &mut Assessment) -> Result<(), Refusal> {
        let Some(fix) = input.context.gps else {
            return Ok(());
        };
        let Some(premise) = input
            .record
            .office
            .premise
            .as_ref()
            .and_then(|p| p.location)
        else {
            return Ok(());
        };
        let distance = haversine_m(fix.point, premise);
        let accuracy = if fix.accuracy_m.is_finite() {
            fix.accuracy_m.max(0.0)
        } else {
            0.0
        };
        if distance - accuracy > input.reference.policy.off_site_distance_m {
            out.flags.push(Flag {
                detail: Some(format!(
                    "{} captured {:.0} m from the premise",
                    input.action.name(),
                    distance
                )),
                ..Flag::new(OFF_SITE_CAPTURE)
            });
        }
        Ok(())
    }
}

/// For the server, which knows when it received an entry: flags a device time further ahead of
/// the receipt than the policy's clock tolerance (an entry cannot be made after it arrived).
pub fn receipt_time_flag(
    device_time: Timestamp,
    received_at: Timestamp,
    policy: &Policy,
) -> Option<Flag> {
    let tolerance = policy.device_clock_tolerance_ms.max(0);
    (device_time.0 > received_at.0.saturating_add(tolerance)).then(|| Flag {
        detail: Some("the handheld's clock is ahead of the server's receipt".into()),
        ..Flag::new(IMPLAUSIBLE_DEVICE_TIME)
    })
}

/// Great-circle distance in metres (mean earth radius); good to well under a metre at the
/// distances that matter here.
pub(crate) fn haversine_m(a: GeoPoint, b: GeoPoint) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_008.8;
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let d_lat = lat2 - lat1;
    let d_lon = (b.lon - a.lon).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let d = haversine_m(
            GeoPoint { lat: 0.0, lon: 0.0 },
            GeoPoint { lat: 1.0, lon: 0.0 },
        );
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
    }

    #[test]
    fn device_time_ahead_of_receipt_is_flagged() {
        let policy = Policy::default();
        let received = Timestamp(1_000_000_000);
        let ahead = Timestamp(received.0 + policy.device_clock_tolerance_ms + 1);
        assert!(receipt_time_flag(ahead, received, &policy).is_some());
        assert!(receipt_time_flag(received, received, &policy).is_none());
        assert!(receipt_time_flag(Timestamp(received.0 - 1), received, &policy).is_none());
    }

    #[test]
    fn same_point_is_zero() {
        let p = GeoPoint {
            lat: 44.9778,
            lon: -93.265,
        };
        assert_eq!(haversine_m(p, p), 0.0);
    }
}
