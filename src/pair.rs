//! Pairing: per-version de-duplication (earliest row wins), the correlation-id join, coverage.

use crate::ingest::{Requests, StrCol};
use rustc_hash::FxBuildHasher;
use serde::Serialize;
use std::hash::BuildHasher;

/// Result of de-duplicating one version: the kept row indices (in first-seen order).
#[derive(Debug, Clone, Default)]
pub struct Dedup {
    pub keep: Vec<u32>,
    /// Rows dropped because their id occurred in an earlier (by timestamp) row.
    pub duplicate_rows: u64,
    /// Distinct ids that occurred more than once.
    pub duplicate_ids: u64,
    /// (id hash, kept row) per hash partition, sorted by hash: what [`join`] merges. Taken (left
    /// empty) by the join.
    pub by_hash: Vec<Vec<(u64, u32)>>,
}

/// Number of hash partitions: pairing sorts and scans each partition independently (in
/// parallel), and a partition of a 10M-row version (~40k rows) stays in cache while it is sorted.
const PARTITIONS: usize = 256;

fn hash_ids(ids: &StrCol) -> Vec<u64> {
    use rayon::prelude::*;
    (0..ids.len()).into_par_iter().with_min_len(1 << 14).map(|i| FxBuildHasher.hash_one(ids.get(i))).collect()
}

/// (hash, row) of the given rows, grouped into partitions by the top bits of the hash, each
/// partition sorted by (hash, row): equal ids are adjacent, and within them rows keep file order.
fn partitioned(hashes: &[u64], rows: impl Iterator<Item = u32>, capacity: usize) -> Vec<Vec<(u64, u32)>> {
    use rayon::prelude::*;
    let mut parts: Vec<Vec<(u64, u32)>> = (0..PARTITIONS).map(|_| Vec::with_capacity(capacity / PARTITIONS + 16)).collect();
    for i in rows {
        let h = hashes[i as usize];
        parts[(h >> 56) as usize % PARTITIONS].push((h, i));
    }
    parts.par_iter_mut().for_each(|p| p.sort_unstable());
    parts
}

/// Runs of equal hash in a sorted partition.
fn runs(p: &[(u64, u32)]) -> impl Iterator<Item = &[(u64, u32)]> {
    p.chunk_by(|a, b| a.0 == b.0)
}

/// Per partition: (first row, kept row) per distinct id, (hash, kept row) in hash order,
/// duplicate rows, duplicate ids.
type PartitionDedup = (Vec<(u32, u32)>, Vec<(u64, u32)>, u64, u64);

/// Keeps, for each correlation id, its earliest row by timestamp (the first in file order on a
/// tie). Ids are hashed once; each hash partition is sorted and scanned in parallel, and texts
/// are compared only where hashes are equal (duplicates, or a 64-bit collision between distinct
/// ids, which is told apart exactly). O(n log n) in cache-sized pieces.
pub fn dedup(r: &Requests) -> Dedup {
    use rayon::prelude::*;
    let hashes = hash_ids(&r.id);
    let parts = partitioned(&hashes, 0..r.len() as u32, r.len());
    let results: Vec<PartitionDedup> = parts
        .par_iter()
        .map(|p| {
            let mut kept = Vec::with_capacity(p.len());
            let mut hashed = Vec::with_capacity(p.len());
            let (mut dup_rows, mut dup_ids) = (0u64, 0u64);
            for run in runs(p) {
                if let [(h, row)] = run {
                    kept.push((*row, *row));
                    hashed.push((*h, *row));
                    continue;
                }
                // (first row, best row, extra rows) per distinct id text in this run
                let mut ids: Vec<(u32, u32, u64)> = Vec::new();
                for &(_, row) in run {
                    let text = r.id.get(row as usize);
                    match ids.iter_mut().find(|x| r.id.get(x.0 as usize) == text) {
                        Some(x) => {
                            x.2 += 1;
                            if r.ts_ms[row as usize] < r.ts_ms[x.1 as usize] {
                                x.1 = row;
                            }
                        }
                        None => ids.push((row, row, 0)),
                    }
                }
                for (first, best, extra) in ids {
                    if extra > 0 {
                        dup_ids += 1;
                        dup_rows += extra;
                    }
                    kept.push((first, best));
                    hashed.push((run[0].0, best));
                }
            }
            (kept, hashed, dup_rows, dup_ids)
        })
        .collect();
    // Back to first-seen order: scatter by first row, then read in row order.
    let mut slot = vec![u32::MAX; r.len()];
    let mut out = Dedup::default();
    for (pairs, hashed, dr, di) in results {
        out.duplicate_rows += dr;
        out.duplicate_ids += di;
        for (f, b) in pairs {
            slot[f as usize] = b;
        }
        out.by_hash.push(hashed);
    }
    out.keep = slot.into_iter().filter(|&b| b != u32::MAX).collect();
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

/// Joins de-duplicated rows on correlation id; pairs come in V1's first-seen order. Both sides
/// are partitioned and sorted by id hash and merged per partition in parallel; every match is
/// confirmed by comparing the id texts. Uses (and takes) the hash partitions [`dedup`] left.
pub fn join(v1: &Requests, d1: &mut Dedup, v2: &Requests, d2: &mut Dedup) -> Pairing {
    use rayon::prelude::*;
    let sides = |r: &Requests, d: &mut Dedup| {
        let parts = std::mem::take(&mut d.by_hash);
        if parts.len() == PARTITIONS {
            parts
        } else {
            partitioned(&hash_ids(&r.id), d.keep.iter().copied(), d.keep.len())
        }
    };
    let (p1, p2) = (sides(v1, d1), sides(v2, d2));
    let matches: Vec<Vec<(u32, u32)>> = p1
        .par_iter()
        .zip(p2.par_iter())
        .map(|(a, b)| {
            let mut out = Vec::with_capacity(a.len().min(b.len()));
            let (mut ra, mut rb) = (runs(a).peekable(), runs(b).peekable());
            while let (Some(x), Some(y)) = (ra.peek(), rb.peek()) {
                match x[0].0.cmp(&y[0].0) {
                    std::cmp::Ordering::Less => {
                        ra.next();
                    }
                    std::cmp::Ordering::Greater => {
                        rb.next();
                    }
                    std::cmp::Ordering::Equal => {
                        if let ([(_, i)], [(_, j)]) = (x, y) {
                            // The usual case, one row per side: the texts are compared later,
                            // in V1's row order, where half the reads are sequential.
                            out.push((*i, *j));
                        } else {
                            // Equal hashes within a version: distinct ids that collide. Told
                            // apart by text here (rare).
                            for &(_, i) in x.iter() {
                                let text = v1.id.get(i as usize);
                                if let Some(&(_, j)) = y.iter().find(|(_, j)| v2.id.get(*j as usize) == text) {
                                    out.push((i, j));
                                }
                            }
                        }
                        ra.next();
                        rb.next();
                    }
                }
            }
            out
        })
        .collect();
    let mut twin = vec![u32::MAX; v1.len()];
    for (i, j) in matches.into_iter().flatten() {
        twin[i as usize] = j;
    }
    // Candidates (equal hashes) are confirmed by comparing the id texts, so the join stays exact
    // when distinct ids share a 64-bit hash.
    let confirmed: Vec<Vec<(u32, u32)>> = d1
        .keep
        .par_chunks(1 << 16)
        .map(|chunk| {
            chunk
                .iter()
                .filter_map(|&i| {
                    let j = twin[i as usize];
                    (j != u32::MAX && v1.id.get(i as usize) == v2.id.get(j as usize)).then_some((i, j))
                })
                .collect()
        })
        .collect();
    let mut p = Pairing { v1_ids: d1.keep.len() as u64, v2_ids: d2.keep.len() as u64, ..Default::default() };
    let n: usize = confirmed.iter().map(Vec::len).sum();
    p.v1_index.reserve_exact(n);
    p.v2_index.reserve_exact(n);
    for (i, j) in confirmed.into_iter().flatten() {
        p.v1_index.push(i);
        p.v2_index.push(j);
    }
    p.pairs = p.v1_index.len() as u64;
    p.v1_only = p.v1_ids - p.pairs;
    p.v2_only = p.v2_ids - p.pairs;
    p.coverage = if p.v1_ids == 0 { 0.0 } else { p.pairs as f64 / p.v1_ids as f64 };
    p.v2_coverage = if p.v2_ids == 0 { 0.0 } else { p.pairs as f64 / p.v2_ids as f64 };
    p
}
