//! Availability per window: V2's success ratio in every minute (window) of the run against a
//! target (the rollout plan's 99.9%), with V1's in the same minutes beside it.
//!
//! A minute "falls below" when its whole interval lies below the target. Looking at every minute
//! of a night is 1,440 looks, so the per-minute intervals are Bonferroni-adjusted (confidence
//! 1 - alpha / minutes judged): a noisy minute cannot fail the gate on its own. Minutes with fewer
//! than `min_window_requests` V2 requests are skipped and counted, as in the sustained rules.

use super::windows::{rfc3339, Window};
use crate::stats::proportion::rate_interval;
use crate::stats::Interval;
use serde::Serialize;
use std::collections::HashMap;

/// One minute in which V2's availability fell below the target.
#[derive(Debug, Clone, Serialize)]
pub struct MinuteBelow {
    pub start: String,
    pub start_ms: i64,
    pub requests: u64,
    pub failures: u64,
    /// V2's success ratio in the minute with its adjusted interval.
    pub availability: Interval,
    /// V1's success ratio in the same minute (null when V1 had no eligible window then).
    #[serde(serialize_with = "crate::stats::finite_or_null")]
    pub v1_availability: f64,
    /// V1 fell below the target in the same minute too (by the same adjusted criterion): the cause
    /// is probably upstream of V2.
    pub v1_below: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Availability {
    /// The target success ratio (the gate's threshold).
    pub target: f64,
    pub width_minutes: u32,
    pub min_requests: u64,
    /// V2 windows with at least `min_requests` requests (judged), and with fewer (skipped).
    pub eligible_windows: u64,
    pub sparse_windows: u64,
    /// Confidence of each per-window interval, Bonferroni-adjusted over the eligible windows.
    pub window_confidence: f64,
    /// Success ratio over the whole run, with its interval at the run's confidence.
    pub v2: Interval,
    pub v1: Interval,
    pub v2_requests: u64,
    pub v2_failures: u64,
    pub v1_requests: u64,
    pub v1_failures: u64,
    /// Every eligible V2 window below the target, in time order.
    pub below: Vec<MinuteBelow>,
    /// Eligible V1 windows below the target (the same criterion), for comparison.
    pub v1_below_windows: u64,
    /// Windows below for V2 in which V1 was below too.
    pub shared_with_v1: u64,
    /// (start_ms, V2 success ratio, V1 success ratio or NaN) per eligible V2 window, for the chart.
    #[serde(skip)]
    pub series: Vec<(i64, f64, f64)>,
}

fn successes(w: &Window) -> u64 {
    w.requests - w.errors
}

/// Availability of V2 (and V1) per window against `target`.
pub fn availability(v1: &[Window], v2: &[Window], target: f64, width_minutes: u32, min_requests: u64, confidence: f64) -> Availability {
    let eligible: Vec<&Window> = v2.iter().filter(|w| w.requests >= min_requests).collect();
    let v1_eligible: Vec<&Window> = v1.iter().filter(|w| w.requests >= min_requests).collect();
    let looks = eligible.len().max(v1_eligible.len()).max(1) as f64;
    let adjusted = 1.0 - (1.0 - confidence) / looks;
    let judge = |w: &Window| rate_interval(successes(w), w.requests, adjusted).0;
    let v1_by_start: HashMap<i64, &Window> = v1_eligible.iter().map(|w| (w.start_ms, *w)).collect();
    let v1_below_at = |start: i64| v1_by_start.get(&start).map(|w| (w, judge(w).upper < target));
    let mut below = Vec::new();
    let mut series = Vec::with_capacity(eligible.len());
    for w in &eligible {
        let iv = judge(w);
        let v1 = v1_below_at(w.start_ms);
        let v1_ratio = v1.map_or(f64::NAN, |(w1, _)| successes(w1) as f64 / w1.requests as f64);
        series.push((w.start_ms, iv.estimate, v1_ratio));
        if iv.upper < target {
            below.push(MinuteBelow {
                start: rfc3339(w.start_ms),
                start_ms: w.start_ms,
                requests: w.requests,
                failures: w.errors,
                availability: iv,
                v1_availability: v1_ratio,
                v1_below: v1.is_some_and(|(_, b)| b),
            });
        }
    }
    let total = |ws: &[Window]| (ws.iter().map(|w| w.requests).sum::<u64>(), ws.iter().map(|w| w.errors).sum::<u64>());
    let (n2, f2) = total(v2);
    let (n1, f1) = total(v1);
    Availability {
        target,
        width_minutes,
        min_requests,
        eligible_windows: eligible.len() as u64,
        sparse_windows: (v2.len() - eligible.len()) as u64,
        window_confidence: adjusted,
        v2: rate_interval(n2 - f2, n2, confidence).0,
        v1: rate_interval(n1 - f1, n1, confidence).0,
        v2_requests: n2,
        v2_failures: f2,
        v1_requests: n1,
        v1_failures: f1,
        shared_with_v1: below.iter().filter(|b| b.v1_below).count() as u64,
        v1_below_windows: v1_eligible.iter().filter(|w| judge(w).upper < target).count() as u64,
        below,
        series,
    }
}
