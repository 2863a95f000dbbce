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
