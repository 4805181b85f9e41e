//! The rule engine: decides whether a field action may be written, on the device before writing
//! and on the server against the document as the device saw it. Rules are small types behind the
//! [`Rule`] trait, listed in a table per order type; a new order type adds its table to
//! [`REGISTRY`] and the engine does not change.

/// Declares a unit rule type: its id, the actions it looks at and its check. The body sees the
/// rule id as `$id`, the input and the assessment under the names given.
macro_rules! rule {
    ($(#[$meta:meta])* $name:ident = $rule_id:literal on [$($action:literal),*],
     |$id:ident, $input:ident, $out:ident| $body:block) => {
        $(#[$meta])*
        pub(crate) struct $name;

        impl $crate::rules::Rule for $name {
            fn id(&self) -> &'static str {
                $rule_id
            }

            fn actions(&self) -> &'static [&'static str] {
                &[$($action),*]
            }

            #[allow(unused_variables)]
            fn check(
                &self,
                $input: &$crate::rules::Input<'_>,
                $out: &mut $crate::outcome::Assessment,
            ) -> Result<(), $crate::outcome::Refusal> {
                let $id: &'static str = $rule_id;
                $body
            }
        }
    };
}

mod common;
mod cycle_read;
mod disconnect;
mod display;
mod exchange;
mod field_found;
mod high_bill;
mod inspection;
mod notice;
mod re_read;
mod reconnect;
mod seal;
mod service;
mod severity;
mod special_read;
mod steps;
mod turn_off;
mod turn_on;
mod work;

pub use common::{MAX_ID_BYTES, MAX_ITEMS, MAX_PHOTOS, receipt_time_flag};
pub use display::display_limits;
pub use severity::{Severity, worst_validation};
pub use steps::{Requirements, StepCodes, StepHelp, requirements, step_help, steps_for};

use crate::action::{ActionContext, FieldAction};
use crate::model::OrderType;
use crate::outcome::{Assessment, Refusal};
use crate::record::OrderRecord;
use crate::reference::ReferenceData;
use crate::status::Derived;

/// Version of the rule engine and its rules; recorded in every field entry. Bump it whenever a
/// rule changes what it accepts or computes.
pub const RULES_VERSION: u32 = 3;

/// Everything a rule may look at: the order as the acting device saw it, the action and who took
/// it, and the reference data it is checked under.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The order's typed document, as the device saw it.
    pub record: &'a OrderRecord,
    /// Status and assignee derived from `record`.
    pub derived: &'a Derived,
    /// The action being checked.
    pub action: &'a FieldAction,
    /// Who, when and where, as the device claims.
    pub context: &'a ActionContext,
    /// Codes and policy.
    pub reference: &'a ReferenceData,
}

impl Input<'_> {
    /// The order's type.
    pub fn order_type(&self) -> OrderType {
        self.record.office.order_type
    }
}

/// One rule. A rule either refuses the action (naming itself and the field to fix) or lets it
/// through, possibly adding outcomes and flags to the assessment.
pub trait Rule: Sync {
    /// Stable id, used as the refusal's `rule` (`cycle_read.dials`).
    fn id(&self) -> &'static str;

    /// Names of the actions ([`FieldAction::name`]) the rule looks at; empty means every action.
    fn actions(&self) -> &'static [&'static str];

    /// Checks the action; may add reading outcomes and flags to `out`.
    fn check(&self, input: &Input<'_>, out: &mut Assessment) -> Result<(), Refusal>;

    /// The rule looks at this action.
    fn applies_to(&self, action: &FieldAction) -> bool {
        let names = self.actions();
        names.is_empty() || names.contains(&action.name())
    }
}

/// The rules of one order type, in the order they run (the first refusal wins, so a rule that
/// asks for a re-key runs before one that asks for a photo). Groups let types share rules (the
/// reading rules, the seal rules) without copying them.
#[derive(Clone, Copy)]
pub struct RuleSet {
    /// The order type.
    pub order_type: OrderType,
    /// Its rule groups, run in order.
    pub groups: &'static [&'static [&'static dyn Rule]],
}

/// Rules every order type shares; they run first.
pub static COMMON: &[&dyn Rule] = common::RULES;

/// The rules of each order type.
pub static REGISTRY: &[RuleSet] = &[
    RuleSet {
        order_type: OrderType::CycleRead,
        groups: &[cycle_read::RULES],
    },
    RuleSet {
        order_type: OrderType::ReRead,
        groups: &[re_read::BEFORE, cycle_read::READING, re_read::RULES],
    },
    RuleSet {
        order_type: OrderType::SpecialRead,
        groups: &[
            special_read::BEFORE,
            cycle_read::READING,
            special_read::RULES,
        ],
    },
    RuleSet {
        order_type: OrderType::TurnOn,
        groups: &[
            cycle_read::READING,
            service::RULES,
            seal::RULES,
            turn_on::RULES,
        ],
    },
    RuleSet {
        order_type: OrderType::TurnOff,
        groups: &[
            cycle_read::READING,
            service::RULES,
            seal::RULES,
            turn_off::RULES,
        ],
    },
    RuleSet {
        order_type: OrderType::DisconnectNotice,
        groups: &[notice::RULES],
    },
    RuleSet {
        order_type: OrderType::Disconnect,
        groups: &[
            cycle_read::READING,
            service::RULES,
            seal::RULES,
            disconnect::RULES,
        ],
    },
    RuleSet {
        order_type: OrderType::Reconnect,
        groups: &[
            cycle_read::READING,
            service::RULES,
            seal::RULES,
            reconnect::RULES,
        ],
    },
    RuleSet {
        order_type: OrderType::HighBillInvestigation,
        groups: &[cycle_read::READING, service::RULES, high_bill::RULES],
    },
    RuleSet {
        order_type: OrderType::MeterExchange,
        groups: &[service::RULES, exchange::RULES],
    },
    RuleSet {
        order_type: OrderType::Inspection,
        groups: &[
            cycle_read::READING,
            service::RULES,
            seal::RULES,
            inspection::RULES,
        ],
    },
    RuleSet {
        order_type: OrderType::FieldFound,
        groups: &[field_found::RULES],
    },
];

/// Every rule that runs for an order of this type, in order: the common ones, then the type's.
pub fn rules_for(order_type: OrderType) -> impl Iterator<Item = &'static dyn Rule> {
    COMMON.iter().copied().chain(
        REGISTRY
            .iter()
            .filter(move |set| set.order_type == order_type)
            .flat_map(|set| set.groups.iter().copied())
            .flat_map(|group| group.iter().copied()),
    )
}

/// Every rule id the engine declares, over every order type, sorted and without repeats: what a
/// test that must cover each rule (the server's forged-change table) enumerates, so a new rule
/// cannot be added without a row for it.
pub fn rule_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = OrderType::ALL
        .iter()
        .flat_map(|order_type| rules_for(*order_type))
        .map(|rule| rule.id())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Decides whether `action`, taken by `context.user`, may be written on the order `record`
/// (as the acting device saw it, with `derived` its derived status). Returns what the rules
/// computed (reading outcomes, flags for the office) or the first refusal.
pub fn check(
    record: &OrderRecord,
    derived: &Derived,
    action: &FieldAction,
    context: &ActionContext,
    reference: &ReferenceData,
) -> Result<Assessment, Refusal> {
    let input = Input {
        record,
        derived,
        action,
        context,
        reference,
    };
    let mut assessment = Assessment::default();
    for rule in rules_for(input.order_type()).filter(|rule| rule.applies_to(action)) {
        rule.check(&input, &mut assessment)?;
    }
    Ok(assessment)
}

/// No text, or only whitespace.
pub(crate) fn is_blank(text: Option<&str>) -> bool {
    text.is_none_or(|t| t.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn rule_ids_are_unique_and_namespaced() {
        for order_type in OrderType::ALL {
            let mut seen = HashSet::new();
            for rule in rules_for(*order_type) {
                let id = rule.id();
                assert!(id.contains('.'), "{id} has no group");
                assert!(seen.insert(id), "{id} runs twice for {order_type}");
            }
        }
    }

    #[test]
    fn rule_ids_lists_every_rule_of_every_type_once() {
        let ids = rule_ids();
        let unique: HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "{ids:?} repeats an id");
        for order_type in OrderType::ALL {
            for rule in rules_for(*order_type) {
                assert!(ids.contains(&rule.id()), "{} is missing", rule.id());
            }
        }
        // Rules of one type only, and the shared groups, are all there.
        for id in [
            "common.size",
            "cycle_read.skip_note",
            "cycle_read.limits",
            "seal.unique",
            "disconnect.allowed_hours",
            "field_found.completion",
        ] {
            assert!(ids.contains(&id), "{id} is missing");
        }
    }

    #[test]
    fn every_order_type_has_its_rules() {
        for order_type in OrderType::ALL {
            assert!(
                REGISTRY.iter().any(|set| set.order_type == *order_type),
                "{order_type} has no rule set"
            );
        }
    }
}
