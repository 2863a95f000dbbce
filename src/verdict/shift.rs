//! `latency.shift`: V2/V1 latency at every decile, p95 and p99 (the shift function) against its
//! margin (`threshold`, and `tail_threshold` at p99). It fails when any point's whole simultaneous
//! band (and its distribution-free interval) lies above the margin, so a V2 with the same median
//! and p95 but a slow middle mode or a heavier tail cannot pass; it passes when every decile's
//! band lies at or below its margin and no point fails.

use super::{pct, verdict_word, Context, GateResult, Status};
use crate::policy::Gate;
use crate::stats::shift::ShiftPoint;

fn q_name(q: f64) -> String {
    format!("p{}", (q * 100.0).round())
}

fn change(r: f64) -> String {
    if !r.is_finite() {
        return "unbounded".into();
    }
    let s = pct(r - 1.0);
    if r >= 1.0 {
        format!("+{s}")
    } else {
        s
    }
}

pub(super) fn judge(g: &Gate, cx: &Context<'_>, r: &mut GateResult) {
    let sf = &cx.metrics.latency_ms.shift;
    let points: Vec<&ShiftPoint> = sf.points.iter().filter(|p| p.ratio.lower.is_finite() && p.ratio.upper.is_finite()).collect();
    if points.is_empty() {
        r.message = "the shift function needs at least 20 requests per version".into();
        return;
    }
    // The margin at each point: `threshold`, and at p99 `tail_threshold` when set.
    let margin = |p: &ShiftPoint| if p.q >= 0.99 { g.tail_threshold.unwrap_or(g.threshold) } else { g.threshold };
    // A point fails when its band lies above the margin and the distribution-free interval
    // confirms it; a band above the margin that the distribution-free interval does not confirm
    // (a gap or cluster of latencies there) leaves the point open.
    let above_band = |p: &ShiftPoint| p.ratio.lower > margin(p);
    let confirmed = |p: &ShiftPoint| p.ratio_distribution_free.lower > margin(p);
    let above: Vec<&ShiftPoint> = points.iter().copied().filter(|p| above_band(p) && confirmed(p)).collect();
    let unconfirmed: Vec<&ShiftPoint> = points.iter().copied().filter(|p| above_band(p) && !confirmed(p)).collect();
    // Only the deciles can leave the gate open: a straddling band at p95 or p99 is the business
    // of latency.p95.vs_v1 and latency.p99.vs_v1, which judge those points on pointwise intervals
    // (the simultaneous band is wider there and would hold small nights a second time). They can
    // still fail it.
    let decile = |p: &ShiftPoint| p.q < 0.95 - 1e-9;
    let open: Vec<&ShiftPoint> = points
        .iter()
        .copied()
        .filter(|p| decile(p) && ((p.ratio.upper > margin(p) && !above_band(p)) || (above_band(p) && !confirmed(p))))
        .collect();
    r.status = if !above.is_empty() {
        Status::Fail
    } else if !open.is_empty() {
        Status::Inconclusive
    } else {
        Status::Pass
    };
    // The point the message names: on a fail the one most clearly above the margin, otherwise the
    // decile closest to it.
    let key = |p: &&ShiftPoint| (if r.status == Status::Fail { p.ratio.lower } else { p.ratio.upper }) / margin(p);
    let named: Vec<&ShiftPoint> =
        if r.status == Status::Fail { points.clone() } else { points.iter().copied().filter(|p| decile(p)).collect() };
    let worst = *named.iter().max_by(|a, b| key(a).total_cmp(&key(b))).unwrap_or(&points[0]);
    r.estimate = worst.ratio.estimate;
    r.lower = worst.ratio.lower;
    r.upper = worst.ratio.upper;
    r.threshold = margin(worst);
    r.test = format!(
        "shift function: {} quantiles at p10..p90, p95, p99; {} covariance ({} resamples); simultaneous {:.0}% sup-t band (c = {:.2})",
        sf.estimator,
        sf.method,
        sf.resamples,
        sf.confidence * 100.0,
        sf.critical_value
    );
    let names = |v: &[&ShiftPoint]| v.iter().map(|p| q_name(p.q)).collect::<Vec<_>>().join(", ");
    let at = format!(
        "{} {} (band {} to {}, {:+.1} ms; margin there {})",
        q_name(worst.q),
        change(worst.ratio.estimate),
        change(worst.ratio.lower),
        change(worst.ratio.upper),
        worst.diff_ms.estimate,
        change(margin(worst))
    );
    r.message = match r.status {
        Status::Fail => format!("V2 is slower than V1 beyond the margin at {} (most at {at}): {}", names(&above), verdict_word(r.status)),
        Status::Inconclusive => format!(
            "V2/V1 latency: the band reaches above the margin at {} (closest: {at}){}: {}",
            names(&open),
            if unconfirmed.is_empty() {
                String::new()
            } else {
                format!(
                    "; at {} the band lies above it but the distribution-free interval does not confirm it (a gap or cluster of latencies there, e.g. timeouts)",
                    names(&unconfirmed)
                )
            },
            verdict_word(r.status)
        ),
        _ => format!(
            "V2/V1 latency within the margin at every decile, and not above it at p95 or p99 (closest decile: {at}): {}",
            verdict_word(r.status)
        ),
    };
}
