//! Latency: per-version percentiles with distribution-free intervals, and V2-vs-V1 comparison
//! (paired in shadow mode, two-sample in canary mode).

use crate::stats::nonparametric::{
    hodges_lehmann_one_sample_sorted, hodges_lehmann_two_sample, mann_whitney, wilcoxon_signed_rank_sorted, RankTest,
};
use crate::stats::quantile::quantile_with_ci;
use crate::stats::resample::{mean_ratio, quantile_ratios_sorted, RatioInterval};
use crate::stats::{variance, Interval};
use serde::Serialize;
use std::collections::BTreeMap;

/// The quantiles reported everywhere.
pub const QUANTILES: [(&str, f64); 4] = [("p50", 0.50), ("p90", 0.90), ("p95", 0.95), ("p99", 0.99)];

/// One version's latency distribution.
#[derive(Debug, Clone, Serialize)]
pub struct LatencySummary {
    pub n: u64,
    /// Mean with a normal-theory (CLT) interval.
    pub mean: Interval,
    pub max: f64,
    pub p50: Interval,
    pub p90: Interval,
    pub p95: Interval,
    pub p99: Interval,
    /// 601 evenly spaced quantiles (value, share) for the CDF chart, taken from the sort the
    /// summary already does; not in verdict.json.
    #[serde(skip)]
    pub ecdf: Vec<(f64, f64)>,
}

impl LatencySummary {
    pub fn quantile(&self, name: &str) -> Option<Interval> {
        match name {
            "p50" => Some(self.p50),
            "p90" => Some(self.p90),
            "p95" => Some(self.p95),
            "p99" => Some(self.p99),
            "mean" => Some(self.mean),
            _ => None,
        }
    }
}

/// Summary of latencies in ms, given sorted ascending: type-7 percentiles with order-statistic
/// intervals (binomial ranks) and the mean with mean +- z s / sqrt(n).
pub fn summarize_sorted(s: &[f64], confidence: f64) -> LatencySummary {
    let n = s.len();
    LatencySummary {
        n: n as u64,
        mean: crate::stats::mean_interval(n as u64, crate::stats::mean(s), variance(s), confidence),
        max: s.last().copied().unwrap_or(f64::NAN),
        p50: quantile_with_ci(s, 0.50, confidence),
        p90: quantile_with_ci(s, 0.90, confidence),
        p95: quantile_with_ci(s, 0.95, confidence),
        p99: quantile_with_ci(s, 0.99, confidence),
        ecdf: crate::stats::quantile::evenly_spaced_quantiles(s, 600),
    }
}

/// V2 against V1.
#[derive(Debug, Clone, Serialize)]
pub struct LatencyComparison {
    /// true in shadow mode (the same requests), false in canary mode.
    pub paired: bool,
    /// Pairs (shadow) or V1 + V2 requests (canary).
    pub n: u64,
    /// V2/V1 ratios of p50, p90, p95, p99 and the mean, each with its interval and method.
    pub ratios: BTreeMap<&'static str, RatioInterval>,
    /// Signed-rank test on per-request log ratios ln(v2/v1) (shadow) or Mann-Whitney U (canary).
    pub test: RankTest,
    /// Typical per-request change: shadow, the Hodges-Lehmann median of V2/V1 ratios (exp of the
    /// HL estimate of the log ratios); canary, the Hodges-Lehmann shift V2 - V1 in ms.
    pub shift: Shift,
    /// Shadow: the per-request log ratios binned for the report's chart, made here from the
    /// sorted log ratios the rank statistics already need (not in verdict.json).
    #[serde(skip)]
    pub change_histogram: Option<ChangeHistogram>,
}

/// Bins of the per-request latency change chart.
pub const CHANGE_BINS: usize = 60;

/// The middle 99% of the per-request log ratios ln((v2 + c) / (v1 + c)), in [`CHANGE_BINS`]
/// equal bins over `[lo, hi)` (at least ±0.01 wide), as shares of all pairs.
#[derive(Debug, Clone)]
pub struct ChangeHistogram {
    pub lo: f64,
    pub hi: f64,
    pub shares: Vec<f64>,
}

impl ChangeHistogram {
    /// From the log ratios sorted by `f64::total_cmp`; None when there are none.
    pub fn from_sorted(logs: &[f64]) -> Option<ChangeHistogram> {
        if logs.is_empty() {
            return None;
        }
        // The middle 99%, so a few extreme requests do not squash the picture.
        let lo = crate::stats::quantile::quantile_sorted(logs, 0.005).min(-0.01);
        let hi = crate::stats::quantile::quantile_sorted(logs, 0.995).max(0.01);
        Some(ChangeHistogram { lo, hi, shares: crate::stats::histogram::shares_sorted(logs, lo, hi, CHANGE_BINS) })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Shift {
    /// "median_ratio" (shadow) or "shift_ms" (canary).
    pub kind: &'static str,
    #[serde(flatten)]
    pub interval: Interval,
}

/// Offset added to both latencies before taking ln(v2/v1), so that 0 ms (sub-millisecond
/// requests rounded down) stays finite: 1 microsecond.
pub const LOG_OFFSET_MS: f64 = 1e-3;

/// A pair's latency change on the log scale, ln((v2 + c) / (v1 + c)), c = [`LOG_OFFSET_MS`].
pub fn log_ratio(v1: f64, v2: f64) -> f64 {
    ((v2 + LOG_OFFSET_MS) / (v1 + LOG_OFFSET_MS)).ln()
}

/// Paired comparison over (V1, V2) latencies of the same requests (`v1[i]`, `v2[i]`), given both
/// samples also sorted (`s1`, `s2`).
pub fn compare_paired_sorted(v1: &[f64], v2: &[f64], s1: &[f64], s2: &[f64], confidence: f64, seed: u64) -> LatencyComparison {
    let qs: Vec<f64> = QUANTILES.iter().map(|(_, q)| *q).collect();
    // The rank statistics of the log ratios and the resampled quantile ratios are independent:
    // each side's sequential steps (the selection's probes, the batch splits) overlap the other's.
    let ((hl, test, change_histogram), quantile_ratios) = rayon::join(
        || {
            let mut logs: Vec<f64> = v1.iter().zip(v2).map(|(&a, &b)| log_ratio(a, b)).collect();
            // One sort serves the signed-rank test, the Hodges-Lehmann estimate and the chart.
            crate::stats::sort_in_place(&mut logs);
            (hodges_lehmann_one_sample_sorted(&logs, confidence), wilcoxon_signed_rank_sorted(&logs), ChangeHistogram::from_sorted(&logs))
        },
        || quantile_ratios_sorted(v1, v2, s1, s2, &qs, true, confidence, seed),
    );
    let mut ratios = BTreeMap::new();
    for ((name, _), r) in QUANTILES.iter().zip(quantile_ratios) {
        ratios.insert(*name, r);
    }
    ratios.insert("mean", mean_ratio(v1, v2, true, confidence));
    LatencyComparison {
        paired: true,
        n: v1.len() as u64,
        ratios,
        test,
        shift: Shift { kind: "median_ratio", interval: hl.map(f64::exp) },
        change_histogram,
    }
}

/// Two-sample comparison (canary mode); `s1`, `s2` are `v1`, `v2` sorted ascending.
pub fn compare_unpaired_sorted(v1: &[f64], v2: &[f64], s1: &[f64], s2: &[f64], confidence: f64, seed: u64) -> LatencyComparison {
    let mut ratios = BTreeMap::new();
    let qs: Vec<f64> = QUANTILES.iter().map(|(_, q)| *q).collect();
    for ((name, _), r) in QUANTILES.iter().zip(quantile_ratios_sorted(v1, v2, s1, s2, &qs, false, confidence, seed)) {
        ratios.insert(*name, r);
    }
    ratios.insert("mean", mean_ratio(v1, v2, false, confidence));
    LatencyComparison {
        paired: false,
        n: (v1.len() + v2.len()) as u64,
        ratios,
        test: mann_whitney(v2, v1),
        shift: Shift { kind: "shift_ms", interval: hodges_lehmann_two_sample(v2, v1, confidence) },
        change_histogram: None,
    }
}

// --- From mergeable summaries (issue 13: the analysis of inputs whose latencies do not fit) ---

use crate::stats::summary::{batch_means_ratio, LogHistogram, Moments, PairMoments, SignedHistogram, BATCH_COARSENING, RELATIVE_ACCURACY};

/// One version's latencies as a mergeable summary: the histogram the percentiles come from, the
/// moments of the mean, and the largest value. Built a partition at a time and merged; see
/// [`crate::stats::summary`] for the bounds.
#[derive(Debug, Clone)]
pub struct VersionSummary {
    pub histogram: LogHistogram,
    pub moments: Moments,
    pub max: f64,
}

impl Default for VersionSummary {
    fn default() -> Self {
        VersionSummary { histogram: LogHistogram::new(RELATIVE_ACCURACY), moments: Moments::default(), max: f64::NAN }
    }
}

impl VersionSummary {
    /// Counts one latency; false (not counted) when it is negative or not finite, which ingest
    /// has already rejected.
    pub fn add(&mut self, ms: f64) -> bool {
        match self.histogram.locate(ms) {
            Some(at) => {
                self.add_at(at, ms);
                true
            }
            None => false,
        }
    }

    /// Counts `ms`, already located on the histogram's grid (so that a batch histogram can
    /// count it at the same place).
    fn add_at(&mut self, at: crate::stats::summary::Place, ms: f64) {
        self.histogram.add_at(at);
        self.moments.add(ms);
        self.max = self.max.max(ms);
    }

    pub fn merge(&mut self, other: &VersionSummary) {
        self.histogram.merge(&other.histogram);
        self.moments.merge(&other.moments);
        self.max = self.max.max(other.max);
    }

    /// [`summarize_sorted`] from the summary: percentiles within 0.01% and intervals that contain
    /// the exact ones (at most one cell wider at each end), the mean and its interval up to
    /// floating-point rounding, the exact maximum.
    pub fn summarize(&self, confidence: f64) -> LatencySummary {
        let h = &self.histogram;
        LatencySummary {
            n: h.len(),
            mean: self.moments.mean_interval(confidence),
            max: self.max,
            p50: h.quantile_with_ci(0.50, confidence),
            p90: h.quantile_with_ci(0.90, confidence),
            p95: h.quantile_with_ci(0.95, confidence),
            p99: h.quantile_with_ci(0.99, confidence),
            ecdf: h.evenly_spaced_quantiles(600),
        }
    }
}

/// The batch (of [`crate::stats::resample::BATCHES`]) a pair falls in when the analysis runs from
/// summaries: a seeded hash of its correlation id's hash, so that every partition assigns it
/// alike. (In memory the batches are drawn by the pair's position, which a partition does not
/// know; either is a random split, which is all batch means need.)
pub fn summary_batch(id_hash: u64, seed: u64) -> usize {
    batch_by_hash(id_hash, seed, crate::stats::resample::V1_SALT)
}

/// One of the [`crate::stats::resample::BATCHES`] batches, from an id's hash, the run's seed
/// and a salt (one split per salt).
fn batch_by_hash(id_hash: u64, seed: u64, salt: u64) -> usize {
    use crate::stats::resample::{splitmix, BATCHES};
    (splitmix(id_hash ^ splitmix(seed ^ salt)) % BATCHES as u64) as usize
}

/// The paired latencies of a shadow run as mergeable summaries: both versions' histograms over
/// the pairs and per batch, the histogram of the per-pair log ratios, and the pairs' moments.
#[derive(Debug, Clone)]
pub struct PairedSummaries {
    pub v1: LogHistogram,
    pub v2: LogHistogram,
    pub batches: Vec<(LogHistogram, LogHistogram)>,
    pub log_ratios: SignedHistogram,
    pub moments: PairMoments,
}

impl Default for PairedSummaries {
    fn default() -> Self {
        let h = || LogHistogram::new(RELATIVE_ACCURACY);
        let b = || h().coarsened(BATCH_COARSENING);
        PairedSummaries {
            v1: h(),
            v2: h(),
            batches: (0..crate::stats::resample::BATCHES).map(|_| (b(), b())).collect(),
            log_ratios: SignedHistogram::for_relative_accuracy(RELATIVE_ACCURACY),
            moments: PairMoments::default(),
        }
    }
}

impl PairedSummaries {
    /// Counts one pair in batch `batch` ([`summary_batch`]); false (not counted) when a latency
    /// is negative or not finite.
    pub fn add(&mut self, v1: f64, v2: f64, batch: usize) -> bool {
        // One logarithm per value for the whole sample and its batch; None for a negative or
        // non-finite latency.
        let (Some(at1), Some(at2)) = (self.v1.locate(v1), self.v2.locate(v2)) else {
            return false;
        };
        self.v1.add_at(at1);
        self.v2.add_at(at2);
        let k = self.batches.len();
        let b = &mut self.batches[batch % k];
        b.0.add_at(at1);
        b.1.add_at(at2);
        self.log_ratios.add(log_ratio(v1, v2));
        self.moments.add(v1, v2);
        true
    }

    pub fn merge(&mut self, other: &PairedSummaries) {
        self.v1.merge(&other.v1);
        self.v2.merge(&other.v2);
        merge_batches(&mut self.batches, &other.batches);
        self.log_ratios.merge(&other.log_ratios);
        self.moments.merge(&other.moments);
    }

    /// [`compare_paired_sorted`] from the summaries: quantile ratios by batch means (at every
    /// size) widened by the rounding bound, the ratio of means by the delta method, the
    /// signed-rank test of the rounded log ratios, and the Hodges-Lehmann median ratio with its
    /// interval widened by half a cell.
    pub fn compare(&self, confidence: f64) -> LatencyComparison {
        let mut ratios = BTreeMap::new();
        for (name, q) in QUANTILES {
            ratios.insert(name, batch_means_ratio((&self.v1, &self.v2), &self.batches, q, confidence));
        }
        ratios.insert("mean", self.moments.mean_ratio(confidence));
        let d = &self.log_ratios;
        let change_histogram = (!d.is_empty()).then(|| {
            let lo = d.quantile(0.005).min(-0.01);
            let hi = d.quantile(0.995).max(0.01);
            ChangeHistogram { lo, hi, shares: d.shares(lo, hi, CHANGE_BINS) }
        });
        LatencyComparison {
            paired: true,
            n: self.moments.x.n,
            ratios,
            test: d.signed_rank(),
            shift: Shift { kind: "median_ratio", interval: d.hodges_lehmann_widened(confidence).map(f64::exp) },
            change_histogram,
        }
    }
}

/// Adds each batch's histograms of `other` to the same batch's here.
fn merge_batches(into: &mut [(LogHistogram, LogHistogram)], other: &[(LogHistogram, LogHistogram)]) {
    for (a, b) in into.iter_mut().zip(other) {
        a.0.merge(&b.0);
        a.1.merge(&b.1);
    }
}

/// The latencies of a canary run as mergeable summaries: each version's kept requests, and each
/// version's own random split into batches (by a seeded hash of the id, with the version's salt).
#[derive(Debug, Clone)]
pub struct CanarySummaries {
    pub v1: VersionSummary,
    pub v2: VersionSummary,
    /// Batch k of V1 with batch k of V2 (independent splits).
    pub batches: Vec<(LogHistogram, LogHistogram)>,
}

impl Default for CanarySummaries {
    fn default() -> Self {
        let b = || LogHistogram::new(RELATIVE_ACCURACY).coarsened(BATCH_COARSENING);
        CanarySummaries {
            v1: VersionSummary::default(),
            v2: VersionSummary::default(),
            batches: (0..crate::stats::resample::BATCHES).map(|_| (b(), b())).collect(),
        }
    }
}

/// The batch of a canary request of version `v2` (false: V1) from its id's hash: each version's
/// own split, as in memory each version is split on its own.
pub fn canary_batch(id_hash: u64, seed: u64, v2: bool) -> usize {
    use crate::stats::resample::{V1_SALT, V2_SALT};
    batch_by_hash(id_hash, seed, if v2 { V2_SALT } else { V1_SALT })
}

impl CanarySummaries {
    /// Counts one kept request of V1 (`v2` false) or V2 in batch `batch` ([`canary_batch`]);
    /// false (not counted) when the latency is negative or not finite.
    pub fn add(&mut self, ms: f64, v2: bool, batch: usize) -> bool {
        let version = if v2 { &mut self.v2 } else { &mut self.v1 };
        let Some(at) = version.histogram.locate(ms) else {
            return false;
        };
        version.add_at(at, ms);
        let k = self.batches.len();
        let b = &mut self.batches[batch % k];
        if v2 {
            b.1.add_at(at);
        } else {
            b.0.add_at(at);
        }
        true
    }

    pub fn merge(&mut self, other: &CanarySummaries) {
        self.v1.merge(&other.v1);
        self.v2.merge(&other.v2);
        merge_batches(&mut self.batches, &other.batches);
    }

    /// [`compare_unpaired_sorted`] from the summaries: quantile ratios by batch means of the two
    /// independent splits, widened by the rounding bound (in memory: the BCa bootstrap, chosen
    /// for small V2 samples; summaries serve inputs of millions of requests, where batch means
    /// cover); the ratio of means by the delta method; Mann-Whitney on the rounded values; the
    /// Hodges-Lehmann shift with an interval that contains the exact one.
    pub fn compare(&self, confidence: f64) -> LatencyComparison {
        let (h1, h2) = (&self.v1.histogram, &self.v2.histogram);
        let mut ratios = BTreeMap::new();
        for (name, q) in QUANTILES {
            ratios.insert(name, batch_means_ratio((h1, h2), &self.batches, q, confidence));
        }
        ratios.insert("mean", crate::stats::summary::mean_ratio_unpaired(&self.v1.moments, &self.v2.moments, confidence));
        LatencyComparison {
            paired: false,
            n: h1.len() + h2.len(),
            ratios,
            test: crate::stats::summary::mann_whitney_of(h2, h1),
            shift: Shift { kind: "shift_ms", interval: crate::stats::summary::hodges_lehmann_two_sample_of(h2, h1, confidence) },
            change_histogram: None,
        }
    }
}

#[cfg(test)]
mod summary_tests {
    use super::{compare_paired_sorted, summarize_sorted, summary_batch, PairedSummaries, VersionSummary};
    use crate::stats::sorted;
    use crate::stats::summary::RELATIVE_ACCURACY as A;

    /// The summaries of 300,000 pairs in four partitions, merged, against the in-memory
    /// statistics of the same pairs.
    #[test]
    fn latency_statistics_from_merged_summaries_agree_with_the_in_memory_ones() {
        let pairs = crate::stats::summary::tests::pairs(300_000, 11);
        let (v1, v2): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
        let (s1, s2) = (sorted(&v1), sorted(&v2));
        let mut parts = vec![(VersionSummary::default(), VersionSummary::default(), PairedSummaries::default()); 4];
        for (k, &(a, b)) in pairs.iter().enumerate() {
            let id_hash = crate::stats::resample::splitmix(k as u64);
            let part = &mut parts[(id_hash >> 62) as usize];
            assert!(part.0.add(a) && part.1.add(b) && part.2.add(a, b, summary_batch(id_hash, 7)));
        }
        let (mut k1, mut k2, mut paired) = parts.pop().expect("four parts");
        for (a, b, c) in &parts {
            k1.merge(a);
            k2.merge(b);
            paired.merge(c);
        }
        for (summary, s) in [(k1.summarize(0.95), &s1), (k2.summarize(0.95), &s2)] {
            let exact = summarize_sorted(s, 0.95);
            assert_eq!((summary.n, summary.max), (exact.n, exact.max));
            let close = |a: f64, b: f64| (a / b - 1.0).abs() <= 1e-9;
            assert!(close(summary.mean.estimate, exact.mean.estimate) && close(summary.mean.upper, exact.mean.upper));
            for name in ["p50", "p90", "p95", "p99"] {
                let (got, want) = (summary.quantile(name).expect("named"), exact.quantile(name).expect("named"));
                assert!((got.estimate / want.estimate - 1.0).abs() <= A, "{name}: {got:?} against {want:?}");
                assert!(got.lower <= want.lower && got.upper >= want.upper, "{name}: {got:?} against {want:?}");
            }
            assert_eq!(summary.ecdf.len(), exact.ecdf.len());
            assert!(summary.ecdf.iter().zip(&exact.ecdf).all(|(g, w)| g.1 == w.1 && (g.0 - w.0).abs() <= A * w.0 * 1.000001));
        }
        let got = paired.compare(0.95);
        let want = compare_paired_sorted(&v1, &v2, &s1, &s2, 0.95, 7);
        let widening = crate::stats::summary::ratio_widening(A, paired.batches[0].0.alpha(), 2.0096, 50);
        assert_eq!((got.n, got.paired, got.shift.kind), (want.n, want.paired, want.shift.kind));
        for (name, w) in &want.ratios {
            let g = got.ratios[name];
            assert_eq!(g.method, w.method, "{name}");
            let (g, w) = (g.interval, w.interval);
            assert!((g.estimate / w.estimate - 1.0).abs() <= 2.1 * A, "{name}: {g:?} against {w:?}");
            // Other batches (by id hash, not position): apart from the widening by the rounding
            // bound (2e (1 + t / 7) each side on the log scale) the widths agree to sampling noise.
            let width = |i: crate::stats::Interval| (i.upper / i.lower).ln();
            let widening = if *name == "mean" { 0.0 } else { 2.0 * widening };
            assert!((0.6..1.6).contains(&((width(g) - widening) / width(w))), "{name}: {g:?} against {w:?}");
        }
        let (g, w) = (got.shift.interval, want.shift.interval);
        assert!(g.lower <= w.lower && w.upper <= g.upper && (g.estimate / w.estimate - 1.0).abs() <= 1.01 * A, "{g:?} against {w:?}");
        assert!(got.test.p_value < 1e-12 && want.test.p_value < 1e-12 && (got.test.z / want.test.z - 1.0).abs() < 1e-3);
        let (gh, wh) = (got.change_histogram.expect("pairs"), want.change_histogram.expect("pairs"));
        assert!((gh.lo - wh.lo).abs() < 2e-3 && (gh.hi - wh.hi).abs() < 2e-3, "{gh:?} against {wh:?}");
        let apart: f64 = gh.shares.iter().zip(&wh.shares).map(|(a, b)| (a - b).abs()).sum();
        assert!(apart < 0.05, "shares {apart} apart");
    }

    /// A canary night (V1 400,000 requests, V2 60,000, V2 4% slower) summarized in three
    /// partitions and merged, against the in-memory canary statistics.
    #[test]
    fn canary_statistics_from_merged_summaries_agree_with_the_in_memory_ones() {
        use super::{canary_batch, compare_unpaired_sorted, CanarySummaries};
        let v1: Vec<f64> = crate::stats::summary::tests::pairs(400_000, 21).iter().map(|p| p.0).collect();
        let v2: Vec<f64> = crate::stats::summary::tests::pairs(60_000, 22).iter().map(|p| p.1).collect();
        let (s1, s2) = (sorted(&v1), sorted(&v2));
        let mut parts = vec![CanarySummaries::default(); 3];
        for (is_v2, v) in [(false, &v1), (true, &v2)] {
            for (k, &x) in v.iter().enumerate() {
                let id_hash = crate::stats::resample::splitmix(k as u64 ^ u64::from(is_v2) << 40);
                assert!(parts[(id_hash % 3) as usize].add(x, is_v2, canary_batch(id_hash, 7, is_v2)));
            }
        }
        let mut merged = parts.pop().expect("three parts");
        parts.iter().for_each(|p| merged.merge(p));
        let got = merged.compare(0.95);
        let want = compare_unpaired_sorted(&s1, &s2, &s1, &s2, 0.95, 7);
        let widening = crate::stats::summary::ratio_widening(A, merged.batches[0].0.alpha(), 2.0096, 50);
        assert_eq!((got.n, got.paired, got.shift.kind), (want.n, want.paired, want.shift.kind));
        for (name, w) in &want.ratios {
            let g = got.ratios[name].interval;
            let w = w.interval;
            assert!((g.estimate / w.estimate - 1.0).abs() <= 2.1 * A, "{name}: {g:?} against {w:?}");
            // batch means against BCa: the same width to within sampling noise and the widening
            let width = |i: crate::stats::Interval| (i.upper / i.lower).ln();
            let widening = if *name == "mean" { 0.0 } else { 2.0 * widening };
            assert!((0.6..1.6).contains(&((width(g) - widening) / width(w))), "{name}: {g:?} against {w:?}");
        }
        let (g, w) = (got.shift.interval, want.shift.interval);
        assert!(g.lower <= w.lower && w.upper <= g.upper, "{g:?} against {w:?}");
        assert!((g.estimate - w.estimate).abs() <= A * 2.0 * s2[s2.len() / 2], "{g:?} against {w:?}");
        assert!(
            got.test.p_value < 1e-6 && want.test.p_value < 1e-6 && (got.test.z / want.test.z - 1.0).abs() < 1e-2,
            "{:?} against {:?}",
            got.test,
            want.test
        );
        assert_eq!((merged.v1.summarize(0.95).n, merged.v2.summarize(0.95).max), (400_000, s2[s2.len() - 1]));
    }
}
