//! The typed read of a work order document: office data, the office log, the field entries, and
//! the causal order between them. Status derivation and the rule engine work on this, never on
//! raw automerge paths.

use crate::action::{ActionContext, FieldAction, OfficeAction};
use crate::model::{OfficeData, Timestamp};
use crate::outcome::Assessment;
use foldhash::{HashMap, HashSet};
use serde::{Deserialize, Serialize};

/// Where an entry was written: the automerge change that created it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Origin {
    /// Hex hash of the change that created the entry.
    pub change: String,
    /// Hex automerge actor id that wrote it.
    pub actor: String,
    /// The creating operation's counter: with `actor` a total order all replicas agree on.
    pub counter: u64,
}

/// One entry of the office log (assignments, cancellations, notes, review).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfficeEntry {
    /// Entry id (unique within the order).
    pub id: String,
    /// What the office did.
    pub action: OfficeAction,
    /// Username of the office user.
    pub by: String,
    /// When, as the writer's clock said.
    pub at: Timestamp,
    /// The change that wrote it.
    pub origin: Origin,
}

/// One append-only entry of the field section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldEntry {
    /// Entry id (unique within the order).
    pub id: String,
    /// What the crew did.
    pub action: FieldAction,
    /// Who, when (device clock) and where (GPS), as the device claims.
    pub context: ActionContext,
    /// What the rules concluded on the device.
    pub assessment: Assessment,
    /// Version of the rule engine the entry was checked with.
    pub rules_version: u32,
    /// Version of the reference data (codes, policies) it was checked under.
    pub reference_version: u32,
    /// The change that wrote it.
    pub origin: Origin,
}

/// Everything a work order document holds, typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// The order (document) id.
    pub order_id: String,
    /// Document schema version.
    pub schema_version: u64,
    /// What to do and where.
    pub office: OfficeData,
    /// Office actions in document (list) order.
    pub office_log: Vec<OfficeEntry>,
    /// Field entries in document (list) order.
    pub field: Vec<FieldEntry>,
    /// Causal order of the changes that wrote the entries.
    pub causality: Causality,
}

/// The happened-before relation between the changes that wrote entries: `a` happened before `b`
/// when `a` is in `b`'s change history. Two actions are concurrent when neither happened before
/// the other; device clocks play no part.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Causality {
    /// For each change hash that wrote an entry, the entry-writing changes in its history.
    ancestors: HashMap<String, HashSet<String>>,
}

impl Causality {
    /// Builds the relation from each change's ancestors (restricted to entry-writing changes).
    pub fn from_ancestors<A>(ancestors: impl IntoIterator<Item = (String, A)>) -> Self
    where
        A: IntoIterator<Item = String>,
    {
        Causality {
            ancestors: ancestors
                .into_iter()
                .map(|(change, seen)| (change, seen.into_iter().collect()))
                .collect(),
        }
    }

    /// `a` is in `b`'s history (strictly before it).
    pub fn happened_before(&self, a: &Origin, b: &Origin) -> bool {
        a.change != b.change
            && self
                .ancestors
                .get(&b.change)
                .is_some_and(|set| set.contains(&a.change))
    }

    /// `a` is `b` or in its history: whoever wrote `b` had seen `a`.
    pub fn seen_by(&self, a: &Origin, b: &Origin) -> bool {
        a.change == b.change || self.happened_before(a, b)
    }

    /// How many entry-writing changes are in `a`'s history. Grows along every causal chain, so
    /// sorting by it (then by operation id) gives the same linear order on every replica.
    pub fn history_len(&self, a: &Origin) -> usize {
        self.ancestors.get(&a.change).map_or(0, HashSet::len)
    }

    /// Neither had seen the other.
    pub fn concurrent(&self, a: &Origin, b: &Origin) -> bool {
        !self.seen_by(a, b) && !self.seen_by(b, a)
    }
}
