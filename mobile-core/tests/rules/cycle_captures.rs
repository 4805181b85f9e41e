//! The cycle read's captures beside the reading, passing and refusing: endpoint flags from the
//! reference list (tamper proposes an inspection), meter-record corrections (a known field of
//! the record, a well-formed value that differs, a photo for a serial), and meters found at the
//! premise (serial, reading, location, photo; an inspection proposed).

use crate::table::*;
use fieldline_core::*;

fn endpoint(flags: &[&str]) -> Capture {
    Capture::EndpointFlags {
        flags: flags.iter().map(|f| f.to_string()).collect(),
    }
}

fn correct(field: MeterField, register: Option<u32>, value: &str) -> FieldCorrection {
    FieldCorrection {
        field,
        register,
        value: value.into(),
    }
}

fn corrections(list: Vec<FieldCorrection>) -> Capture {
    Capture::MeterCorrection { corrections: list }
}

fn found(serial: &str, reading: &str, location: &str) -> Capture {
    Capture::MeterFound {
        serial: serial.into(),
        reading: reading.into(),
        location: location.into(),
    }
}

fn with_note(action: FieldAction, text: &str) -> FieldAction {
    match action {
        FieldAction::Capture {
            capture, photos, ..
        } => FieldAction::Capture {
            capture,
            photos,
            note: Some(text.into()),
        },
        other => other,
    }
}

#[rustfmt::skip]
#[test]
fn endpoint_flags_table() {
    use FollowUpKind::Inspection;
    run(OrderType::CycleRead, vec![
        row("low battery", cap(endpoint(&["low_battery"])), Accepted(&["endpoint_problem"])).follow_ups(&[]),
        row("leak and reverse flow", cap(endpoint(&["leak", "reverse_flow"])), Accepted(&["leak", "reverse_flow"])),
        row("tamper proposes an inspection", cap(endpoint(&["tamper"])), Accepted(&["tamper"])).follow_ups(&[Inspection]),
        row("tamper twice over proposes one", cap_photo(endpoint(&["tamper", "wire_cut"]), PhotoKind::Meter), Accepted(&["tamper", "tamper"]))
            .follow_ups(&[Inspection]),
        row("no flag", cap(endpoint(&[])), Refused("cycle_read.endpoint_flags", "capture.flags")),
        row("an unknown flag", cap(endpoint(&["low_battery", "haunted"])), Refused("cycle_read.endpoint_flags", "capture.flags[1]")),
        row("a flag twice", cap(endpoint(&["no_signal", "no_signal"])), Refused("cycle_read.endpoint_flags", "capture.flags[1]")),
        row("damaged without a photo", cap(endpoint(&["damaged"])), Refused("cycle_read.endpoint_flags", "photos")),
        row("damaged with a photo", cap_photo(endpoint(&["damaged"]), PhotoKind::Meter), Accepted(&["endpoint_problem"])),
        row("missing without a note", cap_photo(endpoint(&["missing"]), PhotoKind::Meter), Refused("cycle_read.endpoint_flags", "note")),
        row("missing with a note", with_note(cap_photo(endpoint(&["missing"]), PhotoKind::Meter), "bracket empty"), Accepted(&["endpoint_problem"])),
        row("a utility that lists none", cap(endpoint(&["low_battery"])), Refused("cycle_read.endpoint_flags", "capture.flags[0]"))
            .reference(|r| r.endpoint_flags.clear()),
        row("usable on a cycle read", cap(endpoint(&["low_battery"])), Accepted(&["endpoint_problem"])),
    ]);
    run(OrderType::TurnOn, vec![
        row("not a turn-on step", cap(endpoint(&["low_battery"])), Refused("common.step", "capture.step")),
    ]);
}

#[rustfmt::skip]
#[test]
fn meter_correction_table() {
    use MeterField::*;
    let one = |field, register, value| cap(corrections(vec![correct(field, register, value)]));
    let serial = |value| cap_photo(corrections(vec![correct(Serial, None, value)]), PhotoKind::Meter);
    run(OrderType::CycleRead, vec![
        row("a serial with a photo", serial("SN9"), Accepted(&["meter_info_correction"])).follow_ups(&[]),
        row("a serial without a photo", one(Serial, None, "SN9"), Refused("cycle_read.correction_photo", "photos")),
        row("the serial on record", serial(" sn1 "), Refused("cycle_read.correction_value", "capture.corrections[0].value")),
        row("a serial with spaces inside", serial("SN 9"), Refused("cycle_read.correction_value", "capture.corrections[0].value")),
        row("a size", one(Size, None, "3/4\""), Accepted(&["meter_info_correction"])),
        row("the size on record", one(Size, None, "5/8 \""), Refused("cycle_read.correction_value", "capture.corrections[0].value")),
        row("a location where none is on record", one(Location, None, "basement, behind the stairs"), Accepted(&["meter_info_correction"])),
        row("access notes", one(AccessNotes, None, "gate code 4471"), Accepted(&["meter_info_correction"])),
        row("blank access notes", one(AccessNotes, None, "  "), Refused("cycle_read.correction_value", "capture.corrections[0].value")),
        row("access notes without a premise", one(AccessNotes, None, "gate code 4471"), Refused("cycle_read.correction_field", "capture.corrections[0].field"))
            .office(|o| o.premise = None),
        row("a meter field without a meter", one(Size, None, "1\""), Refused("cycle_read.correction_field", "capture.corrections[0].field"))
            .office(|o| o.meter = None),
        row("dials of register 1", one(DialsLeft, Some(1), "6"), Accepted(&["meter_info_correction"])),
        row("dials as on record", one(DialsLeft, Some(1), "05"), Refused("cycle_read.correction_value", "capture.corrections[0].value")),
        row("dials out of range", one(DialsLeft, Some(1), "13"), Refused("cycle_read.correction_value", "capture.corrections[0].value")),
        row("decimals", one(DialsRight, Some(1), "1"), Accepted(&["meter_info_correction"])),
        row("a multiplier that is no number", one(Multiplier, Some(1), "ten"), Refused("cycle_read.correction_value", "capture.corrections[0].value")),
        row("a multiplier", one(Multiplier, Some(1), "10"), Accepted(&["meter_info_correction"])),
        row("dials without a register", one(DialsLeft, None, "6"), Refused("cycle_read.correction_field", "capture.corrections[0].register")),
        row("dials of a register not on record", one(DialsLeft, Some(2), "6"), Refused("cycle_read.correction_field", "capture.corrections[0].register")),
        row("a register on a meter field", one(Size, Some(1), "1\""), Refused("cycle_read.correction_field", "capture.corrections[0].register")),
        row("a second register", one(RegisterCount, None, "2"), Accepted(&["meter_info_correction"])),
        row("no registers", one(RegisterCount, None, "0"), Refused("cycle_read.correction_value", "capture.corrections[0].value")),
        row("nothing to correct", cap(corrections(vec![])), Refused("cycle_read.correction_field", "capture.corrections")),
        row("one field twice", cap(corrections(vec![correct(Size, None, "1\""), correct(Size, None, "2\"")])),
            Refused("cycle_read.correction_field", "capture.corrections[1].field")),
        row("several fields at once", cap_photo(corrections(vec![correct(Serial, None, "SN9"), correct(Size, None, "1\""), correct(Multiplier, Some(1), "10")]), PhotoKind::Meter),
            Accepted(&["meter_info_correction", "meter_info_correction", "meter_info_correction"])),
    ]);
}

#[rustfmt::skip]
#[test]
fn meter_found_table() {
    use FollowUpKind::Inspection;
    let photographed = |capture| cap_photo(capture, PhotoKind::Meter);
    run(OrderType::CycleRead, vec![
        row("another meter", photographed(found("SN77", "00412", "side yard")), Accepted(&["meter_found"])).follow_ups(&[Inspection]),
        row("a decimal reading", photographed(found("SN77", "412.5", "side yard")), Accepted(&["meter_found"])),
        row("the order's meter", photographed(found(" sn1", "00412", "side yard")), Refused("cycle_read.meter_found", "capture.serial")),
        row("no serial", photographed(found(" ", "00412", "side yard")), Refused("cycle_read.meter_found", "capture.serial")),
        row("a serial with symbols", photographed(found("SN#7", "00412", "side yard")), Refused("cycle_read.meter_found", "capture.serial")),
        row("no reading", photographed(found("SN77", "", "side yard")), Refused("cycle_read.meter_found", "capture.reading")),
        row("a reading that is not digits", photographed(found("SN77", "4l2", "side yard")), Refused("cycle_read.meter_found", "capture.reading")),
        row("no location", photographed(found("SN77", "00412", "  ")), Refused("cycle_read.meter_found", "capture.location")),
        row("no photo", cap(found("SN77", "00412", "side yard")), Refused("cycle_read.meter_found", "photos")),
    ]);
}
