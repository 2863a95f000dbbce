//! Discrepancies: comparable pairs (both versions answered `ok`) whose canonical results differ,
//! broken down by field and by segment, with example correlation ids.

use super::canonical::{diff_with, CompareOptions, FieldDiff};
use crate::ingest::Requests;
use crate::stats::multiple::benjamini_hochberg;
use crate::stats::proportion::{rate_interval, two_proportion_z};
use crate::stats::Interval;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::BTreeMap;

/// The joined pairs as the discrepancy analysis reads them: row indices into both versions, with
/// accessors (nothing is copied per pair; at 10M pairs a per-pair struct was a gigabyte).
#[derive(Clone, Copy)]
pub struct Pairs<'a> {
    pub v1: &'a Requests,
    pub v2: &'a Requests,
    /// V1's and V2's row of each pair.
    pub v1_rows: &'a [u32],
    pub v2_rows: &'a [u32],
}

impl<'a> Pairs<'a> {
    pub fn len(&self) -> usize {
        self.v1_rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.v1_rows.is_empty()
    }
    fn rows(&self, i: usize) -> (usize, usize) {
        (self.v1_rows[i] as usize, self.v2_rows[i] as usize)
    }
    pub fn id(&self, i: usize) -> &'a str {
        self.v1.id.get(self.rows(i).0)
    }
    pub fn v1_ok(&self, i: usize) -> bool {
        self.v1.ok[self.rows(i).0]
    }
    pub fn v2_ok(&self, i: usize) -> bool {
        self.v2.ok[self.rows(i).1]
    }
    /// Whether pair i's canonical results differ (one missing and not the other counts), given
    /// `same` = `v1.result.codes_in(&v2.result)`: a comparison of codes, not of texts.
    pub fn results_differ(&self, i: usize, same: &[u32]) -> bool {
        let (a, b) = self.rows(i);
        crate::ingest::columns::codes_differ(self.v1.result.codes[a], self.v2.result.codes[b], same)
    }
    pub fn v1_result(&self, i: usize) -> Option<&'a str> {
        self.v1.result.get(self.rows(i).0)
    }
    pub fn v2_result(&self, i: usize) -> Option<&'a str> {
        self.v2.result.get(self.rows(i).1)
    }
    /// Value of segment column `s` for pair `i`: V1's, else V2's.
    pub fn segment(&self, i: usize, s: usize) -> Option<&'a str> {
        let (a, b) = self.rows(i);
        self.v1.segments.get(s).and_then(|c| c.get(a)).or_else(|| self.v2.segments.get(s).and_then(|c| c.get(b)))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldCount {
    pub path: String,
    /// Kinds of difference seen at this path with their counts.
    pub kinds: BTreeMap<&'static str, u64>,
    pub count: u64,
    /// Share of mismatched pairs that differ at this path.
    pub share_of_mismatches: f64,
    /// Up to 5 mismatched pairs differing here, with both results (a seeded, order-independent
    /// sample).
    pub examples: Vec<Example>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SegmentRow {
    pub column: String,
    pub value: String,
    pub pairs: u64,
    pub comparable: u64,
    pub mismatches: u64,
    /// Discrepancy rate among the segment's comparable pairs.
    pub rate: Interval,
    /// Two-proportion test of this segment's rate against the rest, BH-adjusted across segments.
    pub p_value: f64,
    pub q_value: f64,
    /// Pairs where V2 failed or disagreed with V1 (the functionality.segment statistic).
    pub v2_failures: u64,
    pub failure_rate: Interval,
    /// Up to 5 mismatched pairs in this segment, with both results (seeded sample).
    pub examples: Vec<Example>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Example {
    pub correlation_id: String,
    pub paths: Vec<String>,
    pub v1_result: Option<String>,
    pub v2_result: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusChanges {
    pub v1_ok_v2_error: u64,
    pub v1_error_v2_ok: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Discrepancy {
    /// false when there is nothing to compare (no result column, or canary mode).
    pub applicable: bool,
    pub comparable_pairs: u64,
    pub mismatches: u64,
    pub rate: Interval,
    pub method: &'static str,
    pub status_changes: StatusChanges,
    pub by_path: Vec<FieldCount>,
    pub by_segment: Vec<SegmentRow>,
    pub examples: Vec<Example>,
    /// With `--v1-replay`: paths whose differences V1 also shows against itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise: Option<Noise>,
    /// Mismatched pairs, for discrepancies.parquet (not in verdict.json).
    #[serde(skip)]
    pub mismatched: Vec<(usize, Vec<FieldDiff>)>,
}

/// Per-path difference counts of V1 against a second run of V1 on the same traffic
/// (`--v1-replay`): the noise floor of each path.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    pub file: String,
    pub comparable: u64,
    pub path_counts: BTreeMap<String, u64>,
}

/// Counts, per path, the comparable pairs whose results differ there (V1 vs its replay).
pub fn baseline(pairs: &Pairs<'_>, opts: &CompareOptions, file: String) -> Baseline {
    let comparable: Vec<usize> = (0..pairs.len()).filter(|&i| pairs.v1_ok(i) && pairs.v2_ok(i)).collect();
    let diffs: Vec<Vec<FieldDiff>> = comparable
        .par_iter()
        .filter(|&&i| pairs.v1_result(i) != pairs.v2_result(i))
        .map(|&i| match (pairs.v1_result(i), pairs.v2_result(i)) {
            (Some(a), Some(b)) => diff_with(a, b, opts),
            _ => vec![FieldDiff { path: "$".into(), kind: "value_changed" }],
        })
        .collect();
    let mut path_counts: BTreeMap<String, u64> = BTreeMap::new();
    for d in &diffs {
        let mut paths: Vec<&str> = d.iter().map(|x| x.path.as_str()).collect();
        paths.dedup();
        for p in paths {
            *path_counts.entry(p.to_string()).or_insert(0) += 1;
        }
    }
    Baseline { file, comparable: comparable.len() as u64, path_counts }
}

/// One path's V1-vs-V2 difference rate against its V1-vs-V1 replay rate.
#[derive(Debug, Clone, Serialize)]
pub struct NoisePath {
    pub path: String,
    pub v2_rate: f64,
    pub replay_rate: f64,
    /// V2 rate minus replay rate with Newcombe's interval.
    pub difference: Interval,
    /// One-sided two-proportion test of "V2 differs here more often than V1 differs from itself".
    pub p_value: f64,
    /// Not significantly above the noise floor: excluded from the discrepancy gate (still listed).
    pub noise: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Noise {
    pub replay_file: String,
    pub replay_comparable_pairs: u64,
    pub paths: Vec<NoisePath>,
    /// Mismatches before removing pairs that differ only at noise paths.
    pub mismatches_including_noise: u64,
}

/// Bytes of a result kept in examples.
pub const EXAMPLE_RESULT_BYTES: usize = 2000;
const MAX_EXAMPLES: usize = 10;
const MAX_FIELDS: usize = 50;

fn example_rank(id: &str, seed: u64) -> u64 {
    // FNV-1a over the id, mixed with the seed: a deterministic, order-independent sample.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in id.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// Up to `k` mismatched pairs with the smallest seeded hash of their id: a deterministic sample
/// that does not depend on row order (a bottom-k reservoir), with both results cut to
/// [`EXAMPLE_RESULT_BYTES`].
fn sample_examples<'a>(pairs: &Pairs<'_>, chosen: impl Iterator<Item = &'a (usize, Vec<FieldDiff>)>, k: usize, seed: u64) -> Vec<Example> {
    let mut ranked: Vec<(u64, &'a (usize, Vec<FieldDiff>))> = chosen.map(|m| (example_rank(pairs.id(m.0), seed), m)).collect();
    ranked.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1 .0.cmp(&b.1 .0)));
    let cut = |s: Option<&str>| {
        s.map(|s| {
            let mut t = s.to_string();
            crate::ingest::truncate_utf8(&mut t, EXAMPLE_RESULT_BYTES);
            t
        })
    };
    ranked
        .into_iter()
        .take(k)
        .map(|(_, (i, d))| Example {
            correlation_id: pairs.id(*i).to_string(),
            paths: d.iter().map(|f| f.path.clone()).collect(),
            v1_result: cut(pairs.v1_result(*i)),
            v2_result: cut(pairs.v2_result(*i)),
        })
        .collect()
}

/// Classifies each differing path against the replay's noise floor.
fn classify_noise(mismatched: &[(usize, Vec<FieldDiff>)], n_comp: u64, base: &Baseline, confidence: f64) -> Vec<NoisePath> {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for (_, d) in mismatched {
        count_paths(&mut counts, d, 1);
    }
    classify_counts(counts, n_comp, base, confidence)
}

/// Adds `times` to the count of each path of a pair's differences (a path listed with several
/// kinds in a row once).
fn count_paths<'d>(counts: &mut BTreeMap<&'d str, u64>, diffs: &'d [FieldDiff], times: u64) {
    let mut paths: Vec<&str> = diffs.iter().map(|x| x.path.as_str()).collect();
    paths.dedup();
    for p in paths {
        *counts.entry(p).or_insert(0) += times;
    }
}

/// Classifies each path, given how many mismatched pairs differ there, against the replay.
fn classify_counts(counts: BTreeMap<&str, u64>, n_comp: u64, base: &Baseline, confidence: f64) -> Vec<NoisePath> {
    counts
        .into_iter()
        .map(|(path, x2)| {
            let x0 = base.path_counts.get(path).copied().unwrap_or(0);
            let (z, p_two) = crate::stats::proportion::two_proportion_z(x2, n_comp, x0, base.comparable);
            let p = if z.is_nan() {
                1.0
            } else if z > 0.0 {
                p_two / 2.0
            } else {
                1.0 - p_two / 2.0
            };
            NoisePath {
                path: path.to_string(),
                v2_rate: x2 as f64 / n_comp.max(1) as f64,
                replay_rate: x0 as f64 / base.comparable.max(1) as f64,
                difference: crate::stats::proportion::newcombe_unpaired(x2, n_comp, x0, base.comparable, confidence),
                p_value: p,
                noise: p >= 1.0 - confidence,
            }
        })
        .collect()
}

/// Per path: the kinds of difference seen and the number of mismatched pairs differing there,
/// from each mismatched pair's differences (`times` pairs with those differences), the share of
/// the `n_mis` mismatches, sorted by count, the first [`MAX_FIELDS`]; examples left empty.
fn field_counts<'d>(mismatched: impl Iterator<Item = (&'d [FieldDiff], u64)>, n_mis: u64) -> Vec<FieldCount> {
    let mut fields: BTreeMap<String, FieldCount> = BTreeMap::new();
    for (diffs, times) in mismatched {
        let mut seen_paths: Vec<&str> = Vec::new();
        for d in diffs {
            let e = fields.entry(d.path.clone()).or_insert_with(|| FieldCount {
                path: d.path.clone(),
                kinds: BTreeMap::new(),
                count: 0,
                share_of_mismatches: 0.0,
                examples: Vec::new(),
            });
            *e.kinds.entry(d.kind).or_insert(0) += times;
            if !seen_paths.contains(&d.path.as_str()) {
                e.count += times;
                seen_paths.push(&d.path);
            }
        }
    }
    let mut by_path: Vec<FieldCount> = fields.into_values().collect();
    for f in &mut by_path {
        f.share_of_mismatches = if n_mis == 0 { 0.0 } else { f.count as f64 / n_mis as f64 };
    }
    by_path.sort_by(|a, b| b.count.cmp(&a.count).then(a.path.cmp(&b.path)));
    by_path.truncate(MAX_FIELDS);
    by_path
}

/// The differences that count between two results whose canonical texts differ (empty when the
/// comparison options forgive them all): a result on one side only differs at the root.
pub fn pair_diff(v1: Option<&str>, v2: Option<&str>, opts: &CompareOptions) -> Vec<FieldDiff> {
    match (v1, v2) {
        (Some(a), Some(b)) => diff_with(a, b, opts),
        (Some(_), None) => vec![FieldDiff { path: "$".into(), kind: "missing_in_v2" }],
        (None, _) => vec![FieldDiff { path: "$".into(), kind: "extra_in_v2" }],
    }
}

#[allow(clippy::too_many_arguments)] // the discrepancy analysis has this many independent inputs
pub fn analyze(
    pairs: &Pairs<'_>,
    segment_names: &[String],
    applicable: bool,
    opts: &CompareOptions,
    baseline: Option<&Baseline>,
    confidence: f64,
    seed: u64,
) -> Discrepancy {
    let mut status = StatusChanges { v1_ok_v2_error: 0, v1_error_v2_ok: 0 };
    for i in 0..pairs.len() {
        match (pairs.v1_ok(i), pairs.v2_ok(i)) {
            (true, false) => status.v1_ok_v2_error += 1,
            (false, true) => status.v1_error_v2_ok += 1,
            _ => {}
        }
    }
    let comparable: Vec<usize> = if applicable {
        (0..pairs.len()).into_par_iter().with_min_len(1 << 16).filter(|&i| pairs.v1_ok(i) && pairs.v2_ok(i)).collect()
    } else {
        Vec::new()
    };
    // Equal canonical texts are equal results (the common case, no parsing; compared as codes);
    // the rest are diffed under the comparison options, which may find no difference that counts.
    let same = pairs.v1.result.codes_in(&pairs.v2.result);
    let differing: Vec<usize> = comparable.par_iter().with_min_len(1 << 16).copied().filter(|&i| pairs.results_differ(i, &same)).collect();
    let mismatched: Vec<(usize, Vec<FieldDiff>)> = differing
        .par_iter()
        .map(|&i| (i, pair_diff(pairs.v1_result(i), pairs.v2_result(i), opts)))
        .filter(|(_, d)| !d.is_empty())
        .collect();
    let n_comp_all = comparable.len() as u64;
    let noise = baseline.map(|b| {
        let paths = classify_noise(&mismatched, n_comp_all, b, confidence);
        Noise {
            replay_file: b.file.clone(),
            replay_comparable_pairs: b.comparable,
            paths,
            mismatches_including_noise: mismatched.len() as u64,
        }
    });
    // Pairs that differ only at noise paths do not count as mismatches.
    let mismatched: Vec<(usize, Vec<FieldDiff>)> = match &noise {
        Some(n) => {
            let noisy: Vec<&str> = n.paths.iter().filter(|p| p.noise).map(|p| p.path.as_str()).collect();
            mismatched.into_iter().filter(|(_, d)| d.iter().any(|x| !noisy.contains(&x.path.as_str()))).collect()
        }
        None => mismatched,
    };
    let n_comp = comparable.len() as u64;
    let n_mis = mismatched.len() as u64;
    let (rate, method) = rate_interval(n_mis, n_comp, confidence);

    let mut by_path = field_counts(mismatched.iter().map(|(_, d)| (d.as_slice(), 1)), n_mis);
    for f in &mut by_path {
        f.examples = sample_examples(pairs, mismatched.iter().filter(|(_, d)| d.iter().any(|x| x.path == f.path)), 5, seed);
    }

    let examples = sample_examples(pairs, mismatched.iter(), MAX_EXAMPLES, seed);

    let by_segment = segments(pairs, segment_names, &mismatched, applicable, n_comp, n_mis, confidence, seed);
    Discrepancy {
        applicable,
        comparable_pairs: n_comp,
        mismatches: n_mis,
        rate,
        method,
        status_changes: status,
        by_path,
        by_segment,
        examples,
        noise,
        mismatched,
    }
}

#[allow(clippy::too_many_arguments)] // private helper of analyze(), called once
fn segments(
    pairs: &Pairs<'_>,
    names: &[String],
    mismatched: &[(usize, Vec<FieldDiff>)],
    applicable: bool,
    n_comp: u64,
    n_mis: u64,
    confidence: f64,
    seed: u64,
) -> Vec<SegmentRow> {
    let mut is_mismatch = vec![false; pairs.len()];
    for (i, _) in mismatched {
        is_mismatch[*i] = true;
    }
    let counts: Vec<Vec<(&str, SegmentCounts)>> = (0..names.len())
        .map(|s| {
            let mut groups: FxHashMap<&str, SegmentCounts> = FxHashMap::default();
            for (i, &mismatch) in is_mismatch.iter().enumerate() {
                let g = groups.entry(pairs.segment(i, s).unwrap_or("(missing)")).or_default();
                g.pairs += 1;
                let comparable = applicable && pairs.v1_ok(i) && pairs.v2_ok(i);
                if comparable {
                    g.comparable += 1;
                }
                if mismatch {
                    g.mismatches += 1;
                }
                if !pairs.v2_ok(i) || mismatch {
                    g.v2_failures += 1;
                }
            }
            let mut groups: Vec<_> = groups.into_iter().collect();
            groups.sort_unstable_by(|a, b| a.0.cmp(b.0));
            groups
        })
        .collect();
    segment_rows(names, &counts, n_comp, n_mis, confidence, |s, value| {
        sample_examples(pairs, mismatched.iter().filter(|(i, _)| pairs.segment(*i, s).unwrap_or("(missing)") == value), 5, seed)
    })
}

/// One segment value's pair counts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct SegmentCounts {
    pairs: u64,
    comparable: u64,
    mismatches: u64,
    /// Pairs where V2 failed or disagreed with V1.
    v2_failures: u64,
}

/// The segment rows from each segment column's values (ascending) with their counts: rates,
/// the test against the rest, Benjamini-Hochberg q-values, the examples `examples(column,
/// value)` gives, most mismatches first.
fn segment_rows<S: AsRef<str>>(
    names: &[String],
    counts: &[Vec<(S, SegmentCounts)>],
    n_comp: u64,
    n_mis: u64,
    confidence: f64,
    examples: impl Fn(usize, &str) -> Vec<Example>,
) -> Vec<SegmentRow> {
    let mut rows = Vec::new();
    for (s, (name, groups)) in names.iter().zip(counts).enumerate() {
        for (value, c) in groups {
            let value = value.as_ref();
            let (rate, _) = rate_interval(c.mismatches, c.comparable, confidence);
            let (_, p) = two_proportion_z(c.mismatches, c.comparable, n_mis - c.mismatches, n_comp - c.comparable);
            let (failure_rate, _) = rate_interval(c.v2_failures, c.pairs, confidence);
            rows.push(SegmentRow {
                column: name.clone(),
                value: value.to_string(),
                pairs: c.pairs,
                comparable: c.comparable,
                mismatches: c.mismatches,
                rate,
                p_value: p,
                q_value: f64::NAN,
                v2_failures: c.v2_failures,
                failure_rate,
                examples: examples(s, value),
            });
        }
    }
    let q = benjamini_hochberg(&rows.iter().map(|r| r.p_value).collect::<Vec<_>>());
    for (r, q) in rows.iter_mut().zip(q) {
        r.q_value = q;
    }
    rows.sort_by(|a, b| {
        b.mismatches.cmp(&a.mismatches).then(b.v2_failures.cmp(&a.v2_failures)).then(a.column.cmp(&b.column)).then(a.value.cmp(&b.value))
    });
    rows
}

// --- From mergeable summaries (issue 13): the discrepancy analysis a partition at a time ---

/// A mismatched pair as the summary receives it: its id, its differences (non-empty, as
/// [`pair_diff`] gives them) and both results.
pub struct Mismatch<'a> {
    pub id: &'a str,
    pub diffs: Vec<FieldDiff>,
    pub v1_result: Option<&'a str>,
    pub v2_result: Option<&'a str>,
}

/// The `k` examples of smallest (seeded rank, id): a bottom-k sample, mergeable (the bottom k of
/// a union is among the bottom k of its parts).
#[derive(Debug, Clone)]
struct BottomK {
    k: usize,
    items: Vec<(u64, Example)>,
}

impl BottomK {
    fn new(k: usize) -> BottomK {
        BottomK { k, items: Vec::new() }
    }

    /// Offers a candidate of rank `rank`; `make` builds the example only when it is kept.
    fn offer(&mut self, rank: u64, id: &str, make: impl FnOnce() -> Example) {
        let key = |e: &(u64, Example)| (e.0, e.1.correlation_id.as_str()) < (rank, id);
        let at = self.items.partition_point(key);
        if at < self.k {
            self.items.insert(at, (rank, make()));
            self.items.truncate(self.k);
        }
    }

    fn merge(&mut self, other: &BottomK) {
        for (rank, e) in &other.items {
            self.offer(*rank, &e.correlation_id, || e.clone());
        }
    }

    /// The `k` smallest of several samples.
    fn of<'b>(k: usize, parts: impl Iterator<Item = &'b BottomK>) -> Vec<Example> {
        let mut all = BottomK::new(k);
        parts.for_each(|p| all.merge(p));
        all.items.into_iter().map(|(_, e)| e).collect()
    }
}

/// The mismatched pairs with one list of differences: how many, their examples, and per segment
/// column and value how many with their examples.
#[derive(Debug, Clone)]
struct DiffGroup {
    count: u64,
    examples: BottomK,
    by_segment: Vec<BTreeMap<String, (u64, BottomK)>>,
}

/// The discrepancy analysis as a mergeable summary: status changes, comparable pairs, per
/// segment value the pair counts, and the mismatched pairs grouped by their list of differences,
/// so that the paths a `--v1-replay` shows to be noise, known only once every partition is in,
/// can still drop the pairs that differ only there. [`DiscrepancySummary::finish`] gives what
/// [`analyze`] gives for the same pairs (examples tie-broken by id instead of pair position,
/// and without the list of mismatched pairs, which discrepancies.parquet reads in memory).
#[derive(Debug, Clone)]
pub struct DiscrepancySummary {
    applicable: bool,
    seed: u64,
    status: (u64, u64),
    comparable: u64,
    /// Per segment column: each value's pairs, comparable pairs and pairs where V2 failed
    /// (mismatches are added from the groups).
    segments: Vec<BTreeMap<String, SegmentCounts>>,
    groups: BTreeMap<Vec<FieldDiff>, DiffGroup>,
}

impl DiscrepancySummary {
    /// An empty summary over `segment_columns` segment columns.
    pub fn new(segment_columns: usize, applicable: bool, seed: u64) -> DiscrepancySummary {
        DiscrepancySummary {
            applicable,
            seed,
            status: (0, 0),
            comparable: 0,
            segments: vec![BTreeMap::new(); segment_columns],
            groups: BTreeMap::new(),
        }
    }

    /// Counts one pair: both versions' status, its value of each segment column ("(missing)"
    /// when neither version has one), and, when it is comparable and its results differ in a
    /// way that counts, the mismatch.
    pub fn add(&mut self, v1_ok: bool, v2_ok: bool, segments: &[&str], mismatch: Option<Mismatch<'_>>) {
        match (v1_ok, v2_ok) {
            (true, false) => self.status.0 += 1,
            (false, true) => self.status.1 += 1,
            _ => {}
        }
        let comparable = self.applicable && v1_ok && v2_ok;
        self.comparable += u64::from(comparable);
        for (column, value) in self.segments.iter_mut().zip(segments) {
            let c = match column.get_mut(*value) {
                Some(c) => c,
                None => column.entry(value.to_string()).or_default(),
            };
            c.pairs += 1;
            c.comparable += u64::from(comparable);
            c.v2_failures += u64::from(!v2_ok);
        }
        let Some(m) = mismatch.filter(|m| comparable && !m.diffs.is_empty()) else {
            return;
        };
        let rank = example_rank(m.id, self.seed);
        let example = || {
            let cut = |s: Option<&str>| {
                s.map(|s| {
                    let mut t = s.to_string();
                    crate::ingest::truncate_utf8(&mut t, EXAMPLE_RESULT_BYTES);
                    t
                })
            };
            Example {
                correlation_id: m.id.to_string(),
                paths: m.diffs.iter().map(|f| f.path.clone()).collect(),
                v1_result: cut(m.v1_result),
                v2_result: cut(m.v2_result),
            }
        };
        let columns = self.segments.len();
        // The differences are copied only for a group not seen yet.
        if !self.groups.contains_key(&m.diffs) {
            let group = DiffGroup { count: 0, examples: BottomK::new(MAX_EXAMPLES), by_segment: vec![BTreeMap::new(); columns] };
            self.groups.insert(m.diffs.clone(), group);
        }
        let Some(g) = self.groups.get_mut(&m.diffs) else {
            return;
        };
        g.count += 1;
        g.examples.offer(rank, m.id, example);
        for (column, value) in g.by_segment.iter_mut().zip(segments) {
            let (n, examples) = column.entry(value.to_string()).or_insert_with(|| (0, BottomK::new(5)));
            *n += 1;
            examples.offer(rank, m.id, example);
        }
    }

    pub fn merge(&mut self, other: &DiscrepancySummary) {
        self.status = (self.status.0 + other.status.0, self.status.1 + other.status.1);
        self.comparable += other.comparable;
        for (mine, theirs) in self.segments.iter_mut().zip(&other.segments) {
            for (value, c) in theirs {
                let m = mine.entry(value.clone()).or_default();
                m.pairs += c.pairs;
                m.comparable += c.comparable;
                m.v2_failures += c.v2_failures;
            }
        }
        for (diffs, g) in &other.groups {
            match self.groups.get_mut(diffs) {
                None => {
                    self.groups.insert(diffs.clone(), g.clone());
                }
                Some(mine) => {
                    mine.count += g.count;
                    mine.examples.merge(&g.examples);
                    for (a, b) in mine.by_segment.iter_mut().zip(&g.by_segment) {
                        for (value, (n, examples)) in b {
                            let e = a.entry(value.clone()).or_insert_with(|| (0, BottomK::new(5)));
                            e.0 += n;
                            e.1.merge(examples);
                        }
                    }
                }
            }
        }
    }

    /// The discrepancy analysis of every pair counted, as [`analyze`] reports it.
    pub fn finish(&self, segment_names: &[String], baseline: Option<&Baseline>, confidence: f64) -> Discrepancy {
        let n_comp = self.comparable;
        let noise = baseline.map(|b| {
            let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
            for (diffs, g) in &self.groups {
                count_paths(&mut counts, diffs, g.count);
            }
            Noise {
                replay_file: b.file.clone(),
                replay_comparable_pairs: b.comparable,
                paths: classify_counts(counts, n_comp, b, confidence),
                mismatches_including_noise: self.groups.values().map(|g| g.count).sum(),
            }
        });
        let noisy: Vec<&str> = noise.iter().flat_map(|n| n.paths.iter().filter(|p| p.noise).map(|p| p.path.as_str())).collect();
        // Pairs that differ only at noise paths do not count as mismatches.
        let kept: Vec<(&Vec<FieldDiff>, &DiffGroup)> =
            self.groups.iter().filter(|(d, _)| noise.is_none() || d.iter().any(|x| !noisy.contains(&x.path.as_str()))).collect();
        let n_mis: u64 = kept.iter().map(|(_, g)| g.count).sum();
        let (rate, method) = rate_interval(n_mis, n_comp, confidence);
        let mut by_path = field_counts(kept.iter().map(|(d, g)| (d.as_slice(), g.count)), n_mis);
        for f in &mut by_path {
            f.examples = BottomK::of(5, kept.iter().filter(|(d, _)| d.iter().any(|x| x.path == f.path)).map(|(_, g)| &g.examples));
        }
        let examples = BottomK::of(MAX_EXAMPLES, kept.iter().map(|(_, g)| &g.examples));
        let counts: Vec<Vec<(&str, SegmentCounts)>> = self
            .segments
            .iter()
            .enumerate()
            .map(|(s, column)| {
                column
                    .iter()
                    .map(|(value, c)| {
                        let mismatches: u64 = kept.iter().filter_map(|(_, g)| g.by_segment[s].get(value)).map(|(n, _)| n).sum();
                        (value.as_str(), SegmentCounts { mismatches, v2_failures: c.v2_failures + mismatches, ..*c })
                    })
                    .collect()
            })
            .collect();
        let by_segment = segment_rows(segment_names, &counts, n_comp, n_mis, confidence, |s, value| {
            BottomK::of(5, kept.iter().filter_map(|(_, g)| g.by_segment[s].get(value)).map(|(_, e)| e))
        });
        Discrepancy {
            applicable: self.applicable,
            comparable_pairs: n_comp,
            mismatches: n_mis,
            rate,
            method,
            status_changes: StatusChanges { v1_ok_v2_error: self.status.0, v1_error_v2_ok: self.status.1 },
            by_path,
            by_segment,
            examples,
            noise,
            mismatched: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Pairs;
    use crate::ingest::Requests;
    use proptest::prelude::*;

    proptest! {
        /// The summary fed the pairs in 1-3 parts and merged reports what the in-memory analysis
        /// reports, to the byte: with segments, failures on either side, results missing on
        /// either side, differences at several paths, and with or without a replay baseline
        /// whose noise drops some pairs.
        #[test]
        fn the_discrepancy_summary_merged_from_parts_is_the_in_memory_analysis(
            rows in proptest::collection::vec(
                (any::<bool>(), prop_oneof![4 => Just(true), 1 => Just(false)], proptest::option::of(0u8..5), proptest::option::of(0u8..5), 0u8..3),
                0..120,
            ),
            parts in 1usize..4,
            applicable in prop_oneof![4 => Just(true), 1 => Just(false)],
            replay in proptest::option::of((0u64..40, 0u64..40, 50u64..200)),
        ) {
            use super::{analyze, pair_diff, Baseline, DiscrepancySummary, Mismatch};
            use crate::metrics::canonical::CompareOptions;
            let names = vec!["region".to_string()];
            let text = |k: u8| match k {
                0 => r#"{"a":1,"b":"x"}"#.to_string(),
                1 => r#"{"a":2,"b":"x"}"#.to_string(),
                2 => r#"{"a":1,"b":"y","c":[1,2]}"#.to_string(),
                3 => r#"{"a":1,"b":"x","c":[2,1]}"#.to_string(),
                _ => r#"{"b":"x"}"#.to_string(),
            };
            let (mut v1, mut v2) = (Requests::new(&names), Requests::new(&names));
            for (k, r) in rows.iter().enumerate() {
                let id = format!("req-{k:04}");
                for (v, ok, res) in [(&mut v1, r.0, r.2), (&mut v2, r.1, r.3)] {
                    v.id.push(&id);
                    v.ok.push(ok);
                    v.result.push(res.map(text).as_deref());
                }
                v1.segments[0].push((r.4 > 0).then(|| ["eu", "us"][r.4 as usize - 1]));
                v2.segments[0].push(None);
            }
            (v1.has_result, v2.has_result) = (true, true);
            let rows_idx: Vec<u32> = (0..rows.len() as u32).collect();
            let pairs = Pairs { v1: &v1, v2: &v2, v1_rows: &rows_idx, v2_rows: &rows_idx };
            let opts = CompareOptions::default();
            let baseline = replay.map(|(a, c, n)| Baseline {
                file: "replay.jsonl".into(),
                comparable: n,
                path_counts: [("a".to_string(), a), ("b".to_string(), c), ("$".to_string(), 3)].into_iter().collect(),
            });
            let want = analyze(&pairs, &names, applicable, &opts, baseline.as_ref(), 0.95, 7);
            let same = v1.result.codes_in(&v2.result);
            let mut merged = DiscrepancySummary::new(1, applicable, 7);
            for p in 0..parts {
                let mut part = DiscrepancySummary::new(1, applicable, 7);
                for i in (0..pairs.len()).filter(|i| i % parts == p) {
                    let comparable = applicable && pairs.v1_ok(i) && pairs.v2_ok(i);
                    let mismatch = (comparable && pairs.results_differ(i, &same)).then(|| Mismatch {
                        id: pairs.id(i),
                        diffs: pair_diff(pairs.v1_result(i), pairs.v2_result(i), &opts),
                        v1_result: pairs.v1_result(i),
                        v2_result: pairs.v2_result(i),
                    });
                    part.add(pairs.v1_ok(i), pairs.v2_ok(i), &[pairs.segment(i, 0).unwrap_or("(missing)")], mismatch);
                }
                merged.merge(&part);
            }
            let got = merged.finish(&names, baseline.as_ref(), 0.95);
            prop_assert_eq!(serde_json::to_string(&got).expect("serializes"), serde_json::to_string(&want).expect("serializes"));
        }

        /// Comparing result codes through `codes_in` says what comparing the texts says: for
        /// texts in one version only, in both, in another order of first sight, and missing.
        #[test]
        fn result_codes_differ_where_the_texts_differ(
            a in proptest::collection::vec(proptest::option::of(0u8..6), 1..60),
            b in proptest::collection::vec(proptest::option::of(2u8..9), 1..60),
        ) {
            let text = |k: &Option<u8>| k.map(|k| format!(r#"{{"r":{k}}}"#));
            let (mut v1, mut v2) = (Requests::new(&[]), Requests::new(&[]));
            for k in &a {
                v1.result.push(text(k).as_deref());
            }
            for k in b.iter().rev() {
                v2.result.push(text(k).as_deref());
            }
            let (r1, r2): (Vec<u32>, Vec<u32>) = (0..a.len() as u32).flat_map(|i| (0..b.len() as u32).map(move |j| (i, j))).unzip();
            let pairs = Pairs { v1: &v1, v2: &v2, v1_rows: &r1, v2_rows: &r2 };
            let same = v1.result.codes_in(&v2.result);
            for i in 0..pairs.len() {
                prop_assert_eq!(pairs.results_differ(i, &same), pairs.v1_result(i) != pairs.v2_result(i), "pair {}", i);
            }
        }
    }
}
