//! `functionality.segment`: a segment where V2 fails or disagrees on at least the threshold share
//! of requests, judged on Bonferroni-adjusted intervals over the segments it looks at.

use super::{judge as judge_interval, pct, verdict_word, Context, GateResult, Status};
use crate::policy::{Gate, Mode};
use crate::stats::proportion::rate_interval;
use crate::stats::Interval;

pub(super) fn judge(g: &Gate, cx: &Context<'_>, r: &mut GateResult) {
    let (m, mode, conf) = (cx.metrics, cx.mode, cx.policy.analysis.confidence);
    let min = g.min_requests.unwrap_or(100);
    let eligible: Vec<_> = m.discrepancy.by_segment.iter().filter(|s| s.pairs >= min).collect();
    if !cx.has_segments || mode == Mode::Canary {
        r.message = "needs --segment-by (shadow mode) to break requests down by segment".into();
    } else if eligible.is_empty() {
        r.message = format!("no segment has at least {min} requests");
    } else {
        // Bonferroni over the segments judged, so the scan itself cannot create a failure.
        let k = eligible.len() as f64;
        let adj = 1.0 - (1.0 - conf) / k;
        let mut worst: Option<(Interval, &crate::metrics::discrepancy::SegmentRow)> = None;
        let mut any_fail = false;
        let mut any_inconclusive = false;
        for s in &eligible {
            let (iv, _) = rate_interval(s.v2_failures, s.pairs, adj);
            match judge_interval(iv, g.threshold) {
                Status::Fail => any_fail = true,
                Status::Inconclusive => any_inconclusive = true,
                _ => {}
            }
            if worst.as_ref().is_none_or(|(w, _)| iv.estimate > w.estimate) {
                worst = Some((iv, s));
            }
        }
        if let Some((iv, s)) = worst {
            r.estimate = iv.estimate;
            r.lower = iv.lower;
            r.upper = iv.upper;
            r.status = if any_fail {
                Status::Fail
            } else if any_inconclusive {
                Status::Inconclusive
            } else {
                Status::Pass
            };
            r.test = format!("per-segment rate intervals, Bonferroni-adjusted over {} segments (confidence {:.4})", eligible.len(), adj);
            r.message = format!(
                "worst segment {}={}: V2 failed or disagreed on {} of {} requests ({}, CI {} to {}), critical level {}: {}",
                s.column,
                s.value,
                s.v2_failures,
                s.pairs,
                pct(iv.estimate),
                pct(iv.lower),
                pct(iv.upper),
                pct(g.threshold),
                if any_fail { "FAIL: critical validation functionality failure" } else { verdict_word(r.status) }
            );
        }
    }
}
