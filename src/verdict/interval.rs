//! Interval gates: a statistic's confidence interval against an "at most" threshold (latency
//! percentiles and V2/V1 ratios, error rates and their difference, resource ratios, the
//! discrepancy rate).

use super::{description, judge as judge_interval, ms, pct, pp, signed_pct, unit_of, verdict_word, Context, GateResult, Status};
use crate::metrics::Metrics;
use crate::policy::{Gate, Mode};
use crate::stats::Interval;

pub(super) fn judge(g: &Gate, cx: &Context<'_>, r: &mut GateResult) {
    let (m, mode, conf) = (cx.metrics, cx.mode, cx.policy.analysis.confidence);
    let sequential = m.sequential.as_ref().and_then(|s| s.intervals.get(g.statistic.as_str()).map(|iv| (*iv, s)));
    match interval_statistic(&g.statistic, m, mode) {
        Some(mut f) => {
            if let Some((iv, s)) = sequential {
                // Nightly re-analysis: judge on the confidence sequence, and say what the
                // fixed-sample interval was.
                f.test = format!(
                    "anytime-valid confidence sequence (beta-binomial mixture, Howard et al. 2021{}), tuned for {} requests, {}; the fixed-sample interval was {} to {} ({})",
                    if g.statistic.starts_with("diff.") || g.statistic.starts_with("ratio.") { "; each version at alpha/2" } else { "" },
                    s.tuned_for,
                    s.reason,
                    fmt_bound(f.iv.lower),
                    fmt_bound(f.iv.upper),
                    f.test
                );
                f.iv = Interval::new(f.iv.estimate, iv.lower, iv.upper);
            }
            r.estimate = f.iv.estimate;
            r.lower = f.iv.lower;
            r.upper = f.iv.upper;
            r.status = judge_interval(f.iv, g.threshold);
            r.test = f.test;
            r.p_value = f.p;
            r.message = message(&g.statistic, f.iv, g.threshold, r.status, conf);
            if r.status == Status::Fail && sequential.is_none() {
                if let Some(q) = g.statistic.strip_prefix("ratio.latency.").filter(|q| *q != "mean") {
                    confirm_quantile_fail(q, m, g.threshold, r);
                }
            }
        }
        None => {
            r.message = match g.statistic.as_str() {
                "discrepancy.rate" if mode == Mode::Canary => {
                    "canary mode: V1 and V2 served different requests, so their results cannot be compared".into()
                }
                "discrepancy.rate" => "no result column in one or both versions ([columns] result)".into(),
                s if s.starts_with("ratio.") => format!("no `{}` values in one or both versions", &s["ratio.".len()..]),
                _ => "no data for this statistic".into(),
            };
        }
    }
}

fn fmt_bound(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.6}")
    } else {
        "unbounded".into()
    }
}

/// Human-readable message for an interval gate.
fn message(statistic: &str, iv: Interval, threshold: f64, status: Status, conf: f64) -> String {
    let c = format!("{:.0}% CI", conf * 100.0);
    let what = description(statistic);
    let body = match unit_of(statistic) {
        "ms" => format!("{what} is {} ({c} {} to {}), limit {}", ms(iv.estimate), ms(iv.lower), ms(iv.upper), ms(threshold)),
        "ratio" => {
            let change = |r: f64| signed_pct(r - 1.0);
            let dir = if iv.estimate >= 1.0 { "higher" } else { "lower" };
            format!(
                "{what}: V2 is {} {dir} than V1 ({c} {} to {}), margin {}",
                pct((iv.estimate - 1.0).abs()),
                change(iv.lower),
                change(iv.upper),
                change(threshold)
            )
        }
        "rate" if statistic.starts_with("diff.") => {
            format!("{what} is {} percentage points ({c} {} to {}), margin {}", pp(iv.estimate), pp(iv.lower), pp(iv.upper), pp(threshold))
        }
        "rate" => format!("{what} is {} ({c} {} to {}), limit {}", pct(iv.estimate), pct(iv.lower), pct(iv.upper), pct(threshold)),
        _ => format!("{what} is {:.3} ({c} {:.3} to {:.3}), limit {threshold}", iv.estimate, iv.lower, iv.upper),
    };
    format!("{body}: {}", verdict_word(status))
}

/// A quantile ratio's FAIL must be confirmed by the distribution-free interval: each version's
/// order-statistic interval for the quantile, combined on the log scale (MOVER). Resampling
/// intervals assume the quantile moves smoothly with the data; at a gap or an atom of the latency
/// distribution (a cluster of timeouts holding exactly ~1% of requests puts p99 at its edge) a
/// version's sample quantile jumps between the two sides, and a paired bootstrap or batch means
/// can put a tight interval around one side. The order-statistic intervals hold for any
/// distribution; when they still reach the margin, the gate is inconclusive, not failed.
fn confirm_quantile_fail(q: &str, m: &Metrics, threshold: f64, r: &mut GateResult) {
    let (Some(i1), Some(i2)) = (m.latency_ms.v1.quantile(q), m.latency_ms.v2.quantile(q)) else {
        return;
    };
    let (lo, _) = crate::stats::quantile_ratio::mover_log_ratio(i1, i2);
    if lo.exp() <= threshold {
        r.status = Status::Inconclusive;
        r.test.push_str("; fail not confirmed by the distribution-free order-statistic intervals");
        r.message = format!(
            "{}: the interval lies above the margin, but the distribution-free interval (each version's order statistics) reaches down to {:+.1}%: V1 {q} is {:.0}-{:.0} ms, V2 {:.0}-{:.0} ms, so {q} sits at a gap or cluster of latencies (timeouts?) and cannot be compared reliably: {}",
            r.message.trim_end_matches(": FAIL"),
            (lo.exp() - 1.0) * 100.0,
            i1.lower,
            i1.upper,
            i2.lower,
            i2.upper,
            verdict_word(r.status)
        );
    }
}

struct Found {
    iv: Interval,
    test: String,
    p: f64,
}

/// Looks up an interval statistic; None when its data is absent.
fn interval_statistic(stat: &str, m: &Metrics, mode: Mode) -> Option<Found> {
    let lat = &m.latency_ms;
    let found = |iv: Interval, test: &str, p: f64| Some(Found { iv, test: test.to_string(), p });
    if let Some(q) = stat.strip_prefix("v2.latency.") {
        let iv = lat.v2.quantile(q)?;
        let test = if q == "mean" { "normal-mean-interval" } else { "order-statistic-interval" };
        return found(iv, test, f64::NAN);
    }
    if let Some(q) = stat.strip_prefix("ratio.latency.") {
        let r = lat.comparison.ratios.get(q)?;
        let test = format!(
            "{} ({}); {} p={}",
            r.method,
            if mode == Mode::Shadow { "paired" } else { "unpaired" },
            lat.comparison.test.test,
            super::p_fmt(lat.comparison.test.p_value)
        );
        return Some(Found { iv: r.interval, test, p: lat.comparison.test.p_value });
    }
    match stat {
        "v2.error_rate" => found(m.errors.v2.rate, m.errors.v2.method, f64::NAN),
        "diff.error_rate" => {
            let d = &m.errors.diff;
            Some(Found { iv: d.diff, test: format!("{} interval; {} (H0: equal rates)", d.interval_method, d.test), p: d.p_value })
        }
        "ratio.memory_mb" | "ratio.cpu_ms" | "ratio.net_bytes" => {
            let r = m.resources.get(&stat["ratio.".len()..])?;
            Some(Found { iv: r.ratio.interval, test: format!("ratio of means, {}", r.ratio.method), p: f64::NAN })
        }
        "discrepancy.rate" if m.discrepancy.applicable => found(m.discrepancy.rate, m.discrepancy.method, f64::NAN),
        _ => None,
    }
}
