//! Anytime-valid intervals for the nightly re-analysis (`[sequential]`, `--sequential`): the
//! confidence sequences of [`crate::stats::sequential`] for the statistics of the rate and
//! latency-percentile gates, which then judge on them instead of the fixed-sample intervals.

use crate::stats::sequential::{
    quantile_ratio_sequence, quantile_ratio_sequence_of, quantile_sequence, quantile_sequence_of, rate_difference_sequence, rate_sequence,
};
use crate::stats::summary::LogHistogram;
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

/// What the sequences are built from: error counts, discrepancy counts and each version's
/// latencies.
pub struct Inputs<'a> {
    pub v1_errors: (u64, u64),
    pub v2_errors: (u64, u64),
    /// (mismatches, comparable pairs) when results are compared.
    pub discrepancy: Option<(u64, u64)>,
    pub latencies: Latencies<'a>,
}

/// Each version's latencies: sorted (in memory), or as mergeable summaries, whose sequences
/// contain the sorted ones' ([`crate::stats::sequential::quantile_sequence_of`]).
pub enum Latencies<'a> {
    Sorted { v1: &'a [f64], v2: &'a [f64] },
    Summaries { v1: &'a LogHistogram, v2: &'a LogHistogram },
}

impl Latencies<'_> {
    /// V2's q-quantile sequence and the V2/V1 ratio's.
    fn sequences(&self, q: f64, alpha: f64, tuned_for: u64) -> (Interval, Interval) {
        match *self {
            Latencies::Sorted { v1, v2 } => {
                (quantile_sequence(v2, q, alpha, tuned_for), quantile_ratio_sequence(v1, v2, q, alpha, tuned_for))
            }
            Latencies::Summaries { v1, v2 } => {
                (quantile_sequence_of(v2, q, alpha, tuned_for), quantile_ratio_sequence_of(v1, v2, q, alpha, tuned_for))
            }
        }
    }
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
        let (v2, r) = x.latencies.sequences(q, alpha, tuned_for);
        intervals.insert(absolute, v2);
        intervals.insert(ratio, r);
    }
    let reason = if always {
        "sequential.mode = always (or --sequential)".to_string()
    } else {
        format!("--history holds {earlier_runs} earlier run(s) of this stage and mode")
    };
    SequentialIntervals { reason, tuned_for, earlier_runs, intervals }
}

#[cfg(test)]
mod tests {
    use super::{compute, Inputs, Latencies};
    use crate::stats::summary::{LogHistogram, RELATIVE_ACCURACY};

    /// From summaries, every latency sequence contains the one from the sorted latencies (and
    /// the rate sequences are the same numbers).
    #[test]
    fn sequences_from_summaries_contain_the_in_memory_ones() {
        let pairs = crate::stats::summary::tests::pairs(50_000, 3);
        let mut s1: Vec<f64> = pairs.iter().map(|p| p.0).collect();
        let mut s2: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        crate::stats::sort_in_place(&mut s1);
        crate::stats::sort_in_place(&mut s2);
        let (mut h1, mut h2) = (LogHistogram::new(RELATIVE_ACCURACY), LogHistogram::new(RELATIVE_ACCURACY));
        s1.iter().for_each(|&v| {
            h1.add(v);
        });
        s2.iter().for_each(|&v| {
            h2.add(v);
        });
        let inputs = |latencies| Inputs { v1_errors: (30, 50_000), v2_errors: (45, 50_000), discrepancy: Some((12, 49_000)), latencies };
        let want = compute(&inputs(Latencies::Sorted { v1: &s1, v2: &s2 }), 0.95, 1_000_000, 3, false);
        let got = compute(&inputs(Latencies::Summaries { v1: &h1, v2: &h2 }), 0.95, 1_000_000, 3, false);
        assert_eq!(got.intervals.keys().collect::<Vec<_>>(), want.intervals.keys().collect::<Vec<_>>());
        for (name, w) in &want.intervals {
            let g = got.intervals[name];
            if name.contains("latency") {
                assert!(g.lower <= w.lower && w.upper <= g.upper, "{name}: {g:?} does not contain {w:?}");
                assert!((g.estimate / w.estimate - 1.0).abs() <= 2.1 * RELATIVE_ACCURACY, "{name}: {g:?} against {w:?}");
            } else {
                assert_eq!(g, *w, "{name}");
            }
        }
    }
}
