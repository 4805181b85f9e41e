//! Inspection rules, passing and refusing: the checklist template and version, answers of the
//! right kind, required answers, and evidence for `tamper_confirmed`.

use crate::table::*;
use fieldline_core::*;

fn answer(question: &str, answer: Answer) -> ChecklistAnswer {
    ChecklistAnswer {
        question: question.into(),
        answer,
    }
}

fn answers() -> Vec<ChecklistAnswer> {
    vec![
        answer("seal_intact", Answer::YesNo(false)),
        answer("meter_present", Answer::YesNo(true)),
        answer("bypass_found", Answer::YesNo(true)),
        answer("service_condition", Answer::Choice("poor".into())),
    ]
}

fn checklist(version: u32, answers: Vec<ChecklistAnswer>) -> FieldAction {
    cap(Capture::Checklist {
        template: "tamper".into(),
        version,
        answers,
    })
}

#[rustfmt::skip]
#[test]
fn inspection_rules_table() {
    let with = |extra: ChecklistAnswer| {
        let mut all = answers();
        all.push(extra);
        checklist(1, all)
    };
    let missing_required = {
        let mut all = answers();
        all.remove(2);
        checklist(1, all)
    };
    run(OrderType::Inspection, vec![
        row("every required answer", checklist(1, answers()), Accepted(&[])),
        row("with an optional remark", with(answer("remarks", Answer::Text("jumper pipe".into()))), Accepted(&[])),
        row("unknown version", checklist(2, answers()), Refused("inspection.template", "capture.version")),
        row("not the template the office named", checklist(1, answers()), Refused("inspection.template", "capture.template"))
            .office(|o| o.details.checklist = Some(ChecklistRef { template: "condition".into(), version: 1 })),
        row("the template the office named", checklist(1, answers()), Accepted(&[]))
            .office(|o| o.details.checklist = Some(ChecklistRef { template: "tamper".into(), version: 1 })),
        row("unknown question", with(answer("colour", Answer::Text("red".into()))), Refused("inspection.answers", "capture.answers[4]")),
        row("question answered twice", with(answer("seal_intact", Answer::YesNo(true))), Refused("inspection.answers", "capture.answers[4]")),
        row("choice not offered", checklist(1, vec![answer("service_condition", Answer::Choice("awful".into()))]), Refused("inspection.answers", "capture.answers[0]")),
        row("wrong kind of answer", checklist(1, vec![answer("seal_intact", Answer::Text("no".into()))]), Refused("inspection.answers", "capture.answers[0]")),
        row("required answer missing", missing_required, Refused("inspection.answers", "capture.answers")),
        row("complete after the checklist", complete(Some("no_violation")), Accepted(&[])).after(vec![checklist(1, answers())]),
        row("complete without the checklist", complete(Some("no_violation")), Refused("inspection.completion", "checklist")),
        row("tamper confirmed with evidence", complete_photo(Some("tamper_confirmed"), PhotoKind::Evidence), Accepted(&["tamper"]))
            .after(vec![checklist(1, answers())]),
        row("tamper confirmed without evidence", complete(Some("tamper_confirmed")), Refused("inspection.completion", "photos"))
            .after(vec![checklist(1, answers())]),
    ]);
}
