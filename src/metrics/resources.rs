//! Per-request resource use (CPU ms, memory MB, network bytes): means and V2/V1 ratios.

use crate::stats::resample::{mean_ratio, RatioInterval};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ResourceMetric {
    /// Rows with a value, per version.
    pub v1_n: u64,
    pub v2_n: u64,
    pub v1_mean: f64,
    pub v2_mean: f64,
    /// mean(V2) / mean(V1), paired over pairs with both values in shadow mode.
    pub ratio: RatioInterval,
}

/// `v1`, `v2`: per-request values (NaN = missing); paired when the slices are aligned pairs.
/// [`compare`] of `n` pairs read through `pair(k)` (shadow mode), without gathering them when
/// every value is finite; otherwise through `gather`, which returns the two gathered columns.
pub fn compare_pairs(
    n: usize,
    pair: impl Fn(usize) -> (f64, f64),
    gather: impl FnOnce() -> (Vec<f64>, Vec<f64>),
    confidence: f64,
) -> Option<ResourceMetric> {
    match crate::stats::resample::paired_mean_ratio(n, pair, confidence) {
        Some(_) if n == 0 => None,
        Some((ratio, m1, m2)) => Some(ResourceMetric { v1_n: n as u64, v2_n: n as u64, v1_mean: m1, v2_mean: m2, ratio }),
        None => {
            let (v1, v2) = gather();
            compare(&v1, &v2, true, confidence)
        }
    }
}

pub fn compare(v1: &[f64], v2: &[f64], paired: bool, confidence: f64) -> Option<ResourceMetric> {
    let finite = |x: &[f64]| -> (u64, f64) {
        let (n, sum) = x.iter().filter(|v| v.is_finite()).fold((0u64, 0.0f64), |(n, s), v| (n + 1, s + v));
        (n, if n == 0 { f64::NAN } else { sum / n as f64 })
    };
    let ((n1, m1), (n2, m2)) = (finite(v1), finite(v2));
    if n1 == 0 || n2 == 0 {
        return None;
    }
    Some(ResourceMetric { v1_n: n1, v2_n: n2, v1_mean: m1, v2_mean: m2, ratio: mean_ratio(v1, v2, paired, confidence) })
}

/// One resource column of both versions as mergeable summaries (issue 13): each version's
/// values with their moments, and, in shadow mode, the pairs with both values. Built a partition
/// at a time and merged; [`ResourceSummary::metric`] gives what [`compare`] gives, the means and
/// the interval equal up to the order of floating-point additions.
#[derive(Debug, Clone, Default)]
pub struct ResourceSummary {
    pub v1: crate::stats::summary::Moments,
    pub v2: crate::stats::summary::Moments,
    /// Pairs with both values (shadow mode).
    pub pairs: crate::stats::summary::PairMoments,
}

impl ResourceSummary {
    /// Counts one value of V1 or V2 (NaN = the row has none: not counted).
    pub fn add(&mut self, v2: bool, value: f64) {
        if value.is_finite() {
            if v2 { &mut self.v2 } else { &mut self.v1 }.add(value);
        }
    }

    /// Counts one pair's values in the paired moments (each version's own values are counted
    /// with [`ResourceSummary::add`]).
    pub fn add_pair(&mut self, v1: f64, v2: f64) {
        if v1.is_finite() && v2.is_finite() {
            self.pairs.add(v1, v2);
        }
    }

    pub fn merge(&mut self, other: &ResourceSummary) {
        self.v1.merge(&other.v1);
        self.v2.merge(&other.v2);
        self.pairs.merge(&other.pairs);
    }

    /// The metric; None when a version has no value.
    pub fn metric(&self, paired: bool, confidence: f64) -> Option<ResourceMetric> {
        if self.v1.n == 0 || self.v2.n == 0 {
            return None;
        }
        let ratio = if paired {
            self.pairs.mean_ratio(confidence)
        } else {
            crate::stats::summary::mean_ratio_unpaired(&self.v1, &self.v2, confidence)
        };
        Some(ResourceMetric { v1_n: self.v1.n, v2_n: self.v2.n, v1_mean: self.v1.mean, v2_mean: self.v2.mean, ratio })
    }
}

#[cfg(test)]
mod tests {
    use super::{compare, ResourceSummary};
    use proptest::prelude::*;

    proptest! {
        /// Summaries of the values split into parts and merged give the in-memory metric: the
        /// same counts and method, means and interval to 1e-9.
        #[test]
        fn resource_summaries_merged_from_parts_give_the_in_memory_metric(
            rows in proptest::collection::vec((prop_oneof![0.0f64..500.0, Just(f64::NAN)], prop_oneof![0.0f64..600.0, Just(f64::NAN)]), 0..200),
            parts in 1usize..4,
            paired in any::<bool>(),
        ) {
            let (v1, v2): (Vec<f64>, Vec<f64>) = rows.iter().copied().unzip();
            let want = compare(&v1, &v2, paired, 0.95);
            let mut merged = ResourceSummary::default();
            for p in 0..parts {
                let mut part = ResourceSummary::default();
                for (a, b) in rows.iter().enumerate().filter(|(i, _)| i % parts == p).map(|(_, r)| *r) {
                    part.add(false, a);
                    part.add(true, b);
                    part.add_pair(a, b);
                }
                merged.merge(&part);
            }
            let got = merged.metric(paired, 0.95);
            prop_assert_eq!(got.is_some(), want.is_some());
            if let (Some(g), Some(w)) = (got, want) {
                let close = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * a.abs().max(b.abs());
                prop_assert_eq!((g.v1_n, g.v2_n, g.ratio.method), (w.v1_n, w.v2_n, w.ratio.method));
                prop_assert!(close(g.v1_mean, w.v1_mean) && close(g.v2_mean, w.v2_mean), "{g:?} against {w:?}");
                let (gi, wi) = (g.ratio.interval, w.ratio.interval);
                prop_assert!(close(gi.estimate, wi.estimate) && close(gi.lower, wi.lower) && close(gi.upper, wi.upper), "{g:?} against {w:?}");
            }
        }
    }
}
