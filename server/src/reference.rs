//! The utility's reference data (codes, checklists, policy), versioned in the database. Admins
//! publish a new version (the old ones are kept: field entries record the version they were
//! checked under, and the server judges an entry with that version); everyone reads the
//! current one. Until an admin publishes, the current version is the core's default
//! (`ReferenceData::default_water`, version 1).

use crate::orders::OrderError;
use crate::store::{Store, StoreError, StoredReference, User, UtilityId};
use chrono::{DateTime, Utc};
use fieldline_core::reference::{CodeDef, ReferenceData, ReferenceSet};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};

/// Largest reference data accepted, as JSON.
pub const MAX_REFERENCE_BYTES: usize = 512 * 1024;
/// Longest code accepted in a code list.
const MAX_CODE_BYTES: usize = 64;

/// The utility's current reference data.
pub async fn current(store: &dyn Store, utility: UtilityId) -> Result<ReferenceData, OrderError> {
    match store.reference_version(utility, None).await? {
        Some(stored) => parse(&stored),
        None => Ok(ReferenceData::default_water()),
    }
}

/// The utility's reference data at `version` (what an entry recorded), if it exists.
pub async fn at_version(
    store: &dyn Store,
    utility: UtilityId,
    version: u32,
) -> Result<Option<ReferenceData>, OrderError> {
    match store.reference_version(utility, Some(version)).await? {
        Some(stored) => parse(&stored).map(Some),
        None if version == ReferenceData::default_water().version => {
            Ok(Some(ReferenceData::default_water()))
        }
        None => Ok(None),
    }
}

/// Every published version of the utility's reference data (with the built-in default), to
/// judge each field entry under the version it recorded. Versions never change once published,
/// so each is parsed once per process and kept; only the newest version number is read per call.
pub async fn all_versions(
    store: &dyn Store,
    utility: UtilityId,
) -> Result<ReferenceSet, OrderError> {
    type Parsed = HashMap<(UtilityId, u32), Arc<ReferenceData>>;
    static PARSED: LazyLock<Mutex<Parsed>> = LazyLock::new(Default::default);
    let Some(newest) = store.reference_version(utility, None).await? else {
        return Ok(ReferenceSet::default());
    };
    let newest = {
        let data = Arc::new(parse(&newest)?);
        lock(&PARSED).insert((utility, data.version), Arc::clone(&data));
        data
    };
    let mut versions = vec![Arc::clone(&newest)];
    for version in 1..newest.version {
        let known = lock(&PARSED).get(&(utility, version)).cloned();
        let data = match known {
            Some(data) => data,
            None => match store.reference_version(utility, Some(version)).await? {
                Some(stored) => {
                    let data = Arc::new(parse(&stored)?);
                    lock(&PARSED).insert((utility, version), Arc::clone(&data));
                    data
                }
                None => continue,
            },
        };
        versions.push(data);
    }
    Ok(ReferenceSet::new(versions))
}

/// The cache's lock; a panic elsewhere while holding it leaves plain data behind, still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn parse(stored: &StoredReference) -> Result<ReferenceData, OrderError> {
    serde_json::from_str(&stored.data).map_err(|e| {
        OrderError::Store(StoreError::Invalid(format!(
            "stored reference data version {}: {e}",
            stored.version
        )))
    })
}

/// Validates `data` and stores it as the next version. Its `version` must be the current
/// version + 1 (else `Conflict`: someone published meanwhile).
pub async fn publish(
    store: &dyn Store,
    utility: UtilityId,
    by: &User,
    data: ReferenceData,
    now: DateTime<Utc>,
) -> Result<ReferenceData, OrderError> {
    validate(&data)?;
    let next = current(store, utility).await?.version + 1;
    if data.version != next {
        return Err(OrderError::Store(StoreError::Conflict(format!(
            "the next reference data version is {next}: fetch the current one, edit it and send \
             it as version {next}"
        ))));
    }
    let json = serde_json::to_string(&data)
        .map_err(|e| OrderError::Store(StoreError::Invalid(e.to_string())))?;
    if json.len() > MAX_REFERENCE_BYTES {
        return Err(OrderError::invalid(
            "reference",
            format!("reference data is at most {MAX_REFERENCE_BYTES} bytes of JSON"),
        ));
    }
    let stored = StoredReference {
        version: data.version,
        data: json,
        created_by: by.id,
        created_at: now,
    };
    store.insert_reference_version(utility, &stored).await?;
    tracing::info!(version = data.version, "reference data published");
    Ok(data)
}

/// What the rules need to hold of reference data beyond its shape.
pub fn validate(data: &ReferenceData) -> Result<(), OrderError> {
    for (field, list) in [
        ("skip_codes", &data.skip_codes),
        ("reader_codes", &data.reader_codes),
        ("trouble_codes", &data.trouble_codes),
        ("completion_codes", &data.completion_codes),
        ("not_done_reasons", &data.not_done_reasons),
        ("exchange_reasons", &data.exchange_reasons),
        ("problem_codes", &data.problem_codes),
        ("endpoint_flags", &data.endpoint_flags),
    ] {
        codes(field, list)?;
    }
    let mut checklists = HashSet::new();
    for c in &data.checklists {
        if !checklists.insert((c.id.as_str(), c.version)) {
            return Err(OrderError::invalid(
                "checklists",
                format!("checklist {} version {} is listed twice", c.id, c.version),
            ));
        }
    }
    let d = &data.policy.disconnect;
    if d.start_hour >= d.cutoff_hour || d.cutoff_hour > 24 {
        return Err(OrderError::invalid(
            "policy.disconnect.cutoff_hour",
            "cuts need start_hour < cutoff_hour <= 24",
        ));
    }
    if d.min_past_due_cents < 0 {
        return Err(OrderError::invalid(
            "policy.disconnect.min_past_due_cents",
            "the threshold cannot be negative",
        ));
    }
    if d.snapshot_max_age_ms <= 0 {
        return Err(OrderError::invalid(
            "policy.disconnect.snapshot_max_age_ms",
            "the account snapshot's freshness must be positive",
        ));
    }
    if d.utc_offset_minutes.abs() > 14 * 60 {
        return Err(OrderError::invalid(
            "policy.disconnect.utc_offset_minutes",
            "a UTC offset is within ±14 hours",
        ));
    }
    let seal = &data.policy.seal_format;
    if !(1..=12).contains(&seal.digits) || seal.prefix.len() > 8 {
        return Err(OrderError::invalid(
            "policy.seal_format",
            "a seal format has 1 to 12 digits and a prefix of at most 8 bytes",
        ));
    }
    Ok(())
}

fn codes(field: &str, list: &[CodeDef]) -> Result<(), OrderError> {
    let mut seen = HashSet::new();
    for c in list {
        if c.code.trim().is_empty() || c.code.len() > MAX_CODE_BYTES {
            return Err(OrderError::invalid(
                field,
                format!("a code is 1 to {MAX_CODE_BYTES} bytes"),
            ));
        }
        if !seen.insert(c.code.as_str()) {
            return Err(OrderError::invalid(
                field,
                format!("code `{}` is listed twice", c.code),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_reference_data_is_valid() {
        assert!(validate(&ReferenceData::default_water()).is_ok());
    }

    #[test]
    fn duplicate_codes_bad_hours_and_bad_seal_formats_are_refused_naming_the_field() {
        let field_of = |data: &ReferenceData| match validate(data) {
            Err(OrderError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        };
        let mut dup = ReferenceData::default_water();
        let first = dup.skip_codes[0].clone();
        dup.skip_codes.push(first);
        assert_eq!(field_of(&dup), "skip_codes");
        let mut long = ReferenceData::default_water();
        long.trouble_codes
            .push(CodeDef::new(&"x".repeat(65), "Too long"));
        assert_eq!(field_of(&long), "trouble_codes");
        let mut hours = ReferenceData::default_water();
        hours.policy.disconnect.start_hour = 16;
        assert_eq!(field_of(&hours), "policy.disconnect.cutoff_hour");
        let mut seal = ReferenceData::default_water();
        seal.policy.seal_format.digits = 13;
        assert_eq!(field_of(&seal), "policy.seal_format");
        let mut offset = ReferenceData::default_water();
        offset.policy.disconnect.utc_offset_minutes = 15 * 60;
        assert_eq!(field_of(&offset), "policy.disconnect.utc_offset_minutes");
        let mut flags = ReferenceData::default_water();
        let tamper = flags.endpoint_flags[0].clone();
        flags.endpoint_flags.push(tamper);
        assert_eq!(field_of(&flags), "endpoint_flags");
    }
}
