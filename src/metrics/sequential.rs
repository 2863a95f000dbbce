//! Anytime-valid intervals for the nightly re-analysis (`[sequential]`, `--sequential`): the
//! confidence sequences of [`crate::stats::sequential`] for the statistics of the rate and
//! latency-percentile gates, which then judge on them instead of the fixed-sample intervals.

use crate::stats::sequential::{quantile_ratio_sequence, quantile_sequence, rate_difference_sequence, rate_sequence};
use crate::stats::Interval;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct SequentialIntervals {
    /// Why the run uses them: "--sequential / sequential.mode = always" or "history: N earlier runs".
    pub reason: String,
    pub tuned_for: u64,
    /// Earlier runs of this stage and mode in the history.
    pub earlier_runs: u64,
    /// Gate statistic -> its confidence sequence at this run's size (the gates use these).
    pub intervals: BTreeMap<&'static str, Interval>,
}

/// What the sequences are built from: error counts, discrepancy counts and each version's sorted
/// latencies.
pub struct Inputs<'a> {
    pub v1_errors: (u64, u64),
    pub v2_errors: (u64, u64),
    /// (mismatches, comparable pairs) when results are compared.
    pub discrepancy: Option<(u64, u64)>,
    pub v1_sorted: &'a [f64],
    pub v2_sorted: &'a [f64],
}

pub fn compute(x: &Inputs<'_>, confidence: f64, tuned_for: u64, earlier_runs: u64, always: bool) -> SequentialIntervals {
    let alpha = 1.0 - confidence;
    let mut intervals = BTreeMap::new();
    let (e2, n2) = x.v2_errors;
    let (e1, n1) = x.v1_errors;
    intervals.insert("v2.error_rate", rate_sequence(e2, n2, alpha, tuned_for));
    intervals.insert("diff.error_rate", rate_difference_sequence(e1, n1, e2, n2, alpha, tuned_for));
    if let Some((m, c)) = x.discrepancy {
        intervals.insert("discrepancy.rate", rate_sequence(m, c, alpha, tuned_for));
    }
    for (name, q) in crate::metrics::latency::QUANTILES {
        let absolute: &'static str = match name {
            "p50" => "v2.latency.p50",
            "p90" => "v2.latency.p90",
            "p95" => "v2.latency.p95",
            _ => "v2.latency.p99",
        };
        let ratio: &'static str = match name {
            "p50" => "ratio.latency.p50",
            "p90" => "ratio.latency.p90",
            "p95" => "ratio.latency.p95",
            _ => "ratio.latency.p99",
        };
        intervals.insert(absolute, quantile_sequence(x.v2_sorted, q, alpha, tuned_for));
        intervals.insert(ratio, quantile_ratio_sequence(x.v1_sorted, x.v2_sorted, q, alpha, tuned_for));
    }
    let reason = if always {
        "sequential.mode = always (or --sequential)".to_string()
    } else {
        format!("--history holds {earlier_runs} earlier run(s) of this stage and mode")
    };
    SequentialIntervals { reason, tuned_for, earlier_runs, intervals }
}
