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

#[cfg(test)]
mod tests {
    use super::Pairs;
    use crate::ingest::Requests;
    use proptest::prelude::*;

    proptest! {
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
