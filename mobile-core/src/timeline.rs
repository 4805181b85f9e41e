//! The field entries of an order as one timeline, the order a reviewer reads them in. The
//! document keeps entries in one list per kind of action, and device clocks can be wrong, so
//! neither is the order the work was done in. Causality is: an entry comes after every entry
//! its writer had seen. Entries none of whose writers had seen the other (two devices working
//! offline) have no causal order; there the device clocks break the tie, then the entry ids, so
//! every replica lists the same timeline.

use crate::record::{Causality, FieldEntry, OrderRecord};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// `entries` in causal order: each after every entry it had seen; among entries free to come
/// next, the earliest device time first, then the smallest entry id. A linear extension of the
/// causal order that depends only on the entries and their causality, never on list order.
///
/// Quadratic in the number of entries (each pair is compared once), like the merge rules.
pub fn field_timeline<'r>(entries: &'r [FieldEntry], causality: &Causality) -> Vec<&'r FieldEntry> {
    let n = entries.len();
    // For each entry, how many entries it had seen are not yet placed, and who had seen it.
    let mut unplaced_before = vec![0usize; n];
    let mut seen_by: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (a, first) in entries.iter().enumerate() {
        for (b, second) in entries.iter().enumerate() {
            if a != b && causality.happened_before(&first.origin, &second.origin) {
                unplaced_before[b] += 1;
                seen_by[a].push(b);
            }
        }
    }
    let key = |i: usize| Reverse((entries[i].context.device_time, entries[i].id.as_str(), i));
    let mut ready: BinaryHeap<_> = (0..n)
        .filter(|&i| unplaced_before[i] == 0)
        .map(key)
        .collect();
    let mut timeline = Vec::with_capacity(n);
    while let Some(Reverse((_, _, next))) = ready.pop() {
        timeline.push(&entries[next]);
        for &later in &seen_by[next] {
            unplaced_before[later] -= 1;
            if unplaced_before[later] == 0 {
                ready.push(key(later));
            }
        }
    }
    timeline
}

impl OrderRecord {
    /// The field entries as one timeline; see [`field_timeline`].
    pub fn field_timeline(&self) -> Vec<&FieldEntry> {
        field_timeline(&self.field, &self.causality)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::{ActionContext, FieldAction};
    use crate::model::Timestamp;
    use crate::outcome::Assessment;
    use crate::record::Origin;
    use std::collections::{HashMap, HashSet};

    fn entry(id: &str, change: &str, device_time: i64) -> FieldEntry {
        FieldEntry {
            id: id.into(),
            action: FieldAction::Arrive,
            context: ActionContext {
                user: "reader1".into(),
                device_time: Timestamp(device_time),
                gps: None,
            },
            assessment: Assessment::default(),
            rules_version: 1,
            reference_version: 1,
            origin: Origin {
                change: change.into(),
                actor: "aa".into(),
                counter: 1,
            },
        }
    }

    /// Each change with the changes in its history.
    fn causality(history: &[(&str, &[&str])]) -> Causality {
        let ancestors: HashMap<String, HashSet<String>> = history
            .iter()
            .map(|(change, seen)| {
                (
                    change.to_string(),
                    seen.iter().map(|s| s.to_string()).collect(),
                )
            })
            .collect();
        Causality::from_ancestors(ancestors)
    }

    fn ids(timeline: &[&FieldEntry]) -> Vec<String> {
        timeline.iter().map(|e| e.id.clone()).collect()
    }

    #[test]
    fn an_entry_comes_after_what_it_had_seen_even_when_its_clock_says_earlier() {
        // Device B's clock is an hour behind; it had seen A's entry before writing its own.
        let entries = vec![entry("b1", "cb1", 1_000), entry("a1", "ca1", 3_600_000)];
        let causality = causality(&[("ca1", &[]), ("cb1", &["ca1"])]);
        assert_eq!(ids(&field_timeline(&entries, &causality)), ["a1", "b1"]);
    }

    #[test]
    fn concurrent_runs_interleave_by_device_time_then_id_whatever_the_list_order() {
        // Two devices offline: a1 → a2 → a3 on one, b1 on the other, seen by neither.
        let chain = causality(&[
            ("ca1", &[]),
            ("ca2", &["ca1"]),
            ("ca3", &["ca1", "ca2"]),
            ("cb1", &[]),
        ]);
        let entries = vec![
            entry("b1", "cb1", 25),
            entry("a3", "ca3", 30),
            entry("a1", "ca1", 10),
            entry("a2", "ca2", 20),
        ];
        let expected = ["a1", "a2", "b1", "a3"];
        assert_eq!(ids(&field_timeline(&entries, &chain)), expected);
        let mut reversed = entries.clone();
        reversed.reverse();
        assert_eq!(ids(&field_timeline(&reversed, &chain)), expected);

        // Equal device times: the entry id decides.
        let tied = vec![entry("z", "cz", 5), entry("m", "cm", 5)];
        let none = causality(&[("cz", &[]), ("cm", &[])]);
        assert_eq!(ids(&field_timeline(&tied, &none)), ["m", "z"]);
    }

    #[test]
    fn a_late_clock_on_a_causal_predecessor_holds_back_its_successors_only() {
        // a1's clock is far ahead; a2 saw it, so a2 waits for it; b1 (concurrent) does not.
        let entries = vec![
            entry("a1", "ca1", 9_000),
            entry("a2", "ca2", 100),
            entry("b1", "cb1", 500),
        ];
        let causality = causality(&[("ca1", &[]), ("ca2", &["ca1"]), ("cb1", &[])]);
        assert_eq!(
            ids(&field_timeline(&entries, &causality)),
            ["b1", "a1", "a2"]
        );
    }
}
