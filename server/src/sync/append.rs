//! Incremental storage of uploaded documents. Saving a whole automerge document DEFLATEs each of
//! its large columns with a fresh compressor (most of a save's cost, and a save per uploaded
//! order was about a fifth of a shift-end sync). An upload instead stores the order's stored
//! bytes with the new changes' raw bytes appended: automerge's storage format is a sequence of
//! chunks, and `Automerge::load` reads a document chunk followed by change chunks (what
//! `save_after` writes) as the whole document.
//!
//! The price is paid by the next load, which applies the appended changes, so the tail is kept
//! short: once it would hold more than [`MAX_TAIL_CHANGES`] changes or more bytes than
//! [`MAX_TAIL_BYTES`], the upload saves the whole document again (compacts). Any other writer
//! (office actions) saves whole documents, which compacts too.

use fieldline_core::document::ChangeInfo;

/// Most changes a stored document carries after its document chunk. Applying a change on load
/// costs about as much as a save does per change, so a later load pays at most this many.
pub const MAX_TAIL_CHANGES: usize = 16;

/// Most bytes a stored document carries after its document chunk.
pub const MAX_TAIL_BYTES: usize = 64 * 1024;

/// automerge's chunk header: magic bytes, checksum, type, then the body's length (LEB128).
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const DOCUMENT_CHUNK: u8 = 0;

/// `stored` (a saved document, maybe with changes already appended) with `new`'s raw bytes
/// appended, or `None` when the document should be saved whole instead: the tail would grow
/// past its limits, or `stored` does not start with a document chunk.
pub fn appended(stored: &[u8], new: &[ChangeInfo]) -> Option<Vec<u8>> {
    let (first, rest) = chunks(stored)?;
    if first != DOCUMENT_CHUNK {
        return None;
    }
    let (tail_changes, tail_bytes) = rest;
    let new_bytes: usize = new.iter().map(|c| c.bytes.len()).sum();
    if tail_changes + new.len() > MAX_TAIL_CHANGES || tail_bytes + new_bytes > MAX_TAIL_BYTES {
        return None;
    }
    let mut out = Vec::with_capacity(stored.len() + new_bytes);
    out.extend_from_slice(stored);
    for change in new {
        out.extend_from_slice(&change.bytes);
    }
    Some(out)
}

/// The type of the first chunk of `bytes`, and the count and bytes of the chunks after it;
/// `None` if the chunk headers do not describe the bytes exactly.
fn chunks(bytes: &[u8]) -> Option<(u8, (usize, usize))> {
    let (first_type, first_len) = header(bytes)?;
    let mut at = first_len;
    let mut count = 0;
    while at < bytes.len() {
        let (_, len) = header(&bytes[at..])?;
        at += len;
        count += 1;
    }
    Some((first_type, (count, bytes.len() - first_len)))
}

/// The type and whole length (header and body) of the chunk `bytes` starts with.
fn header(bytes: &[u8]) -> Option<(u8, usize)> {
    if bytes.get(..4)? != MAGIC {
        return None;
    }
    let kind = *bytes.get(8)?;
    let mut len: u64 = 0;
    let mut at = 9;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(at)?;
        at += 1;
        len |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            let total = at.checked_add(usize::try_from(len).ok()?)?;
            return (total <= bytes.len()).then_some((kind, total));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldline_core::WorkOrderDoc;
    use fieldline_core::document::automerge::{
        ActorId, Automerge, ROOT, transaction::Transactable,
    };

    /// A saved document and the infos of `n` changes made on top of it.
    fn saved_and_changes(n: usize) -> (Vec<u8>, Automerge, Vec<ChangeInfo>) {
        let mut doc = Automerge::new().with_actor(ActorId::from([1u8; 16]));
        let mut tx = doc.transaction();
        tx.put(ROOT, "schema_version", 1).expect("put");
        tx.put(ROOT, "order_id", "o").expect("put");
        tx.commit();
        let saved = doc.save();
        let before = doc.get_heads();
        for i in 0..n {
            let mut tx = doc.transaction();
            tx.put(ROOT, format!("k{i}"), i as i64).expect("put");
            tx.commit();
        }
        let infos = WorkOrderDoc::load(&doc.save())
            .expect("loads")
            .change_infos(&before);
        (saved, doc, infos)
    }

    #[test]
    fn appended_bytes_load_as_the_merged_document() {
        let (saved, merged, infos) = saved_and_changes(5);
        let stored = appended(&saved, &infos).expect("appends");
        let loaded = Automerge::load(&stored).expect("loads");
        assert_eq!(loaded.get_heads(), merged.get_heads());
        assert_eq!(loaded.save(), merged.save());
        // A second upload appends after the first.
        let more = appended(&stored, &infos[..2]).expect("appends again");
        assert_eq!(
            Automerge::load(&more).expect("loads").get_heads(),
            merged.get_heads()
        );
        assert_eq!(chunks(&more).map(|(kind, (n, _))| (kind, n)), Some((0, 7)));
    }

    #[test]
    fn a_long_tail_or_unknown_bytes_are_saved_whole() {
        let (saved, _, infos) = saved_and_changes(MAX_TAIL_CHANGES + 1);
        assert!(appended(&saved, &infos[..MAX_TAIL_CHANGES]).is_some());
        assert!(appended(&saved, &infos).is_none());
        let full = appended(&saved, &infos[..MAX_TAIL_CHANGES]).expect("appends");
        assert!(appended(&full, &infos[..1]).is_none());
        // Not a document chunk first, truncated, or not automerge at all.
        assert!(appended(&infos[0].bytes, &infos[1..2]).is_none());
        assert!(appended(&saved[..saved.len() - 1], &infos[..1]).is_none());
        assert!(appended(b"not a document", &infos[..1]).is_none());
        assert!(appended(&[], &infos[..1]).is_none());
    }
}
