//! The happened-before relation of a document's entries, read from automerge's change graph
//! (each change names the heads its writer had seen). Device clocks play no part.

use crate::record::Causality;
use automerge::{Automerge, ChangeHash};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

/// For every change in `writers`, the set of `writers` in its history.
pub(super) fn build(doc: &Automerge, writers: &[ChangeHash]) -> Causality {
    let writer_set: HashSet<ChangeHash> = writers.iter().copied().collect();
    let metas = doc.get_changes_meta(&[]);
    let deps: HashMap<ChangeHash, Vec<ChangeHash>> = metas
        .iter()
        .map(|meta| (meta.hash, meta.deps.clone()))
        .collect();

    // Kahn's algorithm: visit each change after all of its dependencies.
    let mut waiting: HashMap<ChangeHash, usize> = HashMap::with_capacity(deps.len());
    let mut dependents: HashMap<ChangeHash, Vec<ChangeHash>> = HashMap::new();
    for (hash, ds) in &deps {
        let known: Vec<&ChangeHash> = ds.iter().filter(|d| deps.contains_key(d)).collect();
        waiting.insert(*hash, known.len());
        for d in known {
            dependents.entry(*d).or_default().push(*hash);
        }
    }
    let mut ready: Vec<ChangeHash> = waiting
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(h, _)| *h)
        .collect();
    // Writer ancestors of every change (including non-writers, to carry the relation through).
    let mut history: HashMap<ChangeHash, HashSet<ChangeHash>> = HashMap::with_capacity(deps.len());
    while let Some(hash) = ready.pop() {
        let mut set = HashSet::new();
        for d in deps.get(&hash).into_iter().flatten() {
            if let Some(parent) = history.get(d) {
                set.extend(parent.iter().copied());
            }
            if writer_set.contains(d) {
                set.insert(*d);
            }
        }
        history.insert(hash, set);
        for next in dependents.get(&hash).into_iter().flatten() {
            if let Some(n) = waiting.get_mut(next) {
                *n -= 1;
                if *n == 0 {
                    ready.push(*next);
                }
            }
        }
    }

    Causality::from_ancestors(writers.iter().map(|w| {
        let ancestors: Vec<String> = history
            .get(w)
            .map(|set| set.iter().map(|h| super::hex(&h.0)).collect())
            .unwrap_or_default();
        (super::hex(&w.0), ancestors)
    }))
}
