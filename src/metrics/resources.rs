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
pub fn compare(v1: &[f64], v2: &[f64], paired: bool, confidence: f64) -> Option<ResourceMetric> {
    let finite = |x: &[f64]| x.iter().copied().filter(|v| v.is_finite()).collect::<Vec<f64>>();
    let (a, b) = (finite(v1), finite(v2));
    if a.is_empty() || b.is_empty() {
        return None;
    }
    Some(ResourceMetric {
        v1_n: a.len() as u64,
        v2_n: b.len() as u64,
        v1_mean: crate::stats::mean(&a),
        v2_mean: crate::stats::mean(&b),
        ratio: mean_ratio(v1, v2, paired, confidence),
    })
}
