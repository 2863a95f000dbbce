//! Pairing: per-version de-duplication (earliest row wins), the correlation-id join, coverage.

pub mod spilled;

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
    /// Kept rows as [`key`]s per hash partition, sorted by hash fragment: what [`join`] merges.
    /// Taken (left empty) by the join.
    pub by_hash: Vec<Vec<u64>>,
}

/// Number of hash partitions: pairing sorts and scans each partition independently (in
/// parallel), and a partition of a 10M-row version (~40k rows) stays in cache while it is sorted.
const PARTITIONS: usize = 256;

/// The id hash pairing and the out-of-core spill partition by.
pub fn hash_id(id: &str) -> u64 {
    FxBuildHasher.hash_one(id)
}

/// The partition of an id hash (its top 8 bits).
fn partition(h: u64) -> usize {
    (h >> 56) as usize % PARTITIONS
}

/// A row as pairing sorts it: the next 32 bits of its id hash above the row index, in one u64.
/// Sorting keys sorts by hash fragment and, within equal fragments, by row (file order). With
/// the partition that is 40 bits of hash: distinct ids share a fragment now and then (about
/// n^2 / 2^41 times), and every such run is told apart by comparing the texts.
fn key(h: u64, row: u32) -> u64 {
    ((h >> 24) & 0xFFFF_FFFF) << 32 | u64::from(row)
}

fn frag(key: u64) -> u64 {
    key >> 32
}

fn row(key: u64) -> u32 {
    key as u32
}

/// Keys of the given rows (all rows when `rows` is None), grouped into partitions, each sorted.
/// Two parallel passes (count, then scatter into exact-size partitions) hash each id twice
/// rather than keep an array of hashes: 8 bytes per row in all.
fn partitioned(ids: &StrCol, rows: Option<&[u32]>) -> Vec<Vec<u64>> {
    use rayon::prelude::*;
    const CHUNK: usize = 1 << 18;
    let n = rows.map_or(ids.len(), <[u32]>::len);
    let row_at = |k: usize| rows.map_or(k as u32, |r| r[k]);
    let chunks = n.div_ceil(CHUNK);
    let range = |c: usize| c * CHUNK..((c + 1) * CHUNK).min(n);
    let counts: Vec<Vec<usize>> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut k = vec![0usize; PARTITIONS];
            for j in range(c) {
                k[partition(hash_id(ids.get(row_at(j) as usize)))] += 1;
            }
            k
        })
        .collect();
    let mut parts: Vec<Vec<u64>> = (0..PARTITIONS).map(|p| vec![0u64; counts.iter().map(|c| c[p]).sum()]).collect();
    // Each chunk writes its own stretch of every partition, in chunk order.
    let mut slices: Vec<Vec<&mut [u64]>> = (0..chunks).map(|_| Vec::with_capacity(PARTITIONS)).collect();
    for (p, part) in parts.iter_mut().enumerate() {
        let mut rest: &mut [u64] = part;
        for (c, s) in slices.iter_mut().enumerate() {
            let (mine, tail) = std::mem::take(&mut rest).split_at_mut(counts[c][p]);
            s.push(mine);
            rest = tail;
        }
    }
    slices.into_par_iter().enumerate().for_each(|(c, mut out)| {
        let mut fill = vec![0usize; PARTITIONS];
        for j in range(c) {
            let r = row_at(j);
            let h = hash_id(ids.get(r as usize));
            let p = partition(h);
            out[p][fill[p]] = key(h, r);
            fill[p] += 1;
        }
    });
    parts.par_iter_mut().for_each(|p| p.sort_unstable());
    parts
}

/// Runs of equal hash fragment in a sorted partition.
fn runs(p: &[u64]) -> impl Iterator<Item = &[u64]> {
    p.chunk_by(|a, b| frag(*a) == frag(*b))
}

/// Per partition: (first row, kept row) for ids whose kept row is not their first, duplicate
/// rows, duplicate ids. The kept rows' keys replace the partition's (hash order).
type PartitionDedup = (Vec<(u32, u32)>, u64, u64);

/// Keeps, for each correlation id, its earliest row by timestamp (the first in file order on a
/// tie). Each hash partition is sorted and scanned in parallel, and texts are compared only
/// where hash fragments are equal (duplicates, or distinct ids that share a fragment, which are
/// told apart exactly). O(n log n) in cache-sized pieces.
pub fn dedup(r: &Requests) -> Dedup {
    dedup_impl(r, false).0
}

/// [`dedup`], and for each kept row the first row of its id (where the kept row stands in
/// first-seen order): what the out-of-core pairing needs to put partitions' kept rows back in
/// the order the in-memory run keeps them.
pub fn dedup_with_first(r: &Requests) -> (Dedup, Vec<u32>) {
    dedup_impl(r, true)
}

fn dedup_impl(r: &Requests, want_first: bool) -> (Dedup, Vec<u32>) {
    use rayon::prelude::*;
    let mut parts = partitioned(&r.id, None);
    let results: Vec<PartitionDedup> = parts
        .par_iter_mut()
        .map(|p| {
            // The kept keys are written over the partition as it is scanned: a run yields at
            // most as many kept keys as it has rows, so the write position never passes the
            // read position (and a run is read whole before its keys are written).
            let mut moved = Vec::new();
            let (mut dup_rows, mut dup_ids) = (0u64, 0u64);
            let (mut at, mut w) = (0, 0);
            while at < p.len() {
                let f = frag(p[at]);
                let end = at + p[at..].iter().take_while(|&&k| frag(k) == f).count();
                if end - at == 1 {
                    p[w] = p[at];
                    (at, w) = (end, w + 1);
                    continue;
                }
                // (first row, best row, extra rows) per distinct id text in this run
                let mut ids: Vec<(u32, u32, u64)> = Vec::new();
                for &k in &p[at..end] {
                    let row = row(k);
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
                    if first != best {
                        moved.push((first, best));
                    }
                    p[w] = f << 32 | u64::from(best);
                    w += 1;
                }
                at = end;
            }
            p.truncate(w);
            (moved, dup_rows, dup_ids)
        })
        .collect();
    // Back to first-seen order: mark each kept row at its id's first row, then read in order.
    let mut slot = vec![u32::MAX; r.len()];
    let mut out = Dedup::default();
    for (hashed, (moved, dr, di)) in parts.into_iter().zip(results) {
        out.duplicate_rows += dr;
        out.duplicate_ids += di;
        for &k in &hashed {
            slot[row(k) as usize] = row(k);
        }
        for (first, best) in moved {
            slot[best as usize] = u32::MAX;
            slot[first as usize] = best;
        }
        out.by_hash.push(hashed);
    }
    let mut first = Vec::new();
    if want_first {
        (out.keep, first) = slot.into_iter().enumerate().filter(|&(_, b)| b != u32::MAX).map(|(f, b)| (b, f as u32)).unzip();
    } else {
        out.keep = slot.into_iter().filter(|&b| b != u32::MAX).collect();
    }
    (out, first)
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

/// Puts pairs (V1 row, V2 row) in an order that depends on the requests, not on the files' row
/// order: by V1's timestamp, then by the id's hash, then by the id's text. The paired statistics
/// resample pairs by position, so the same logs exported in another row order (another engine's
/// part files, a paired table from `shadowgate sql`) give the same intervals. Logs are mostly
/// written in time order, so the pairs come here nearly sorted (V1's first-seen order), the
/// sort has little to do, and reading the pairs' columns in this order stays nearly sequential
/// on V1's side.
///
/// `hash(i)` is [`hash_id`] of V1 row i's id and `id(i)` its text; the text is read only where
/// the time and the kept hash bits tie (the out-of-core pairing keeps the ids of such rows).
pub fn canonical_order<'a>(
    ts_ms: &[i64],
    twin: &[u32],
    hash: impl Fn(usize) -> u64 + Sync,
    id: impl Fn(usize) -> &'a str + Sync,
) -> (Vec<u32>, Vec<u32>) {
    use rayon::prelude::*;
    let paired = |i: &usize| twin[*i] != u32::MAX;
    let ts = |i: usize| ts_ms[i];
    let (lo, hi) = crate::stats::min_max((0..twin.len()).into_par_iter().filter(paired).map(ts)).unwrap_or((i64::MAX, i64::MIN));
    // The order's key: the time since the earliest pair above as many top bits of the id hash
    // as fit in a u64.
    let span = hi.wrapping_sub(lo) as u64;
    let time_bits = 64 - span.leading_zeros();
    let hash_bits = 64 - time_bits;
    let key = |i: usize| {
        let t = ts(i).wrapping_sub(lo) as u64;
        let h = if hash_bits == 0 { 0 } else { hash(i) >> time_bits };
        if hash_bits == 64 {
            h
        } else {
            t << hash_bits | h
        }
    };
    // Sorted as one u64 per pair, the key's top half above the V1 row (8 bytes a pair, not the
    // 16 of a (key, row, row) tuple: at 10M pairs that was the largest allocation of pairing).
    let mut sorted: Vec<u64> = (0..twin.len()).into_par_iter().filter(paired).map(|i| key(i) >> 32 << 32 | i as u64).collect();
    sorted.par_sort_unstable();
    // Equal top halves: by the whole key, then (the same millisecond and the same kept hash
    // bits, rare) by id text.
    for run in sorted.chunk_by_mut(|a, b| a >> 32 == b >> 32).filter(|r| r.len() > 1) {
        run.sort_by_cached_key(|&k| (key(k as u32 as usize), id(k as u32 as usize)));
    }
    let v1_index: Vec<u32> = sorted.iter().map(|&k| k as u32).collect();
    drop(sorted);
    let v2_index = v1_index.iter().map(|&i| twin[i as usize]).collect();
    (v1_index, v2_index)
}

/// Joins de-duplicated rows on correlation id. Both sides are partitioned and sorted by id hash
/// and merged per partition in parallel; every match is confirmed by comparing the id texts.
/// Uses (and takes) the hash partitions [`dedup`] left. Pairs come in [`canonical_order`].
pub fn join(v1: &Requests, d1: &mut Dedup, v2: &Requests, d2: &mut Dedup) -> Pairing {
    let twin = twins(v1, d1, v2, d2);
    let (v1_index, v2_index) = canonical_order(&v1.ts_ms, &twin, |i| hash_id(v1.id.get(i)), |i| v1.id.get(i));
    pairing(v1_index, v2_index, d1.keep.len() as u64, d2.keep.len() as u64)
}

/// The counts of a join whose pairs are (v1_index[k], v2_index[k]).
pub fn pairing(v1_index: Vec<u32>, v2_index: Vec<u32>, v1_ids: u64, v2_ids: u64) -> Pairing {
    let mut p = Pairing { v1_ids, v2_ids, ..Default::default() };
    (p.v1_index, p.v2_index) = (v1_index, v2_index);
    p.pairs = p.v1_index.len() as u64;
    p.v1_only = p.v1_ids - p.pairs;
    p.v2_only = p.v2_ids - p.pairs;
    p.coverage = if p.v1_ids == 0 { 0.0 } else { p.pairs as f64 / p.v1_ids as f64 };
    p.v2_coverage = if p.v2_ids == 0 { 0.0 } else { p.pairs as f64 / p.v2_ids as f64 };
    p
}

/// For each V1 row, its V2 twin (the kept V2 row with the same id), or u32::MAX: the join
/// before the pairs are ordered.
pub fn twins(v1: &Requests, d1: &mut Dedup, v2: &Requests, d2: &mut Dedup) -> Vec<u32> {
    use rayon::prelude::*;
    let sides = |r: &Requests, d: &mut Dedup| {
        let parts = std::mem::take(&mut d.by_hash);
        if parts.len() == PARTITIONS {
            parts
        } else {
            partitioned(&r.id, Some(&d.keep))
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
                match frag(x[0]).cmp(&frag(y[0])) {
                    std::cmp::Ordering::Less => {
                        ra.next();
                    }
                    std::cmp::Ordering::Greater => {
                        rb.next();
                    }
                    std::cmp::Ordering::Equal => {
                        if let ([i], [j]) = (x, y) {
                            // The usual case, one row per side: the texts are compared later,
                            // in V1's row order, where half the reads are sequential.
                            out.push((row(*i), row(*j)));
                        } else {
                            // Equal fragments within a version: distinct ids that share one.
                            // Told apart by text here (rare).
                            for &i in x.iter() {
                                let text = v1.id.get(row(i) as usize);
                                if let Some(&j) = y.iter().find(|&&j| v2.id.get(row(j) as usize) == text) {
                                    out.push((row(i), row(j)));
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
    drop((p1, p2));
    let mut twin = vec![u32::MAX; v1.len()];
    for (i, j) in matches.into_iter().flatten() {
        twin[i as usize] = j;
    }
    // Candidates (equal hashes) are confirmed by comparing the id texts, so the join stays exact
    // when distinct ids share a 64-bit hash. V1's rows are read in order, where half the reads
    // are sequential.
    twin.par_iter_mut().enumerate().with_min_len(1 << 16).for_each(|(i, j)| {
        if *j != u32::MAX && v1.id.get(i) != v2.id.get(*j as usize) {
            *j = u32::MAX;
        }
    });
    twin
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::resample::splitmix;
    use std::collections::HashMap;

    /// Requests with the given ids and timestamps (the only columns pairing reads).
    fn requests(rows: &[(String, i64)]) -> Requests {
        let mut r = Requests::new(&[]);
        for (id, ts) in rows {
            r.id.push(id);
            r.ts_ms.push(*ts);
        }
        r
    }

    /// `n` rows whose ids come from `distinct` values (so some repeat) and timestamps from
    /// `lo + [0, spread)` drawn with few distinct values (so ties are common).
    fn random_rows(seed: u64, n: usize, distinct: u64, lo: i64, spread: u64) -> Vec<(String, i64)> {
        (0..n as u64)
            .map(|i| {
                let a = splitmix(seed ^ i);
                let b = splitmix(a);
                (format!("id-{}", a % distinct), lo + ((b % 8) * (spread / 8)) as i64)
            })
            .collect()
    }

    /// Earliest row per id (first in file order on a tie), in the order of each id's first row,
    /// with the duplicate counts: the definition, by a map.
    fn dedup_by_definition(rows: &[(String, i64)]) -> (Vec<u32>, u64, u64) {
        let mut best: HashMap<&str, (usize, usize, u64)> = HashMap::new();
        for (i, (id, ts)) in rows.iter().enumerate() {
            let e = best.entry(id).or_insert((i, i, 0));
            if e.0 != i {
                e.2 += 1;
                if *ts < rows[e.1].1 {
                    e.1 = i;
                }
            }
        }
        let mut kept: Vec<(usize, usize, u64)> = best.into_values().collect();
        kept.sort_unstable();
        let dup_rows = kept.iter().map(|k| k.2).sum();
        let dup_ids = kept.iter().filter(|k| k.2 > 0).count() as u64;
        (kept.iter().map(|k| k.1 as u32).collect(), dup_rows, dup_ids)
    }

    #[test]
    fn dedup_keeps_each_ids_earliest_row_in_first_seen_order() {
        for (seed, n, distinct) in [(1, 2_000, 700), (2, 5_000, 5_000), (3, 3_000, 40), (4, 1, 1), (5, 0, 1)] {
            let rows = random_rows(seed, n, distinct, 1_700_000_000_000, 64);
            let d = dedup(&requests(&rows));
            let (keep, dup_rows, dup_ids) = dedup_by_definition(&rows);
            assert_eq!(d.keep, keep, "seed {seed}");
            assert_eq!((d.duplicate_rows, d.duplicate_ids), (dup_rows, dup_ids), "seed {seed}");
            // The partitions the join merges hold exactly the kept rows, each sorted by key.
            let mut by_hash: Vec<u32> = d.by_hash.iter().flatten().map(|&k| row(k)).collect();
            by_hash.sort_unstable();
            let mut sorted_keep = keep.clone();
            sorted_keep.sort_unstable();
            assert_eq!(by_hash, sorted_keep, "seed {seed}");
            for p in &d.by_hash {
                assert!(p.windows(2).all(|w| frag(w[0]) <= frag(w[1])), "seed {seed}");
                assert!(p.iter().all(|&k| frag(k) == (hash_id(&rows[row(k) as usize].0) >> 24) & 0xFFFF_FFFF));
            }
        }
    }

    /// The pairs of two de-duplicated versions in the documented order: by the key (time since
    /// the earliest pair above the id hash's top bits), then by id text; by plain sorting.
    fn pairs_by_definition(v1: &[(String, i64)], v2: &[(String, i64)]) -> Vec<(u32, u32)> {
        let (k1, k2) = (dedup_by_definition(v1).0, dedup_by_definition(v2).0);
        let at2: HashMap<&str, u32> = k2.iter().map(|&j| (v2[j as usize].0.as_str(), j)).collect();
        let pairs: Vec<(u32, u32)> = k1.iter().filter_map(|&i| at2.get(v1[i as usize].0.as_str()).map(|&j| (i, j))).collect();
        let ts = |i: u32| v1[i as usize].1;
        let lo = pairs.iter().map(|p| ts(p.0)).min().unwrap_or(0);
        let hi = pairs.iter().map(|p| ts(p.0)).max().unwrap_or(0);
        let time_bits = 64 - (hi - lo).unsigned_abs().leading_zeros();
        let key = |i: u32| {
            let t = (ts(i) - lo) as u128;
            let h = (hash_id(&v1[i as usize].0) as u128) >> time_bits;
            ((t << (64 - time_bits)) | h) as u64
        };
        let mut sorted: Vec<(u64, &str, (u32, u32))> = pairs.iter().map(|&p| (key(p.0), v1[p.0 as usize].0.as_str(), p)).collect();
        sorted.sort();
        sorted.into_iter().map(|s| s.2).collect()
    }

    #[test]
    fn the_join_pairs_every_shared_id_in_the_documented_order() {
        // One hour of traffic; then a span above 2^32 ms, where the key's top half is the time
        // alone and every millisecond with two pairs is ordered by the rest of the key and the
        // text; then every request in one millisecond (the key is the hash alone).
        for (seed, lo, spread) in [(11, 1_700_000_000_000, 3_600_000), (12, 0, 1 << 34), (13, 5, 0)] {
            let v1 = random_rows(seed, 4_000, 3_000, lo, spread);
            let v2 = random_rows(seed + 100, 4_000, 3_000, lo, spread);
            let (r1, r2) = (requests(&v1), requests(&v2));
            let (mut d1, mut d2) = (dedup(&r1), dedup(&r2));
            let p = join(&r1, &mut d1, &r2, &mut d2);
            let got: Vec<(u32, u32)> = p.v1_index.iter().copied().zip(p.v2_index.iter().copied()).collect();
            let want = pairs_by_definition(&v1, &v2);
            assert!(want.len() > 1_000, "seed {seed}: {} pairs", want.len());
            assert_eq!(got, want, "seed {seed}");
            assert_eq!(p.pairs, want.len() as u64);
            assert_eq!((p.v1_ids, p.v2_ids), (d1.keep.len() as u64, d2.keep.len() as u64));
            assert_eq!(p.v1_only + p.pairs, p.v1_ids);
        }
    }
    // Ids whose 40 hash bits collide: tests/hostile.rs, ids_sharing_a_hash_fragment_stay_distinct.
}
