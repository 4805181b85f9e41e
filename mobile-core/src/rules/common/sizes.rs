//! Size limits on what a field action carries, so a broken or hostile client cannot bloat a
//! document every replica must keep forever: free text up to [`MAX_TEXT_BYTES`], identifiers
//! (serials, seal numbers, codes, names) up to [`MAX_ID_BYTES`], and bounded lists.

use crate::action::FieldAction;
use crate::capture::{Answer, Capture};
use crate::document::MAX_TEXT_BYTES;
use crate::outcome::Refusal;

/// Longest identifier (serial, seal number, code, name, keyed value), in bytes.
pub const MAX_ID_BYTES: usize = 100;
/// Most photos on one action.
pub const MAX_PHOTOS: usize = 20;
/// Most items in one list of an action (readings, answers, initial readings).
pub const MAX_ITEMS: usize = 200;

/// Collects the sizes to check, each with its field path.
struct Sizes<'a> {
    texts: Vec<(String, &'a str)>,
    ids: Vec<(String, &'a str)>,
    lists: Vec<(String, usize, usize)>,
}

impl<'a> Sizes<'a> {
    fn text(&mut self, field: &str, text: Option<&'a String>) {
        if let Some(text) = text {
            self.texts.push((field.to_string(), text));
        }
    }

    fn id(&mut self, field: impl Into<String>, id: &'a str) {
        self.ids.push((field.into(), id));
    }

    fn list(&mut self, field: &str, len: usize, max: usize) {
        self.lists.push((field.to_string(), len, max));
    }

    fn capture(&mut self, capture: &'a Capture) {
        match capture {
            Capture::MeterVerified { serial } => self.id("capture.serial", serial),
            Capture::SealRemoved { number } | Capture::SealInstalled { number } => {
                self.id("capture.number", number)
            }
            Capture::SealFound { number, .. } => {
                if let Some(n) = number {
                    self.id("capture.number", n)
                }
            }
            Capture::NoticeDelivered { recipient, .. } => {
                if let Some(r) = recipient {
                    self.id("capture.recipient", r)
                }
            }
            Capture::MedicalClaim { claimant } => {
                if let Some(c) = claimant {
                    self.id("capture.claimant", c)
                }
            }
            Capture::LowFlowTest { start, end, .. } => {
                self.id("capture.start.value", &start.value);
                self.id("capture.end.value", &end.value);
            }
            Capture::Investigation(findings) => {
                self.text("capture.advice", findings.advice.as_ref())
            }
            Capture::Exchange { reason, old, new } => {
                self.id("capture.reason", reason);
                self.id("old.serial", &old.serial);
                self.list("old.readings", old.readings.len(), MAX_ITEMS);
                for (i, r) in old.readings.iter().enumerate() {
                    self.id(format!("old.readings[{i}].value"), &r.value);
                }
                self.id("new.serial", &new.serial);
                self.list(
                    "new.initial_readings",
                    new.initial_readings.len(),
                    MAX_ITEMS,
                );
                for (i, r) in new.initial_readings.iter().enumerate() {
                    self.id(format!("new.initial_readings[{i}]"), r);
                }
                if let Some(radio) = &new.radio_id {
                    self.id("new.radio_id", radio);
                }
            }
            Capture::Checklist {
                template, answers, ..
            } => {
                self.id("capture.template", template);
                self.list("capture.answers", answers.len(), MAX_ITEMS);
                for (i, a) in answers.iter().enumerate() {
                    self.id(format!("capture.answers[{i}].question"), &a.question);
                    match &a.answer {
                        Answer::Choice(c) => self.id(format!("capture.answers[{i}].answer"), c),
                        Answer::Text(t) => {
                            self.texts.push((format!("capture.answers[{i}].answer"), t))
                        }
                        Answer::YesNo(_) => {}
                    }
                }
            }
            Capture::Problem { code, .. } => self.id("capture.code", code),
            Capture::EndpointFlags { flags } => {
                self.list("capture.flags", flags.len(), MAX_ITEMS);
                for (i, flag) in flags.iter().enumerate() {
                    self.id(format!("capture.flags[{i}]"), flag);
                }
            }
            Capture::MeterCorrection { corrections } => {
                self.list("capture.corrections", corrections.len(), MAX_ITEMS);
                for (i, c) in corrections.iter().enumerate() {
                    let field = format!("capture.corrections[{i}].value");
                    if c.field.is_text() {
                        self.texts.push((field, &c.value));
                    } else {
                        self.id(field, &c.value);
                    }
                }
            }
            Capture::MeterFound {
                serial,
                reading,
                location,
            } => {
                self.id("capture.serial", serial);
                self.id("capture.reading", reading);
                self.texts.push(("capture.location".into(), location));
            }
            Capture::Valve { .. } | Capture::LeakCheck { .. } | Capture::Customer { .. } => {}
        }
    }
}

rule! {
    /// `common.size`: free text, identifiers and lists within their limits.
    Size = "common.size" on [], |id, input, _out| {
        let mut sizes = Sizes { texts: Vec::new(), ids: Vec::new(), lists: Vec::new() };
        sizes.list("photos", input.action.photos().len(), MAX_PHOTOS);
        match input.action {
            FieldAction::Capture { capture, note, .. } => {
                sizes.text("note", note.as_ref());
                sizes.capture(capture);
            }
            FieldAction::Reading { readings, note, .. } => {
                sizes.text("note", note.as_ref());
                sizes.list("readings", readings.len(), MAX_ITEMS);
            }
            FieldAction::Skip { note, .. } | FieldAction::NotDone { note, .. } => sizes.text("note", note.as_ref()),
            FieldAction::Note { text, .. } => sizes.texts.push(("text".into(), text)),
            FieldAction::Pause { reason } => sizes.id("reason", reason),
            _ => {}
        }
        if let Some((field, _)) = sizes.texts.iter().find(|(_, t)| t.len() > MAX_TEXT_BYTES) {
            return Err(Refusal::new(id, field.clone(), format!("Keep this under {MAX_TEXT_BYTES} bytes.")));
        }
        if let Some((field, _)) = sizes.ids.iter().find(|(_, t)| t.len() > MAX_ID_BYTES) {
            return Err(Refusal::new(id, field.clone(), format!("This is longer than {MAX_ID_BYTES} bytes: check what was keyed.")));
        }
        if let Some((field, _, max)) = sizes.lists.iter().find(|(_, len, max)| len > max) {
            return Err(Refusal::new(id, field.clone(), format!("At most {max} here.")));
        }
        Ok(())
    }
}
