//! Who may act on an order and which actions its derived status allows: only the assignee works
//! it, nothing is added to a finished order, pause/resume/start follow each other sensibly, and
//! only a started order can be completed, not before it started.

use crate::action::FieldAction;
use crate::model::Source;
use crate::outcome::{Assessment, Refusal};
use crate::rules::{Input, Rule};
use crate::status::Status;

/// `common.not_assignee`: only the current assignee writes field entries; a field-found order
/// nobody was assigned yet is worked by the crew that created it.
pub(super) struct NotAssignee;

impl Rule for NotAssignee {
    fn id(&self) -> &'static str {
        "common.not_assignee"
    }

    fn actions(&self) -> &'static [&'static str] {
        &[]
    }

    fn check(&self, input: &Input<'_>, _out: &mut Assessment) -> Result<(), Refusal> {
        if input.derived.assignee.as_deref() == Some(input.context.user.as_str()) {
            return Ok(());
        }
        let office = &input.record.office;
        if input.derived.assignee.is_none()
            && office.source == Source::FieldFound
            && office.created_by == input.context.user
            && input.record.office_log.is_empty()
        {
            return Ok(());
        }
        Err(Refusal::new(
            self.id(),
            "user",
            "This order is not assigned to you. Sync to get your current orders.",
        ))
    }
}

/// `common.order_closed`: no field work on a completed, not-done, cancelled or closed order.
pub(super) struct OrderClosed;

impl Rule for OrderClosed {
    fn id(&self) -> &'static str {
        "common.order_closed"
    }

    fn actions(&self) -> &'static [&'static str] {
        &[]
    }

    fn check(&self, input: &Input<'_>, _out: &mut Assessment) -> Result<(), Refusal> {
        let status = input.derived.status;
        if !status.is_terminal() {
            return Ok(());
        }
        let state = match status {
            Status::Completed => "already completed",
            Status::NotDone => "already marked not done",
            Status::Cancelled => "cancelled by the office",
            _ => "closed by the office",
        };
        Err(Refusal::new(
            self.id(),
            "action",
            format!("This order is {state}; nothing more can be recorded on it."),
        ))
    }
}

/// `common.sequence`: start only once, pause only work in progress, resume only paused work.
pub(super) struct Sequence;

impl Rule for Sequence {
    fn id(&self) -> &'static str {
        "common.sequence"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["start", "pause", "resume"]
    }

    fn check(&self, input: &Input<'_>, _out: &mut Assessment) -> Result<(), Refusal> {
        let status = input.derived.status;
        let problem = match input.action {
            FieldAction::Start if status.is_started() => "Work on this order has already started.",
            FieldAction::Pause { .. } if status != Status::InProgress => {
                "Only work in progress can be paused."
            }
            FieldAction::Resume if status != Status::Paused => {
                "This order is not paused, so there is nothing to resume."
            }
            _ => return Ok(()),
        };
        Err(Refusal::new(self.id(), "action", problem))
    }
}

/// `common.started_before_complete`: only a started (in progress or paused) order can be
/// completed. On route reads the first reading or skip starts the order.
pub(super) struct StartedBeforeComplete;

impl Rule for StartedBeforeComplete {
    fn id(&self) -> &'static str {
        "common.started_before_complete"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["complete"]
    }

    fn check(&self, input: &Input<'_>, _out: &mut Assessment) -> Result<(), Refusal> {
        if input.derived.status.is_started() {
            return Ok(());
        }
        Err(Refusal::new(
            self.id(),
            "action",
            "Start the work (or enter a reading or skip) before completing the order.",
        ))
    }
}

/// `common.completion_time`: the completion's device time is not before the start's.
pub(super) struct CompletionTime;

impl Rule for CompletionTime {
    fn id(&self) -> &'static str {
        "common.completion_time"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["complete"]
    }

    fn check(&self, input: &Input<'_>, _out: &mut Assessment) -> Result<(), Refusal> {
        match input.derived.started_at {
            Some(started) if input.context.device_time < started => Err(Refusal::new(
                self.id(),
                "device_time",
                "The completion time is earlier than the start time. Check the handheld's clock \
                 and complete again.",
            )),
            _ => Ok(()),
        }
    }
}
