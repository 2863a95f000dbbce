//! Metrics over paired (shadow) or independent (canary) requests: latency, errors,
//! discrepancies, resources and time windows. Statistics come from [`crate::stats`].

pub mod availability;
pub mod canonical;
pub mod discrepancy;
pub mod errors;
pub mod host;
pub mod latency;
pub mod resources;
pub mod rollback;
pub mod sequential;
pub mod windows;

use crate::ingest::Requests;
use crate::pair::{Dedup, Pairing};
use crate::policy::{Mode, Policy};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct LatencyMetrics {
    pub v1: latency::LatencySummary,
    pub v2: latency::LatencySummary,
    pub comparison: latency::LatencyComparison,
    /// V2/V1 at every decile, 0.95 and 0.99, with a simultaneous band (the `latency.shift` gate).
    pub shift: crate::stats::shift::ShiftFunction,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorMetrics {
    pub v1: errors::Rate,
    pub v2: errors::Rate,
    /// V2 minus V1.
    pub diff: errors::ErrorDiff,
}

#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    pub latency_ms: LatencyMetrics,
    pub errors: ErrorMetrics,
    pub discrepancy: discrepancy::Discrepancy,
    /// cpu_ms, memory_mb, net_bytes when both versions report them.
    pub resources: BTreeMap<&'static str, resources::ResourceMetric>,
    /// Confidence sequences for the rate and percentile gates (nightly re-analysis), when used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequential: Option<sequential::SequentialIntervals>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WindowMetrics {
    pub width_minutes: u32,
    pub min_requests: u64,
    /// Windows with data, per version.
    pub v1: Vec<windows::Window>,
    pub v2: Vec<windows::Window>,
    /// Per sustained rule id: eligible windows, longest streak and breaches.
    pub rules: BTreeMap<String, windows::RuleOutcome>,
    /// Every breach of every rule, in time order.
    pub breaches: Vec<windows::Breach>,
    /// V2's success ratio per window against the `availability.minute` gate's target (absent when
    /// that gate is disabled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability: Option<availability::Availability>,
    /// Requests per minute per version, peaks, and V2's share of V1's peak (reported at the top
    /// level of verdict.json).
    #[serde(skip)]
    pub throughput: windows::Throughput,
}

/// The data every metric reads: both versions, their de-duplication and the join.
pub struct Dataset {
    pub v1: Requests,
    pub v2: Requests,
    pub d1: Dedup,
    pub d2: Dedup,
    pub pairing: Pairing,
    pub mode: Mode,
}

impl Dataset {
    /// Frees what only [`compute_counts`] and [`compute_windows`] read, before the latency
    /// statistics take their copies: error codes, resource columns, and every V1 id but those
    /// of mismatched pairs (discrepancies.parquet names them). At 10M pairs that is ~0.6 GB.
    /// Latencies, timestamps, status, results and segments stay for the charts, the rollback
    /// drill and discrepancies.parquet.
    pub fn release_after_counts(&mut self, disc: &discrepancy::Discrepancy) {
        use crate::ingest::columns::{DictCol, NumCol};
        for r in [&mut self.v1, &mut self.v2] {
            r.error_code = DictCol::default();
            (r.cpu_ms, r.memory_mb, r.net_bytes) = (NumCol::default(), NumCol::default(), NumCol::default());
        }
        let mut named: Vec<u32> = disc.mismatched.iter().filter_map(|(i, _)| self.pairing.v1_index.get(*i).copied()).collect();
        named.sort_unstable();
        let old = std::mem::take(&mut self.v1.id);
        if old.len() == self.v1.len() {
            let mut next = named.iter().peekable();
            for row in 0..old.len() {
                match next.next_if(|&&r| r as usize == row) {
                    Some(_) => self.v1.id.push(old.get(row)),
                    None => self.v1.id.push(""),
                }
            }
        }
    }
}

/// `v` at each index, in order; in parallel for large index lists (a gather through the pairs'
/// order reads memory at random: 0.19 s for both versions at 10M pairs on one thread).
fn pick<T: Copy + Send + Sync>(v: &[T], idx: &[u32]) -> Vec<T> {
    use rayon::prelude::*;
    if idx.len() > 100_000 {
        idx.par_iter().map(|&i| v[i as usize]).collect()
    } else {
        idx.iter().map(|&i| v[i as usize]).collect()
    }
}

/// The noise floor from a replay of V1 (`--v1-replay`), joined with V1 by correlation id.
pub fn replay_baseline(v1: &Requests, d1: &Dedup, replay: &Requests, policy: &Policy, file: String) -> discrepancy::Baseline {
    let mut dr = crate::pair::dedup(replay);
    let p = crate::pair::join(v1, &mut d1.clone(), replay, &mut dr);
    let pairs = discrepancy::Pairs { v1, v2: replay, v1_rows: &p.v1_index, v2_rows: &p.v2_index };
    discrepancy::baseline(&pairs, &policy.compare, file)
}

/// The metrics that read more than the latencies: error rates, discrepancies and resources.
/// Computed first, so that the columns only they read can be released
/// ([`Dataset::release_after_counts`]) before the latency statistics take their copies.
pub struct Counts {
    pub e1: errors::Rate,
    pub e2: errors::Rate,
    pub diff: errors::ErrorDiff,
    pub discrepancy: discrepancy::Discrepancy,
    pub resources: BTreeMap<&'static str, resources::ResourceMetric>,
}

/// Every metric of verdict.json's `metrics`.
pub fn compute(ds: &Dataset, policy: &Policy, baseline: Option<&discrepancy::Baseline>) -> Metrics {
    let counts = compute_counts(ds, policy, baseline);
    compute_latency(ds, policy, counts)
}

/// Error rates, discrepancies and resource ratios.
pub fn compute_counts(ds: &Dataset, policy: &Policy, baseline: Option<&discrepancy::Baseline>) -> Counts {
    let conf = policy.analysis.confidence;
    let seed = policy.analysis.seed;
    let (v1, v2) = (&ds.v1, &ds.v2);
    let shadow = ds.mode == Mode::Shadow;
    let (pi1, pi2) = (&ds.pairing.v1_index, &ds.pairing.v2_index);
    let rate = |r: &Requests, keep: &[u32]| {
        errors::rate(keep.iter().map(|&i| r.ok[i as usize]), keep.iter().map(|&i| r.error_code.get(i as usize)), conf)
    };
    let e1 = rate(v1, &ds.d1.keep);
    let e2 = rate(v2, &ds.d2.keep);
    let diff = if shadow {
        errors::diff_paired(pi1.iter().zip(pi2).map(|(&a, &b)| (v1.ok[a as usize], v2.ok[b as usize])), conf)
    } else {
        errors::diff_unpaired(&e1, &e2, conf)
    };

    // Discrepancies and resource ratios are independent: run them side by side.
    let discrepancies = || {
        let (r1, r2): (&[u32], &[u32]) = if shadow { (pi1, pi2) } else { (&[], &[]) };
        let pairs = discrepancy::Pairs { v1, v2, v1_rows: r1, v2_rows: r2 };
        let applicable = shadow && v1.has_result && v2.has_result;
        discrepancy::analyze(&pairs, &v1.segment_names, applicable, &policy.compare, baseline, conf, seed)
    };
    let resources = || {
        use rayon::prelude::*;
        let columns = [
            ("cpu_ms", v1.has_cpu, v2.has_cpu, &v1.cpu_ms, &v2.cpu_ms),
            ("memory_mb", v1.has_memory, v2.has_memory, &v1.memory_mb, &v2.memory_mb),
            ("net_bytes", v1.has_net, v2.has_net, &v1.net_bytes, &v2.net_bytes),
        ];
        columns
            .par_iter()
            .filter(|c| c.1 && c.2)
            .filter_map(|&(name, _, _, col1, col2)| {
                let m = if shadow {
                    let pair = |k: usize| (col1.get(pi1[k] as usize), col2.get(pi2[k] as usize));
                    resources::compare_pairs(pi1.len(), pair, || (col1.pick(pi1), col2.pick(pi2)), conf)
                } else {
                    resources::compare(&col1.pick(&ds.d1.keep), &col2.pick(&ds.d2.keep), false, conf)
                };
                m.map(|m| (name, m))
            })
            .collect::<BTreeMap<_, _>>()
    };
    let (discrepancy, resources) = rayon::join(discrepancies, resources);
    Counts { e1, e2, diff, discrepancy, resources }
}

/// The latency statistics (and the confidence sequences, which also read the counts).
pub fn compute_latency(ds: &Dataset, policy: &Policy, counts: Counts) -> Metrics {
    let conf = policy.analysis.confidence;
    let seed = policy.analysis.seed;
    let (v1, v2) = (&ds.v1, &ds.v2);
    let shadow = ds.mode == Mode::Shadow;
    let (pi1, pi2) = (&ds.pairing.v1_index, &ds.pairing.v2_index);
    let (lat1, lat2) = rayon::join(|| pick(&v1.latency_ms, &ds.d1.keep), || pick(&v2.latency_ms, &ds.d2.keep));
    let (comparison, shift);
    let (s1, s2);
    // Each version's latencies sorted, kept for the confidence sequences.
    let (sorted1, sorted2);
    if shadow {
        // The kept samples are only needed sorted: sort them in place.
        let (mut k1, mut k2) = (lat1, lat2);
        rayon::join(|| crate::stats::sort_in_place(&mut k1), || crate::stats::sort_in_place(&mut k2));
        (s1, s2) = rayon::join(|| latency::summarize_sorted(&k1, conf), || latency::summarize_sorted(&k2, conf));
        let (p1, p2) = rayon::join(|| pick(&v1.latency_ms, pi1), || pick(&v2.latency_ms, pi2));
        // Every kept row paired (the usual shadow run): the paired samples are the kept samples
        // in another order, so their sorts are the ones just made.
        if pi1.len() != ds.d1.keep.len() || pi2.len() != ds.d2.keep.len() {
            (k1, k2) = rayon::join(|| crate::stats::sorted(&p1), || crate::stats::sorted(&p2));
        }
        (comparison, shift) = rayon::join(
            || latency::compare_paired_sorted(&p1, &p2, &k1, &k2, conf, seed),
            || crate::stats::shift::shift_function(&p1, &p2, &k1, &k2, true, conf, seed),
        );
        (sorted1, sorted2) = (k1, k2);
    } else {
        // Canary statistics do not depend on the order of the requests: sort in place and use the
        // sorted samples throughout.
        let (mut k1, mut k2) = (lat1, lat2);
        rayon::join(|| crate::stats::sort_in_place(&mut k1), || crate::stats::sort_in_place(&mut k2));
        (s1, s2) = rayon::join(|| latency::summarize_sorted(&k1, conf), || latency::summarize_sorted(&k2, conf));
        (comparison, shift) = rayon::join(
            || latency::compare_unpaired_sorted(&k1, &k2, &k1, &k2, conf, seed),
            || crate::stats::shift::shift_function(&k1, &k2, &k1, &k2, false, conf, seed),
        );
        (sorted1, sorted2) = (k1, k2);
    }
    let sq = &policy.sequential;
    let sequential = sq.active().then(|| {
        let inputs = sequential::Inputs {
            v1_errors: (counts.e1.errors, counts.e1.n),
            v2_errors: (counts.e2.errors, counts.e2.n),
            discrepancy: counts.discrepancy.applicable.then_some((counts.discrepancy.mismatches, counts.discrepancy.comparable_pairs)),
            latencies: sequential::Latencies::Sorted { v1: &sorted1, v2: &sorted2 },
        };
        sequential::compute(&inputs, conf, sq.tuned_for, sq.earlier_runs, sq.mode == crate::policy::SequentialMode::Always)
    });
    Metrics {
        latency_ms: LatencyMetrics { v1: s1, v2: s2, comparison, shift },
        errors: ErrorMetrics { v1: counts.e1, v2: counts.e2, diff: counts.diff },
        discrepancy: counts.discrepancy,
        resources: counts.resources,
        sequential,
    }
}

/// Per-window series and every sustained rule of the policy.
pub fn compute_windows(ds: &Dataset, policy: &Policy) -> WindowMetrics {
    let width_ms = policy.analysis.window_minutes as i64 * 60_000;
    let min = policy.analysis.min_window_requests;
    let series = |r: &Requests, keep: &[u32]| {
        let input = windows::SeriesInput { ts_ms: &r.ts_ms, latency: &r.latency_ms, ok: &r.ok, cpu: &r.cpu_ms, memory: &r.memory_mb };
        windows::series(&input, keep, width_ms)
    };
    let (w1, w2) = rayon::join(|| series(&ds.v1, &ds.d1.keep), || series(&ds.v2, &ds.d2.keep));
    let mut rules = BTreeMap::new();
    let mut breaches = Vec::new();
    for (id, g) in &policy.gates {
        if !g.enabled || !g.statistic.starts_with("window.") {
            continue;
        }
        let out = windows::sustained(id, &g.statistic, &w2, &w1, g.threshold, g.for_windows.unwrap_or(1), min, width_ms);
        breaches.extend(out.breaches.iter().cloned());
        rules.insert(id.clone(), out);
    }
    breaches.sort_by(|a, b| a.start_ms.cmp(&b.start_ms).then(a.rule.cmp(&b.rule)));
    let v1: Vec<windows::Window> = w1.into_values().collect();
    let v2: Vec<windows::Window> = w2.into_values().collect();
    let throughput = windows::throughput(&v1, &v2, policy.analysis.window_minutes);
    let availability = policy
        .gates
        .values()
        .find(|g| g.enabled && g.statistic == "availability.v2.window")
        .map(|g| availability::availability(&v1, &v2, g.threshold, policy.analysis.window_minutes, min, policy.analysis.confidence));
    WindowMetrics { width_minutes: policy.analysis.window_minutes, min_requests: min, v1, v2, rules, breaches, availability, throughput }
}
