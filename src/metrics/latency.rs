//! Latency: per-version percentiles with distribution-free intervals, and V2-vs-V1 comparison
//! (paired in shadow mode, two-sample in canary mode).

use crate::stats::nonparametric::{
    hodges_lehmann_one_sample_sorted, hodges_lehmann_two_sample, mann_whitney, wilcoxon_signed_rank_sorted, RankTest,
};
use crate::stats::quantile::quantile_with_ci;
use crate::stats::resample::{mean_ratio, quantile_ratios_sorted, RatioInterval};
use crate::stats::{variance, z_two_sided, Interval};
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
    let mean = crate::stats::mean(s);
    let half = if n > 1 { z_two_sided(confidence) * (variance(s) / n as f64).sqrt() } else { f64::INFINITY };
    LatencySummary {
        n: n as u64,
        mean: Interval::new(mean, mean - half, mean + half),
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

/// Paired comparison over (V1, V2) latencies of the same requests (`v1[i]`, `v2[i]`), given both
/// samples also sorted (`s1`, `s2`).
pub fn compare_paired_sorted(v1: &[f64], v2: &[f64], s1: &[f64], s2: &[f64], confidence: f64, seed: u64) -> LatencyComparison {
    let qs: Vec<f64> = QUANTILES.iter().map(|(_, q)| *q).collect();
    // The rank statistics of the log ratios and the resampled quantile ratios are independent:
    // each side's sequential steps (the selection's probes, the batch splits) overlap the other's.
    let ((hl, test, change_histogram), quantile_ratios) = rayon::join(
        || {
            let mut logs: Vec<f64> = v1.iter().zip(v2).map(|(a, b)| ((b + LOG_OFFSET_MS) / (a + LOG_OFFSET_MS)).ln()).collect();
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
