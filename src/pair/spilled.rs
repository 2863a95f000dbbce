//! Pairing out of core: de-duplication and the join, one spill partition at a time.
//!
//! Ingest left every column in memory except the correlation ids, which went to spill files by
//! id hash ([`crate::ingest::spill`]), so both versions' rows of an id are in the same
//! partition. Each partition's ids are read back (with their rows' timestamps from memory),
//! de-duplicated and joined exactly as in memory, and the results are put back in the global
//! row numbers. The outcome is the same, row for row and pair for pair, as [`super::dedup`] and
//! [`super::join`] on the whole input:
//!
//! - de-duplication is per id, and an id's rows are all in one partition, listed in input order,
//!   so each kept row is the one the in-memory run keeps; the kept rows are put in first-seen
//!   order through each id's first row, as the in-memory run does;
//! - the pairs are put in [`super::canonical_order`] over all partitions at once, from each
//!   paired V1 row's timestamp and id hash. That order reads an id's text only where time and
//!   hash bits tie; such ties fall within one partition (their hashes agree in the top 16 bits,
//!   which choose the partition), where their ids are kept.
//!
//! Afterwards V1's id column holds, of all ids, only those the rest of the run reads: pairs
//! whose results differ (discrepancy examples, discrepancies.parquet) and the order's ties.

use super::{canonical_order, dedup_with_first, hash_id, pairing, twins, Dedup, Pairing};
use crate::error::{Error, Result};
use crate::ingest::columns::codes_differ;
use crate::ingest::spill::{read_partition, SpilledKeys};
use crate::ingest::{Requests, StrCol};
use rayon::prelude::*;

/// Both versions de-duplicated and joined.
pub struct Joined {
    pub d1: Dedup,
    pub d2: Dedup,
    pub pairing: Pairing,
    /// With a replay of V1 (`--v1-replay`): V1's kept rows joined with the replay's, as
    /// (V1 rows, replay rows), in no particular order (the noise baseline only counts them).
    pub replay_pairs: Option<(Vec<u32>, Vec<u32>)>,
}

/// One partition's rows of a version as pairing reads them: ids, and timestamps from memory.
fn local(rows: &[u32], ids: StrCol, all: &Requests) -> Requests {
    Requests { ts_ms: rows.iter().map(|&g| all.ts_ms[g as usize]).collect(), id: ids, ..Default::default() }
}

/// What pairing the partitions builds up, in global row numbers.
struct Progress {
    /// Per version, at each id's first row, its kept row (u32::MAX elsewhere): read in row order,
    /// the kept rows in first-seen order.
    slot: [Vec<u32>; 2],
    /// Per V1 row, its V2 twin (u32::MAX when unpaired).
    twin: Vec<u32>,
    /// Per paired V1 row, its id's hash.
    hashes: Vec<u64>,
    /// V1 rows whose ids later stages read, with the ids.
    restore: Vec<(u32, String)>,
    dup_rows: [u64; 2],
    dup_ids: [u64; 2],
    /// With a replay: (V1 rows, replay rows) of their join.
    replay_pairs: Option<(Vec<u32>, Vec<u32>)>,
}

/// The rules one partition is paired by.
struct Rules<'a> {
    v1: &'a Requests,
    v2: &'a Requests,
    /// Bits of the widest time span the pair order can meet: hashes are compared above them.
    time_bits: u32,
    /// Keep every paired id (spans of 2^48 ms and more, where ties may cross partitions).
    keep_every_id: bool,
    /// V1's result codes mapped to V2's codes of the same text (NONE where V2 lacks it).
    same: Vec<u32>,
}

impl Rules<'_> {
    /// Whether the results of V1 row `g1` and V2 row `g2` differ as texts.
    fn differ(&self, g1: usize, g2: usize) -> bool {
        codes_differ(self.v1.result.codes[g1], self.v2.result.codes[g2], &self.same)
    }
}

impl Progress {
    /// De-duplicates and joins one partition (each version's row numbers and ids), and with a
    /// replay partition joins V1's kept rows with it too.
    fn pair(
        &mut self,
        rules: &Rules<'_>,
        (rows1, ids1): (Vec<u32>, StrCol),
        (rows2, ids2): (Vec<u32>, StrCol),
        replay: Option<(&Requests, Vec<u32>, StrCol)>,
    ) {
        let (r1, r2) = (local(&rows1, ids1, rules.v1), local(&rows2, ids2, rules.v2));
        let ((mut d1, first1), (mut d2, first2)) = rayon::join(|| dedup_with_first(&r1), || dedup_with_first(&r2));
        for (k, (d, first, rows)) in [(&d1, &first1, &rows1), (&d2, &first2, &rows2)].into_iter().enumerate() {
            for (&kept, &f) in d.keep.iter().zip(first) {
                self.slot[k][rows[f as usize] as usize] = rows[kept as usize];
            }
            self.dup_rows[k] += d.duplicate_rows;
            self.dup_ids[k] += d.duplicate_ids;
        }
        if let (Some((rr, rows_r, ids_r)), Some((a, b))) = (replay, self.replay_pairs.as_mut()) {
            let r3 = local(&rows_r, ids_r, rr);
            let mut d3 = crate::pair::dedup(&r3);
            // A copy of V1's de-duplication: the join takes its hash partitions, which the join
            // with V2 below needs too.
            let tr = twins(&r1, &mut d1.clone(), &r3, &mut d3);
            for (i, &j) in tr.iter().enumerate().filter(|(_, &j)| j != u32::MAX) {
                a.push(rows1[i]);
                b.push(rows_r[j as usize]);
            }
        }
        let t = twins(&r1, &mut d1, &r2, &mut d2);
        // Per pair: (timestamp, hash bits the order may compare, local V1 row, id needed, hash).
        let mut paired: Vec<(i64, u64, u32, bool, u64)> = t
            .par_iter()
            .enumerate()
            .filter(|(_, &j)| j != u32::MAX)
            .map(|(i, &j)| {
                let h = hash_id(r1.id.get(i));
                let needed = rules.keep_every_id || rules.differ(rows1[i] as usize, rows2[j as usize] as usize);
                (r1.ts_ms[i], h.checked_shr(rules.time_bits).unwrap_or(0), i as u32, needed, h)
            })
            .collect();
        for &(_, _, i, _, h) in &paired {
            let g1 = rows1[i as usize] as usize;
            self.twin[g1] = rows2[t[i as usize] as usize];
            self.hashes[g1] = h;
        }
        // Runs of equal time and compared hash bits are the order's ties: their ids are kept.
        paired.par_sort_unstable_by_key(|&(ts, hs, i, _, _)| (ts, hs, i));
        for run in paired.chunk_by(|a, b| a.0 == b.0 && a.1 == b.1) {
            for &(_, _, i, needed, _) in run {
                if needed || run.len() > 1 {
                    self.restore.push((rows1[i as usize], r1.id.get(i as usize).to_string()));
                }
            }
        }
    }
}

/// De-duplicates and joins two versions whose ids were spilled (`k1`, `k2`: one file per
/// partition, the same number for both), and puts back into `v1.id` the ids the rest of the
/// run reads (every other row's id is left empty). With `replay` (a replay of V1 spilled the
/// same way) it also joins V1's kept rows with the replay's de-duplicated rows.
pub fn join_spilled(
    v1: &mut Requests,
    k1: &SpilledKeys,
    v2: &Requests,
    k2: &SpilledKeys,
    replay: Option<(&Requests, &SpilledKeys)>,
) -> Result<Joined> {
    let (n1, n2) = (v1.len(), v2.len());
    // The pair order ties rows with equal timestamps and equal hash bits above the time span's
    // bits; the span of all V1 rows bounds that of the paired ones, so ties under the widest
    // span include every tie the order can meet.
    let (lo, hi) = crate::stats::min_max(v1.ts_ms.par_iter().copied()).unwrap_or((i64::MAX, i64::MIN));
    let time_bits = if n1 == 0 { 0 } else { 64 - (hi.wrapping_sub(lo) as u64).leading_zeros() };
    // Spill partitions are chosen by hash bits 48..56: ties stay within a partition when the
    // compared hash bits include them. Over a span of 2^48 ms (8,900 years) and more, every
    // paired id is kept instead.
    let rules = Rules { v1, v2, time_bits, keep_every_id: 64 - time_bits < 16, same: v1.result.codes_in(&v2.result) };
    let mut progress = Progress {
        slot: [vec![u32::MAX; n1], vec![u32::MAX; n2]],
        twin: vec![u32::MAX; n1],
        hashes: vec![0u64; n1],
        restore: Vec::new(),
        dup_rows: [0; 2],
        dup_ids: [0; 2],
        replay_pairs: replay.map(|_| Default::default()),
    };
    let parts = k1.files.len();
    for (p, (f1, f2)) in k1.files.iter().zip(&k2.files).enumerate() {
        crate::progress::stage(&format!("pairing V1 and V2: partition {} of {parts}", p + 1));
        let (a, b) = rayon::join(|| read_partition(f1), || read_partition(f2));
        let replayed = match replay {
            Some((rr, kr)) => {
                let path = kr.files.get(p).ok_or_else(|| Error::Usage("internal: the replay has fewer spill partitions".into()))?;
                let (rows, ids) = read_partition(path)?;
                Some((rr, rows, ids))
            }
            None => None,
        };
        progress.pair(&rules, a?, b?, replayed);
    }
    let Progress { slot: [slot1, slot2], twin, hashes, mut restore, dup_rows, dup_ids, replay_pairs } = progress;
    drop(rules);
    restore.sort_unstable_by_key(|x| x.0);
    let mut ids = StrCol::default();
    let mut next = restore.into_iter().peekable();
    for row in 0..n1 {
        match next.next_if(|x| x.0 as usize == row) {
            Some((_, id)) => ids.push(&id),
            None => ids.push(""),
        }
    }
    v1.id = ids;
    let keep = |slot: Vec<u32>| -> Vec<u32> { slot.into_iter().filter(|&b| b != u32::MAX).collect() };
    let d1 = Dedup { keep: keep(slot1), duplicate_rows: dup_rows[0], duplicate_ids: dup_ids[0], by_hash: Vec::new() };
    let d2 = Dedup { keep: keep(slot2), duplicate_rows: dup_rows[1], duplicate_ids: dup_ids[1], by_hash: Vec::new() };
    let id_col = &v1.id;
    let (i1, i2) = canonical_order(&v1.ts_ms, &twin, |i| hashes[i], |i| id_col.get(i));
    let pairing = pairing(i1, i2, d1.keep.len() as u64, d2.keep.len() as u64);
    Ok(Joined { d1, d2, pairing, replay_pairs })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::spill::{KeySpill, SpillPlan};
    use crate::pair::dedup;
    use crate::stats::resample::splitmix;

    /// `n` rows with ids from `distinct` values (duplicates), timestamps among 4 values near
    /// `lo` plus one row at `lo + span` (the span decides how many hash bits the pair order
    /// compares), and results that depend on the id except in one row of ten (so most pairs
    /// agree, and their ids are not kept for the discrepancy examples).
    fn version(seed: u64, n: usize, distinct: u64, lo: i64, span: i64) -> Requests {
        let mut r = Requests::new(&[]);
        for i in 0..n as u64 {
            let a = splitmix(seed ^ i.wrapping_mul(0x9e37_79b9));
            let b = splitmix(a);
            // Row 0 of both versions is one pair, so that the paired span is `span`.
            r.id.push(&if i == 0 { "span".to_string() } else { format!("id-{}", a % distinct) });
            r.ts_ms.push(if i == 0 { lo + span } else { lo + (b % 4) as i64 });
            // Now and then no result, or one only this version has.
            let only = format!("\"only-{seed}\"");
            let pick = if b % 10 == 0 { b >> 8 } else { a % distinct };
            r.result.push([Some("{\"ok\":1}"), Some("{\"ok\":2}"), Some("\"x\""), None, Some(only.as_str())][pick as usize % 5]);
        }
        r
    }

    /// The whole comparison: kept rows, duplicate counts, pair order and counts.
    fn same_as_in_memory(v1: &Requests, v2: &Requests, parts: usize) -> std::result::Result<(), String> {
        let (mut d1, mut d2) = (dedup(v1), dedup(v2));
        let want = crate::pair::join(v1, &mut d1, v2, &mut d2);
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let plan = SpillPlan { dir: dir.path().to_path_buf(), partitions: parts };
        let (k1, k2) = (spill(v1, &plan, "v1"), spill(v2, &plan, "v2"));
        let mut o1 = Requests { id: StrCol::default(), ..v1.clone() };
        let got = join_spilled(&mut o1, &k1, v2, &k2, None).map_err(|e| e.to_string())?;
        let check = |what: &str, ok: bool| if ok { Ok(()) } else { Err(format!("{what} differs")) };
        check("V1 kept rows", got.d1.keep == d1.keep)?;
        check("V2 kept rows", got.d2.keep == d2.keep)?;
        let dups = |a: &Dedup, b: &Dedup| (a.duplicate_rows, a.duplicate_ids, b.duplicate_rows, b.duplicate_ids);
        check("duplicates", dups(&got.d1, &got.d2) == dups(&d1, &d2))?;
        check("pair order", got.pairing.v1_index == want.v1_index && got.pairing.v2_index == want.v2_index)?;
        check("counts", serde_json::to_string(&got.pairing).ok() == serde_json::to_string(&want).ok())?;
        for (&a, &b) in want.v1_index.iter().zip(&want.v2_index) {
            if v1.result.get(a as usize) != v2.result.get(b as usize) {
                check("a differing pair's id", o1.id.get(a as usize) == v1.id.get(a as usize))?;
            }
        }
        Ok(())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(96))]
        /// Random sizes (empty included), duplicate rates, partition counts and time spans.
        #[test]
        fn partitioned_pairing_equals_pairing_in_memory_on_random_logs(
            seed in 0u64..1_000_000,
            n1 in 0usize..1200,
            n2 in 0usize..1200,
            distinct in 1u64..1500,
            parts in proptest::sample::select(vec![1usize, 2, 4, 16, 64]),
            span in proptest::sample::select(vec![0i64, 3, 86_400_000, 1 << 47, (1 << 48) - 1, 1 << 50]),
        ) {
            let lo = 1_700_000_000_000;
            let (v1, v2) = (version(seed, n1, distinct, lo, span), version(seed ^ 0xabc, n2, distinct, lo, span));
            let outcome = same_as_in_memory(&v1, &v2, parts);
            proptest::prop_assert!(outcome.is_ok(), "{:?}", outcome);
        }
    }

    fn spill(r: &Requests, plan: &SpillPlan, version: &str) -> SpilledKeys {
        let mut k = KeySpill::create(plan, version).expect("spill");
        k.push(0, &r.id);
        k.finish().expect("finish")
    }

    #[test]
    fn partitioned_pairing_equals_pairing_in_memory() {
        // Spans: a day (the order compares 37 hash bits), 2^47 ms (16 bits: timestamps and
        // hash bits tie among the ~600 rows per millisecond, and ties need the ids), and 2^50 ms
        // (under 16 bits: every paired id is kept).
        for (seed, span, parts) in [(1, 86_400_000, 4), (2, 1 << 47, 2), (3, 1 << 47, 16), (4, 1 << 50, 8), (5, 0, 2)] {
            let n = 3_000;
            let (v1, v2) = (version(seed, n, 2_600, 1_700_000_000_000, span), version(seed + 100, n, 2_600, 1_700_000_000_000, span));
            let (mut d1, mut d2) = (dedup(&v1), dedup(&v2));
            let want = crate::pair::join(&v1, &mut d1, &v2, &mut d2);
            assert!(want.pairs > 500, "seed {seed}: enough pairs to test");

            let dir = tempfile::tempdir().expect("tempdir");
            let plan = SpillPlan { dir: dir.path().to_path_buf(), partitions: parts };
            let (k1, k2) = (spill(&v1, &plan, "v1"), spill(&v2, &plan, "v2"));
            let mut o1 = Requests { id: StrCol::default(), ..v1.clone() };
            let got = join_spilled(&mut o1, &k1, &v2, &k2, None).expect("join");
            assert_eq!(got.d1.keep, d1.keep, "seed {seed}: V1 kept rows");
            assert_eq!(got.d2.keep, d2.keep, "seed {seed}: V2 kept rows");
            assert_eq!((got.d1.duplicate_rows, got.d1.duplicate_ids), (d1.duplicate_rows, d1.duplicate_ids));
            assert_eq!((got.d2.duplicate_rows, got.d2.duplicate_ids), (d2.duplicate_rows, d2.duplicate_ids));
            assert_eq!(got.pairing.v1_index, want.v1_index, "seed {seed}: pair order");
            assert_eq!(got.pairing.v2_index, want.v2_index, "seed {seed}");
            assert_eq!(serde_json::to_string(&got.pairing).ok(), serde_json::to_string(&want).ok());
            // Every pair whose results differ keeps its id; other ids are empty unless kept for
            // the order's ties.
            assert_eq!(o1.id.len(), v1.len());
            let mut kept = 0;
            for (&a, &b) in want.v1_index.iter().zip(&want.v2_index) {
                let (a, b) = (a as usize, b as usize);
                if v1.result.get(a) != v2.result.get(b) || span >= 1 << 48 {
                    assert_eq!(o1.id.get(a), v1.id.get(a), "seed {seed}: row {a} keeps its id");
                }
                kept += usize::from(!o1.id.get(a).is_empty());
            }
            if span < 1 << 48 {
                assert!(kept < want.pairs as usize, "seed {seed}: not every id is kept ({kept})");
            }
        }
    }
}
