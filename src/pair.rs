//! Pairing: per-version de-duplication (earliest row wins), the correlation-id join, coverage.

use crate::ingest::Requests;
use rustc_hash::FxHashMap;
use serde::Serialize;

/// Result of de-duplicating one version: the kept row indices (in first-seen order).
#[derive(Debug, Clone, Default)]
pub struct Dedup {
    pub keep: Vec<u32>,
    /// Rows dropped because their id occurred in an earlier (by timestamp) row.
    pub duplicate_rows: u64,
    /// Distinct ids that occurred more than once.
    pub duplicate_ids: u64,
}

/// Keeps, for each correlation id, its earliest row by timestamp (the first in file order on a
/// tie). O(n) expected.
pub fn dedup(r: &Requests) -> Dedup {
    let mut map: FxHashMap<&str, (u32, u32)> = FxHashMap::with_capacity_and_hasher(r.len(), Default::default());
    let mut order: Vec<&str> = Vec::with_capacity(r.len());
    let mut out = Dedup::default();
    for (i, id) in r.id.iter().enumerate() {
        let i = i as u32;
        match map.get_mut(id.as_str()) {
            Some((best, dups)) => {
                out.duplicate_rows += 1;
                if *dups == 0 {
                    out.duplicate_ids += 1;
                }
                *dups += 1;
                if r.ts_ms[i as usize] < r.ts_ms[*best as usize] {
                    *best = i;
                }
            }
            None => {
                map.insert(id.as_str(), (i, 0));
                order.push(id.as_str());
            }
        }
    }
    out.keep = order.iter().map(|id| map[id].0).collect();
    out
}

/// The join of V1 and V2 by correlation id.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Pairing {
    /// Distinct correlation ids per version (after de-duplication).
    pub v1_ids: u64,
    pub v2_ids: u64,
    /// Ids present in both versions. In shadow mode these are the pairs; in canary mode each
    /// request should be served by one version only, so a non-zero count means the split leaks.
    pub pairs: u64,
    pub v1_only: u64,
    pub v2_only: u64,
    /// pairs / v1_ids: share of V1 requests with a V2 twin.
    pub coverage: f64,
    /// pairs / v2_ids: share of V2 requests with a V1 twin.
    pub v2_coverage: f64,
    #[serde(skip)]
    pub v1_index: Vec<u32>,
    #[serde(skip)]
    pub v2_index: Vec<u32>,
}

/// Joins de-duplicated rows on correlation id; pairs come in V1's first-seen order.
pub fn join(v1: &Requests, d1: &Dedup, v2: &Requests, d2: &Dedup) -> Pairing {
    let mut map: FxHashMap<&str, u32> = FxHashMap::with_capacity_and_hasher(d2.keep.len(), Default::default());
    for &i in &d2.keep {
        map.insert(v2.id[i as usize].as_str(), i);
    }
    let mut p = Pairing { v1_ids: d1.keep.len() as u64, v2_ids: d2.keep.len() as u64, ..Default::default() };
    for &i in &d1.keep {
        if let Some(&j) = map.get(v1.id[i as usize].as_str()) {
            p.v1_index.push(i);
            p.v2_index.push(j);
        }
    }
    p.pairs = p.v1_index.len() as u64;
    p.v1_only = p.v1_ids - p.pairs;
    p.v2_only = p.v2_ids - p.pairs;
    p.coverage = if p.v1_ids == 0 { 0.0 } else { p.pairs as f64 / p.v1_ids as f64 };
    p.v2_coverage = if p.v2_ids == 0 { 0.0 } else { p.pairs as f64 / p.v2_ids as f64 };
    p
}
