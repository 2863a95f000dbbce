//! Time windows: per-window series for each version and sustained-breach detection
//! ("error rate > 5% for 5 consecutive minutes", like a Prometheus alert's `for:`).

use crate::ingest::NumCol;
use crate::stats::quantile::quantile_select;
use serde::Serialize;
use std::collections::BTreeMap;

/// One window of one version.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    /// Window start, epoch ms.
    pub start_ms: i64,
    pub requests: u64,
    pub errors: u64,
    pub error_rate: f64,
    pub latency_mean: f64,
    pub latency_p95: f64,
    /// Mean per-request CPU ms and memory MB in the window (null when the logs have none).
    #[serde(serialize_with = "crate::stats::finite_or_null")]
    pub cpu_mean: f64,
    #[serde(serialize_with = "crate::stats::finite_or_null")]
    pub memory_mean: f64,
}

/// Per-request columns of one version, aligned by index, that the window series read.
pub struct SeriesInput<'a> {
    pub ts_ms: &'a [i64],
    pub latency: &'a [f64],
    pub ok: &'a [bool],
    /// NaN where a row has no value.
    pub cpu: &'a NumCol,
    pub memory: &'a NumCol,
}

/// Running sums of one window. Means add values in row order, as a sum over the window's rows
/// in order would (the latency sum starts at -0.0, as `Iterator::sum` does).
#[derive(Debug, Clone)]
struct Acc {
    requests: u64,
    errors: u64,
    latency_sum: f64,
    cpu: (f64, u64),
    memory: (f64, u64),
}

impl Acc {
    fn new() -> Self {
        Acc { requests: 0, errors: 0, latency_sum: -0.0, cpu: (0.0, 0), memory: (0.0, 0) }
    }

    fn add(&mut self, input: &SeriesInput<'_>, i: usize) {
        self.add_values(input.ok[i], input.latency[i], input.cpu.get(i), input.memory.get(i));
    }

    fn add_values(&mut self, ok: bool, latency: f64, cpu: f64, memory: f64) {
        self.requests += 1;
        self.errors += u64::from(!ok);
        self.latency_sum += latency;
        for (sum, v) in [(&mut self.cpu, cpu), (&mut self.memory, memory)] {
            if v.is_finite() {
                sum.0 += v;
                sum.1 += 1;
            }
        }
    }

    fn merge(&mut self, o: &Acc) {
        self.requests += o.requests;
        self.errors += o.errors;
        self.latency_sum += o.latency_sum;
        for (sum, other) in [(&mut self.cpu, o.cpu), (&mut self.memory, o.memory)] {
            sum.0 += other.0;
            sum.1 += other.1;
        }
    }

    /// The window from the sums and the window's latency p95.
    fn finish(&self, key: i64, width_ms: i64, latency_p95: f64) -> Window {
        let n = self.requests;
        let mean = |(sum, n): (f64, u64)| if n == 0 { f64::NAN } else { sum / n as f64 };
        Window {
            start_ms: key * width_ms,
            requests: n,
            errors: self.errors,
            error_rate: self.errors as f64 / n as f64,
            latency_mean: self.latency_sum / n as f64,
            latency_p95,
            cpu_mean: mean(self.cpu),
            memory_mean: mean(self.memory),
        }
    }

    fn window(&self, key: i64, width_ms: i64, latencies: &mut [f64]) -> Window {
        self.finish(key, width_ms, quantile_select(latencies, 0.95))
    }
}

/// Buckets the given rows by `floor(ts / width)`; windows without rows are absent from the map.
/// When the windows span no more than the rows (the usual night of logs), the buckets are a
/// dense array filled by a counting pass, so the latencies of each window are gathered into one
/// buffer without per-window vectors; otherwise a sorted map holds the windows that occur.
pub fn series(input: &SeriesInput<'_>, rows: &[u32], width_ms: i64) -> BTreeMap<i64, Window> {
    // The first and last windows from the earliest and latest timestamps (flooring is monotone).
    let Some((first, last)) = rows.iter().map(|&i| input.ts_ms[i as usize]).fold(None, |r, t| match r {
        None => Some((t, t)),
        Some((lo, hi)) => Some((t.min(lo), t.max(hi))),
    }) else {
        return BTreeMap::new();
    };
    let (lo, hi) = (first.div_euclid(width_ms), last.div_euclid(width_ms));
    let span = (hi as i128 - lo as i128 + 1) as u128;
    let base = lo.checked_mul(width_ms);
    let Some(base) = base.filter(|_| span <= rows.len().max(1 << 16) as u128 && span * (width_ms as u128) < 1 << 52) else {
        return sparse_series(input, rows, width_ms);
    };
    let span = span as usize;
    let window = WindowOf::new(base, width_ms);
    let key = |i: u32| window.of(input.ts_ms[i as usize]);
    let mut accs = vec![Acc::new(); span];
    for &i in rows {
        accs[key(i)].add(input, i as usize);
    }
    // Latencies grouped by window: offsets from the counts, then one scatter pass.
    let mut start = Vec::with_capacity(span + 1);
    start.push(0usize);
    for a in &accs {
        start.push(start[start.len() - 1] + a.requests as usize);
    }
    let mut fill = start.clone();
    let mut grouped = vec![0.0; rows.len()];
    for &i in rows {
        let w = key(i);
        grouped[fill[w]] = input.latency[i as usize];
        fill[w] += 1;
    }
    let mut out = BTreeMap::new();
    for (w, a) in accs.iter().enumerate() {
        if a.requests > 0 {
            let k = lo + w as i64;
            out.insert(k, a.window(k, width_ms, &mut grouped[start[w]..start[w + 1]]));
        }
    }
    out
}

/// The window of a timestamp at or after `base` (a window start), counted from `base`: a division
/// by the width, done as a multiplication by its reciprocal and corrected to the exact quotient
/// (an integer division per row and pass was a third of the series' time). Exact for offsets
/// below 2^52 ms, which [`series`] checks.
struct WindowOf {
    base: i64,
    width: u64,
    inverse: f64,
}

impl WindowOf {
    fn new(base: i64, width: i64) -> Self {
        WindowOf { base, width: width as u64, inverse: 1.0 / width as f64 }
    }
    #[inline]
    fn of(&self, ts: i64) -> usize {
        let off = ts.wrapping_sub(self.base) as u64;
        // Off by at most one either way: the product's rounding error is far below one window.
        let mut q = (off as f64 * self.inverse) as u64;
        if q * self.width > off {
            q -= 1;
        } else if (q + 1) * self.width <= off {
            q += 1;
        }
        q as usize
    }
}

/// [`series`] for windows spread far apart in time (a few stray timestamps years away).
fn sparse_series(input: &SeriesInput<'_>, rows: &[u32], width_ms: i64) -> BTreeMap<i64, Window> {
    let mut groups: BTreeMap<i64, (Acc, Vec<f64>)> = BTreeMap::new();
    for &i in rows {
        let g = groups.entry(input.ts_ms[i as usize].div_euclid(width_ms)).or_insert_with(|| (Acc::new(), Vec::new()));
        g.0.add(input, i as usize);
        g.1.push(input.latency[i as usize]);
    }
    groups.into_iter().map(|(k, (acc, mut lat))| (k, acc.window(k, width_ms, &mut lat))).collect()
}

/// Relative accuracy of the per-window latency histograms of the analysis from mergeable
/// summaries: 0.1%. Coarser than the whole samples' (0.01%) because a night has ~1,440 windows
/// per version: a window's histogram holds ~2,500 occupied cells (its latencies' spread), not
/// ~25,000.
pub const WINDOW_ACCURACY: f64 = 1e-3;

/// One version's per-window series as a mergeable summary (issue 13): each window's counts and
/// sums, and a histogram of its latencies for the p95. Built a partition at a time and merged;
/// [`SeriesSummary::series`] gives what [`series`] gives: the same windows, request and error
/// counts and error rates; the means equal up to the order of floating-point additions; each
/// p95 within 0.1% ([`crate::stats::summary`]).
#[derive(Debug, Clone)]
pub struct SeriesSummary {
    width_ms: i64,
    windows: BTreeMap<i64, (Acc, crate::stats::summary::LogHistogram)>,
}

impl SeriesSummary {
    /// An empty series of windows `width_ms` wide (positive).
    pub fn new(width_ms: i64) -> SeriesSummary {
        SeriesSummary { width_ms: width_ms.max(1), windows: BTreeMap::new() }
    }

    /// Counts one request (`cpu`, `memory` NaN when the row has none).
    pub fn add(&mut self, ts_ms: i64, latency: f64, ok: bool, cpu: f64, memory: f64) {
        let (acc, hist) = self
            .windows
            .entry(ts_ms.div_euclid(self.width_ms))
            .or_insert_with(|| (Acc::new(), crate::stats::summary::LogHistogram::new(WINDOW_ACCURACY)));
        acc.add_values(ok, latency, cpu, memory);
        hist.add(latency);
    }

    /// Adds `other`'s windows. Panics when the widths differ (a programming error).
    pub fn merge(&mut self, other: &SeriesSummary) {
        assert_eq!(self.width_ms, other.width_ms, "merging series of different window widths");
        for (&k, (acc, hist)) in &other.windows {
            match self.windows.get_mut(&k) {
                Some((a, h)) => {
                    a.merge(acc);
                    h.merge(hist);
                }
                None => {
                    self.windows.insert(k, (acc.clone(), hist.clone()));
                }
            }
        }
    }

    /// The windows with data, by window index, as [`series`] gives them.
    pub fn series(&self) -> BTreeMap<i64, Window> {
        self.windows.iter().map(|(&k, (acc, hist))| (k, acc.finish(k, self.width_ms, hist.quantile(0.95)))).collect()
    }
}

/// The per-window statistic a sustained rule watches.
pub fn window_stat(w: &Window, statistic: &str) -> f64 {
    match statistic {
        "window.v2.error_rate" => w.error_rate,
        "window.v2.latency_mean" => w.latency_mean,
        "window.v2.latency_p95" => w.latency_p95,
        "window.v2.cpu_mean" => w.cpu_mean,
        "window.v2.memory_mean" => w.memory_mean,
        _ => f64::NAN,
    }
}

/// A sustained breach: consecutive eligible windows above the threshold.
#[derive(Debug, Clone, Serialize)]
pub struct Breach {
    pub rule: String,
    pub statistic: String,
    pub threshold: f64,
    /// First window's start and last window's end, epoch ms and RFC 3339.
    pub start_ms: i64,
    pub end_ms: i64,
    pub start: String,
    pub end: String,
    pub windows: u32,
    pub minutes: f64,
    /// Highest value of the statistic in the breach.
    pub peak: f64,
    /// Whether the rule fired (the breach lasted at least `for_windows`).
    pub fired: bool,
    /// V1 was above the same threshold in at least half of these windows: a shared cause upstream
    /// is likely (the rule still fires).
    pub shared_with_v1: bool,
}

/// Result of one sustained rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleOutcome {
    pub eligible_windows: u64,
    pub longest_streak: u32,
    pub breaches: Vec<Breach>,
}

pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(|| ms.to_string(), |d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Runs of consecutive windows (no gaps) with at least `min_requests` requests where the statistic
/// is above `threshold`. A window below the minimum, or missing, resets the streak. Every run of
/// at least one window is reported; `fired` marks those of at least `for_windows`.
#[allow(clippy::too_many_arguments)]
pub fn sustained(
    rule: &str,
    statistic: &str,
    v2: &BTreeMap<i64, Window>,
    v1: &BTreeMap<i64, Window>,
    threshold: f64,
    for_windows: u32,
    min_requests: u64,
    width_ms: i64,
) -> RuleOutcome {
    let mut out = RuleOutcome { eligible_windows: 0, longest_streak: 0, breaches: Vec::new() };
    let mut run: Vec<(i64, f64)> = Vec::new();
    let mut prev: Option<i64> = None;
    let close = |run: &mut Vec<(i64, f64)>, out: &mut RuleOutcome| {
        if run.is_empty() {
            return;
        }
        let windows = run.len() as u32;
        out.longest_streak = out.longest_streak.max(windows);
        let v1_breached = run
            .iter()
            .filter(|(k, _)| v1.get(k).is_some_and(|w| w.requests >= min_requests && window_stat(w, statistic) > threshold))
            .count();
        let (first, last) = (run[0].0, run[run.len() - 1].0);
        let start_ms = first * width_ms;
        let end_ms = (last + 1) * width_ms;
        if windows >= for_windows || windows >= 2 {
            out.breaches.push(Breach {
                rule: rule.to_string(),
                statistic: statistic.to_string(),
                threshold,
                start_ms,
                end_ms,
                start: rfc3339(start_ms),
                end: rfc3339(end_ms),
                windows,
                minutes: (end_ms - start_ms) as f64 / 60_000.0,
                peak: run.iter().map(|r| r.1).fold(f64::NEG_INFINITY, f64::max),
                fired: windows >= for_windows,
                shared_with_v1: v1_breached * 2 >= run.len(),
            });
        }
        run.clear();
    };
    for (k, w) in v2 {
        if prev.is_some_and(|p| *k != p + 1) {
            close(&mut run, &mut out);
        }
        prev = Some(*k);
        if w.requests < min_requests {
            close(&mut run, &mut out);
            continue;
        }
        out.eligible_windows += 1;
        let v = window_stat(w, statistic);
        if v > threshold {
            run.push((*k, v));
        } else {
            close(&mut run, &mut out);
        }
    }
    close(&mut run, &mut out);
    out
}

/// RFC 3339 with milliseconds (for generated logs).
pub fn rfc3339_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(|| ms.to_string(), |d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// Requests per minute of one version.
#[derive(Debug, Clone, Serialize)]
pub struct VersionThroughput {
    /// Mean over the windows that have requests, per minute.
    pub mean_per_minute: f64,
    /// The busiest window, per minute, and when it started.
    pub peak_per_minute: f64,
    pub peak_at: String,
}

/// Throughput of both versions and how much of V1's peak V2 kept up with.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub v1: VersionThroughput,
    pub v2: VersionThroughput,
    /// V2's peak per-minute rate divided by V1's (in canary mode, compare with the traffic share).
    pub v2_share_of_v1_peak: f64,
}

fn version_throughput(series: &[Window], width_minutes: u32) -> VersionThroughput {
    let per_min = |w: &Window| w.requests as f64 / f64::from(width_minutes.max(1));
    let peak = series.iter().max_by(|a, b| a.requests.cmp(&b.requests).then(b.start_ms.cmp(&a.start_ms)));
    VersionThroughput {
        mean_per_minute: if series.is_empty() { 0.0 } else { series.iter().map(per_min).sum::<f64>() / series.len() as f64 },
        peak_per_minute: peak.map_or(0.0, per_min),
        peak_at: peak.map_or_else(String::new, |w| rfc3339(w.start_ms)),
    }
}

pub fn throughput(v1: &[Window], v2: &[Window], width_minutes: u32) -> Throughput {
    let a = version_throughput(v1, width_minutes);
    let b = version_throughput(v2, width_minutes);
    let share = if a.peak_per_minute > 0.0 { b.peak_per_minute / a.peak_per_minute } else { f64::NAN };
    Throughput { v1: a, v2: b, v2_share_of_v1_peak: share }
}

#[cfg(test)]
mod tests {
    use super::{series, sparse_series, SeriesInput, SeriesSummary, WindowOf, WINDOW_ACCURACY};
    use crate::ingest::columns::NumCol;
    use proptest::prelude::*;

    proptest! {
        /// The series from summaries of the rows split into parts and merged is the in-memory
        /// series: the same windows and counts, means up to the order of additions, p95 within
        /// the histograms' accuracy.
        #[test]
        fn series_from_merged_summaries_are_the_in_memory_series(
            rows in proptest::collection::vec((-3_000_000i64..3_000_000, prop_oneof![0.0f64..900.0, Just(0.0), 1e-3f64..1e5], any::<bool>()), 1..300),
            width in prop_oneof![Just(60_000i64), 1i64..400_000],
            parts in 1usize..4,
        ) {
            let ts: Vec<i64> = rows.iter().map(|r| 1_764_000_000_000 + r.0).collect();
            let latency: Vec<f64> = rows.iter().map(|r| r.1).collect();
            let ok: Vec<bool> = rows.iter().map(|r| r.2).collect();
            let (mut cpu, mut memory) = (NumCol::default(), NumCol::default());
            for (k, r) in rows.iter().enumerate() {
                cpu.push(if k % 3 == 0 { f64::NAN } else { r.1 / 10.0 });
                memory.push(f64::NAN);
            }
            let input = SeriesInput { ts_ms: &ts, latency: &latency, ok: &ok, cpu: &cpu, memory: &memory };
            let all: Vec<u32> = (0..rows.len() as u32).collect();
            let want = series(&input, &all, width);
            let mut merged = SeriesSummary::new(width);
            for p in 0..parts {
                let mut part = SeriesSummary::new(width);
                for i in (0..rows.len()).filter(|i| i % parts == p) {
                    part.add(ts[i], latency[i], ok[i], cpu.get(i), memory.get(i));
                }
                merged.merge(&part);
            }
            let got = merged.series();
            prop_assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
            let close = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0);
            for (g, w) in got.values().zip(want.values()) {
                prop_assert_eq!((g.start_ms, g.requests, g.errors, g.error_rate.to_bits()), (w.start_ms, w.requests, w.errors, w.error_rate.to_bits()));
                prop_assert!(close(g.latency_mean, w.latency_mean) && close(g.cpu_mean, w.cpu_mean) && close(g.memory_mean, w.memory_mean), "{g:?} against {w:?}");
                prop_assert!((g.latency_p95 - w.latency_p95).abs() <= WINDOW_ACCURACY * w.latency_p95 * (1.0 + 1e-9), "{g:?} against {w:?}");
            }
        }

        /// The dense series (windows found by the corrected reciprocal) is the sparse one (found
        /// by `div_euclid` per row, into a map), window for window, for timestamps either side
        /// of the epoch, on and off window boundaries, in any order and with rows left out.
        #[test]
        fn dense_windows_are_the_sparse_ones(
            rows in proptest::collection::vec((-3_000_000i64..3_000_000, 0.0f64..900.0, any::<bool>()), 1..300),
            start in prop_oneof![Just(0i64), Just(1_764_000_000_000), -1_000_000_000_000i64..2_000_000_000_000],
            width in prop_oneof![Just(60_000i64), Just(1i64), 1i64..400_000],
            keep_every in 1usize..4,
        ) {
            let ts: Vec<i64> = rows.iter().map(|r| start + r.0).collect();
            let latency: Vec<f64> = rows.iter().map(|r| r.1).collect();
            let ok: Vec<bool> = rows.iter().map(|r| r.2).collect();
            let (cpu, memory) = (NumCol::default(), NumCol::default());
            let (mut cpu, mut memory) = (cpu, memory);
            for r in &rows {
                cpu.push(r.1 / 10.0);
                memory.push(f64::NAN);
            }
            let input = SeriesInput { ts_ms: &ts, latency: &latency, ok: &ok, cpu: &cpu, memory: &memory };
            let keep: Vec<u32> = (0..rows.len() as u32).filter(|i| *i as usize % keep_every == 0).collect();
            let dense = serde_json::to_string(&series(&input, &keep, width)).unwrap();
            let sparse = serde_json::to_string(&sparse_series(&input, &keep, width)).unwrap();
            prop_assert_eq!(dense, sparse);
        }

        /// The corrected reciprocal is the integer quotient, across window widths and offsets up
        /// to the 2^52 ms the series allows.
        #[test]
        fn window_of_is_the_quotient(width in 1i64..10_000_000, off in 0u64..(1u64 << 52), small in 0u64..100_000) {
            let w = WindowOf::new(0, width);
            for off in [off, small, off / width as u64 * width as u64, (off / width as u64 * width as u64).saturating_sub(1)] {
                if (off / width as u64) * (width as u64) < 1 << 52 {
                    prop_assert_eq!(w.of(off as i64) as u64, off / width as u64, "offset {}", off);
                }
            }
        }
    }
}
