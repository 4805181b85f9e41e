//! Disconnect notice delivery: posted, handed to an adult (named) or refused, with a photo and
//! a GPS fix; the entry's device time starts the notice period.

use crate::capture::{Capture, NoticeMethod};
use crate::outcome::{Need, Refusal};
use crate::rules::work::{Work, missing};
use crate::rules::{Rule, is_blank};

rule! {
    /// `notice.recipient`: a notice handed to an adult names them.
    Recipient = "notice.recipient" on ["capture"], |id, input, _out| {
        match input.action.capture() {
            Some(Capture::NoticeDelivered { method: NoticeMethod::HandedToAdult, recipient })
                if is_blank(recipient.as_deref()) =>
            {
                Err(Refusal::new(id, "capture.recipient", "Key the name of the adult who took the notice."))
            }
            _ => Ok(()),
        }
    }
}

rule! {
    /// `notice.photo`: a delivery carries a photo (of the posted notice, or the door).
    Photo = "notice.photo" on ["capture"], |id, input, _out| {
        match input.action.capture() {
            Some(Capture::NoticeDelivered { .. }) if input.action.photos().is_empty() => Err(
                Refusal::new(id, "photos", "Take a photo of the delivered notice.").needing(Need::Photo),
            ),
            _ => Ok(()),
        }
    }
}

rule! {
    /// `notice.gps`: a delivery has a GPS fix (it is the proof of where the notice was served).
    Gps = "notice.gps" on ["capture"], |id, input, _out| {
        match input.action.capture() {
            Some(Capture::NoticeDelivered { .. }) if input.context.gps.is_none() => Err(Refusal::new(
                id,
                "gps",
                "A notice delivery needs a GPS fix. Turn location on and try again.",
            )),
            _ => Ok(()),
        }
    }
}

rule! {
    /// `notice.completion`: the delivery is recorded before completing.
    Completion = "notice.completion" on ["complete"], |id, input, _out| {
        if Work::of(input).has(|c| matches!(c, Capture::NoticeDelivered { .. })) {
            return Ok(());
        }
        Err(missing(id, "notice_delivered", "record how the notice was delivered"))
    }
}

/// The notice rules.
pub(super) static RULES: &[&dyn Rule] = &[&Recipient, &Photo, &Gps, &Completion];
