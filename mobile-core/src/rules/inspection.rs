//! Inspection (tamper, bypass, theft, unauthorized use, service condition): the answers of a
//! versioned checklist template (the one the office named, at the version the device holds),
//! every required question answered with the kind of answer it asks for, and evidence photos
//! for a `tamper_confirmed` outcome.

use crate::action::{FieldAction, PhotoKind};
use crate::capture::{Answer, Capture};
use crate::outcome::{Need, Refusal};
use crate::reference::QuestionKind;
use crate::rules::Rule;
use crate::rules::work::{Work, missing};

/// Completion code of a confirmed tamper.
const TAMPER_CONFIRMED: &str = "tamper_confirmed";

rule! {
    /// `inspection.template`: the checklist answered is a delivered template, and the one the
    /// office named for this order.
    Template = "inspection.template" on ["capture"], |id, input, _out| {
        let Some(Capture::Checklist { template, version, .. }) = input.action.capture() else {
            return Ok(());
        };
        if let Some(named) = &input.record.office.details.checklist
            && (named.template != *template || named.version != *version)
        {
            return Err(Refusal::new(
                id,
                "capture.template",
                format!("This order asks for checklist {} version {}.", named.template, named.version),
            ));
        }
        if input.reference.checklist(template, *version).is_none() {
            return Err(Refusal::new(
                id,
                "capture.version",
                "This handheld does not have that checklist version. Sync to get it.",
            ));
        }
        Ok(())
    }
}

rule! {
    /// `inspection.answers`: each answer is to a question of the template, once, of the kind
    /// it asks for (a choice among its choices); every required question is answered.
    Answers = "inspection.answers" on ["capture"], |id, input, _out| {
        let Some(Capture::Checklist { template, version, answers }) = input.action.capture() else {
            return Ok(());
        };
        let Some(template) = input.reference.checklist(template, *version) else {
            return Ok(());
        };
        for (i, answer) in answers.iter().enumerate() {
            let field = format!("capture.answers[{i}]");
            let Some(question) = template.question(&answer.question) else {
                return Err(Refusal::new(id, field, "This question is not on the checklist."));
            };
            if answers[..i].iter().any(|a| a.question == answer.question) {
                return Err(Refusal::new(id, field, format!("\"{}\" is answered twice.", question.label)));
            }
            let fits = match (&question.kind, &answer.answer) {
                (QuestionKind::YesNo, Answer::YesNo(_)) => true,
                (QuestionKind::Choice(choices), Answer::Choice(c)) => choices.contains(c),
                (QuestionKind::Text, Answer::Text(t)) => !t.trim().is_empty(),
                _ => false,
            };
            if !fits {
                return Err(Refusal::new(id, field, format!("Answer \"{}\" with one of its choices.", question.label)));
            }
        }
        if let Some(question) = template
            .questions
            .iter()
            .find(|q| q.required && !answers.iter().any(|a| a.question == q.id))
        {
            return Err(Refusal::new(
                id,
                "capture.answers",
                format!("Answer \"{}\": it is required.", question.label),
            ));
        }
        Ok(())
    }
}

rule! {
    /// `inspection.completion`: the checklist is answered; `tamper_confirmed` needs evidence
    /// photos.
    Completion = "inspection.completion" on ["complete"], |id, input, _out| {
        let work = Work::of(input);
        if !work.has(|c| matches!(c, Capture::Checklist { .. })) {
            return Err(missing(id, "checklist", "answer the inspection checklist"));
        }
        let tamper = matches!(input.action, FieldAction::Complete { code: Some(code), .. } if code == TAMPER_CONFIRMED);
        if tamper && !work.has_photo(&[PhotoKind::Evidence]) {
            return Err(missing(id, "photos", "take evidence photos of the tamper").needing(Need::Photo));
        }
        Ok(())
    }
}

/// The inspection rules.
pub(super) static RULES: &[&dyn Rule] = &[&Template, &Answers, &Completion];
