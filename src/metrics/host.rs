//! Host resource samples (`--resources`): mean and peak per version, V2/V1 ratios with intervals,
//! and V2's CPU utilisation for the `cpu.utilization.warning` gate.
//!
//! Samples from one host are strongly autocorrelated, so intervals are computed over per-window
//! means (one value per version per window, averaged over hosts) rather than raw samples.

use crate::ingest::samples::{Sample, SampleStats};
use crate::stats::resample::{mean_ratio, RatioInterval};
use crate::stats::{mean, variance, Interval};
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    /// Mean over windows, with a t interval over the per-window means.
    pub mean: Interval,
    /// Highest single sample.
    #[serde(serialize_with = "crate::stats::finite_or_null")]
    pub peak: f64,
    pub windows: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionHost {
    pub samples: u64,
    /// cpu_pct, memory_mb, net_bytes_per_s (those with values).
    pub usage: BTreeMap<&'static str, Usage>,
}

/// The `resources` block of verdict.json (only with `--resources`).
#[derive(Debug, Clone, Serialize)]
pub struct HostResources {
    pub inputs: SampleStats,
    pub v1: VersionHost,
    pub v2: VersionHost,
    /// V2/V1 ratio of means over per-window means (delta method, unpaired).
    pub ratios: BTreeMap<&'static str, RatioInterval>,
}

type Field = (&'static str, fn(&Sample) -> f64);
const FIELDS: [Field; 3] = [("cpu_pct", |s| s.cpu_pct), ("memory_mb", |s| s.memory_mb), ("net_bytes_per_s", |s| s.net_bytes_per_s)];

/// Per-window means of one field of one version.
fn window_means(samples: &[Sample], version: u8, f: fn(&Sample) -> f64, width_ms: i64) -> Vec<f64> {
    let mut sums: BTreeMap<i64, (f64, u64)> = BTreeMap::new();
    for s in samples.iter().filter(|s| s.version == version) {
        let v = f(s);
        if v.is_finite() {
            let e = sums.entry(s.ts_ms.div_euclid(width_ms)).or_insert((0.0, 0));
            e.0 += v;
            e.1 += 1;
        }
    }
    sums.values().map(|(s, n)| s / *n as f64).collect()
}

fn usage(samples: &[Sample], version: u8, f: fn(&Sample) -> f64, width_ms: i64, confidence: f64) -> Option<Usage> {
    let w = window_means(samples, version, f, width_ms);
    if w.is_empty() {
        return None;
    }
    let m = mean(&w);
    let half = if w.len() > 1 {
        let t = StudentsT::new(0.0, 1.0, (w.len() - 1) as f64).map_or(f64::NAN, |t| t.inverse_cdf(1.0 - (1.0 - confidence) / 2.0));
        t * (variance(&w) / w.len() as f64).sqrt()
    } else {
        f64::INFINITY
    };
    let peak = samples.iter().filter(|s| s.version == version).map(f).filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max);
    Some(Usage { mean: Interval::new(m, m - half, m + half), peak, windows: w.len() as u64 })
}

pub fn compute(samples: &[Sample], stats: SampleStats, width_minutes: u32, confidence: f64) -> HostResources {
    let width_ms = i64::from(width_minutes.max(1)) * 60_000;
    let side = |version: u8| VersionHost {
        samples: samples.iter().filter(|s| s.version == version).count() as u64,
        usage: FIELDS.iter().filter_map(|(name, f)| usage(samples, version, *f, width_ms, confidence).map(|u| (*name, u))).collect(),
    };
    let mut ratios = BTreeMap::new();
    for (name, f) in FIELDS {
        let (a, b) = (window_means(samples, 1, f, width_ms), window_means(samples, 2, f, width_ms));
        if a.len() >= 2 && b.len() >= 2 {
            ratios.insert(name, mean_ratio(&a, &b, false, confidence));
        }
    }
    HostResources { inputs: stats, v1: side(1), v2: side(2), ratios }
}
