//! Cycle-read rule 8 and the codes that go with a reading: at most the policy's number of reader
//! codes, each known, and a known trouble code with the photo its definition requires. A code
//! whose definition names a flag (`tamper`, `leak`) raises it for the office.

use crate::action::FieldAction;
use crate::outcome::{Assessment, Flag, Need, Refusal};
use crate::reference::CodeDef;
use crate::rules::{Input, Rule};

/// `cycle_read.reader_codes`: at most `policy.max_reader_codes`, each known, none twice.
pub(super) struct ReaderCodes;

impl Rule for ReaderCodes {
    fn id(&self) -> &'static str {
        "cycle_read.reader_codes"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["reading"]
    }

    fn check(&self, input: &Input<'_>, out: &mut Assessment) -> Result<(), Refusal> {
        let FieldAction::Reading { reader_codes, .. } = input.action else {
            return Ok(());
        };
        let max = input.reference.policy.max_reader_codes as usize;
        if reader_codes.len() > max {
            return Err(Refusal::new(
                self.id(),
                "reader_codes",
                format!("Use at most {max} reader codes on one reading."),
            ));
        }
        for (i, code) in reader_codes.iter().enumerate() {
            let Some(def) = input.reference.reader_code(code, input.order_type()) else {
                return Err(Refusal::new(
                    self.id(),
                    format!("reader_codes[{i}]"),
                    "Pick reader codes from the list.",
                ));
            };
            if reader_codes[..i].contains(code) {
                return Err(Refusal::new(
                    self.id(),
                    format!("reader_codes[{i}]"),
                    "Each reader code only once, please.",
                ));
            }
            raise(def, out);
        }
        Ok(())
    }
}

/// `cycle_read.trouble_code`: a trouble code, when given, is known; some need a photo.
pub(super) struct TroubleCode;

impl Rule for TroubleCode {
    fn id(&self) -> &'static str {
        "cycle_read.trouble_code"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["reading"]
    }

    fn check(&self, input: &Input<'_>, out: &mut Assessment) -> Result<(), Refusal> {
        let FieldAction::Reading {
            trouble_code: Some(code),
            photos,
            ..
        } = input.action
        else {
            return Ok(());
        };
        let Some(def) = input.reference.trouble_code(code, input.order_type()) else {
            return Err(Refusal::new(
                self.id(),
                "trouble_code",
                "Pick a trouble code from the list.",
            ));
        };
        if def.photo_required && photos.is_empty() {
            return Err(Refusal::new(
                self.id(),
                "photos",
                format!("Take a photo for the trouble code \"{}\".", def.label),
            )
            .needing(Need::Photo));
        }
        raise(def, out);
        Ok(())
    }
}

/// Raises the flag a code's definition names, with the code as detail.
fn raise(def: &CodeDef, out: &mut Assessment) {
    if let Some(flag) = &def.flag {
        out.flags.push(Flag {
            detail: Some(def.code.clone()),
            ..Flag::new(flag.clone())
        });
    }
}
