//! What the acting crew has already recorded on an order (their own entries only: a crew that
//! took the order over starts afresh), so completion rules can ask "is there a valve-off?" or
//! "was a photo taken?" in one place.

use crate::action::{FieldAction, PhotoKind, PhotoRef};
use crate::capture::Capture;
use crate::outcome::Refusal;
use crate::rules::Input;

/// The acting user's earlier entries on the order, plus the action being checked.
pub(crate) struct Work<'a> {
    actions: Vec<&'a FieldAction>,
}

impl<'a> Work<'a> {
    /// The acting user's entries, in document order, followed by the action being checked.
    pub fn of(input: &Input<'a>) -> Self {
        let mut actions: Vec<&'a FieldAction> = input
            .record
            .field
            .iter()
            .filter(|e| e.context.user == input.context.user)
            .map(|e| &e.action)
            .collect();
        actions.push(input.action);
        Work { actions }
    }

    /// Every capture, in order.
    pub fn captures(&self) -> impl Iterator<Item = &'a Capture> + '_ {
        self.actions.iter().filter_map(|a| a.capture())
    }

    /// The last capture `pick` selects (a later step supersedes an earlier one).
    pub fn last<T>(&self, pick: impl Fn(&'a Capture) -> Option<T>) -> Option<T> {
        self.captures().filter_map(pick).last()
    }

    /// A capture `pick` selects exists.
    pub fn has(&self, pick: impl Fn(&'a Capture) -> bool) -> bool {
        self.captures().any(pick)
    }

    /// Registers with a reading, and whether any reading carried a photo.
    pub fn readings(&self) -> (Vec<u32>, bool) {
        let mut registers = Vec::new();
        let mut photo = false;
        for action in &self.actions {
            if let FieldAction::Reading {
                readings, photos, ..
            } = action
            {
                registers.extend(readings.iter().map(|r| r.register));
                photo |= !photos.is_empty();
            }
        }
        (registers, photo)
    }

    /// Every photo taken, on any entry.
    pub fn photos(&self) -> impl Iterator<Item = &'a PhotoRef> + '_ {
        self.actions.iter().flat_map(|a| a.photos())
    }

    /// A photo of one of these kinds was taken (any kind when `kinds` is empty).
    pub fn has_photo(&self, kinds: &[PhotoKind]) -> bool {
        self.photos()
            .any(|p| kinds.is_empty() || kinds.contains(&p.kind))
    }
}

/// Refusal of a completion that lacks a required step.
pub(crate) fn missing(rule: &str, field: &str, what: &str) -> Refusal {
    Refusal::new(rule, field, format!("Before completing, {what}."))
}

/// Every register of the order's meter has a reading among `read`.
pub(crate) fn all_registers_read(input: &Input<'_>, read: &[u32]) -> bool {
    let registers: Vec<u32> = input
        .record
        .office
        .meter
        .as_ref()
        .map(|m| m.registers.iter().map(|r| r.number).collect())
        .unwrap_or_default();
    if registers.is_empty() {
        return !read.is_empty();
    }
    registers.iter().all(|n| read.contains(n))
}
