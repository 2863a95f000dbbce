//! Data-quality checks (DESIGN.md section 5): a failure makes the decision INCONCLUSIVE, never GO.

use super::{p_fmt, pct, GateResult, Status};
use crate::pair::Pairing;
use crate::policy::{Mode, Policy};
use crate::stats::srm::chi_square_gof;

/// Input counts the data-quality checks need.
pub struct QualityInputs<'a> {
    pub pairing: &'a Pairing,
    pub v1_n: u64,
    pub v2_n: u64,
    pub rejected_share: [f64; 2],
    /// First and last request timestamp (epoch ms) of each version.
    pub v1_range: (i64, i64),
    pub v2_range: (i64, i64),
}

/// A data-quality result: a count or share compared with its minimum or maximum.
#[allow(clippy::too_many_arguments)] // one flat constructor reads better at the four call sites than a builder
fn dq(
    id: &str,
    statistic: &str,
    estimate: f64,
    comparison: &'static str,
    threshold: f64,
    ok: bool,
    test: &str,
    message: String,
) -> GateResult {
    GateResult {
        id: id.into(),
        severity: "data_quality",
        statistic: statistic.into(),
        unit: "",
        status: if ok { Status::Pass } else { Status::Fail },
        estimate,
        lower: estimate,
        upper: estimate,
        comparison,
        threshold,
        confidence: f64::NAN,
        test: test.into(),
        p_value: f64::NAN,
        message,
    }
}

/// The data-quality checks of DESIGN.md section 5.
pub fn data_quality(policy: &Policy, q: &QualityInputs<'_>, mode: Mode) -> Vec<GateResult> {
    let d = &policy.data_quality;
    let mut out = Vec::new();
    let comparable = if mode == Mode::Shadow { q.pairing.pairs } else { q.v1_n.min(q.v2_n) };
    let ok = comparable >= d.min_pairs;
    out.push(dq(
        "data.min_pairs",
        if mode == Mode::Shadow { "pairs" } else { "min(v1_requests, v2_requests)" },
        comparable as f64,
        "at_least",
        d.min_pairs as f64,
        ok,
        "count",
        format!(
            "{comparable} comparable requests, {} needed{}",
            d.min_pairs,
            if ok { "" } else { ": too few to decide; collect more traffic (a longer window or a later stage)" }
        ),
    ));
    if mode == Mode::Shadow {
        let cov = q.pairing.coverage.min(q.pairing.v2_coverage);
        let ok = cov >= d.min_coverage;
        out.push(dq(
            "data.coverage",
            "min(pairs/v1_ids, pairs/v2_ids)",
            cov,
            "at_least",
            d.min_coverage,
            ok,
            "join coverage",
            format!(
                "{} of V1 requests have a V2 twin and {} of V2 requests a V1 twin (minimum {}){}",
                pct(q.pairing.coverage),
                pct(q.pairing.v2_coverage),
                pct(d.min_coverage),
                if ok { "" } else { ": one log is incomplete, truncated or from another time range; check the exports" }
            ),
        ));
    }
    // Truncation guard: both logs must cover (nearly) the same time span, or one export is
    // incomplete and every comparison is biased towards the part both cover.
    let union = (q.v1_range.1.max(q.v2_range.1) - q.v1_range.0.min(q.v2_range.0)).max(0) as f64;
    let inter = (q.v1_range.1.min(q.v2_range.1) - q.v1_range.0.max(q.v2_range.0)).max(0) as f64;
    let overlap = if union <= 60_000.0 { 1.0 } else { inter / union };
    let ok = overlap >= d.min_time_overlap;
    out.push(dq(
        "data.time_overlap",
        "overlap of the two logs' time ranges / their union",
        overlap,
        "at_least",
        d.min_time_overlap,
        ok,
        "time ranges",
        format!(
            "V1 spans {} to {}, V2 {} to {}: they overlap on {} of the combined span (minimum {}){}",
            crate::metrics::windows::rfc3339(q.v1_range.0),
            crate::metrics::windows::rfc3339(q.v1_range.1),
            crate::metrics::windows::rfc3339(q.v2_range.0),
            crate::metrics::windows::rfc3339(q.v2_range.1),
            pct(overlap),
            pct(d.min_time_overlap),
            if ok { "" } else { ": one log starts late or ends early (a truncated export?); compare the same period" }
        ),
    ));
    let worst = q.rejected_share[0].max(q.rejected_share[1]);
    let ok = worst <= d.max_rejected_share;
    out.push(dq(
        "data.rejected",
        "max rejected share",
        worst,
        "at_most",
        d.max_rejected_share,
        ok,
        "count",
        format!(
            "rejected rows: V1 {}, V2 {} (maximum {}){}",
            pct(q.rejected_share[0]),
            pct(q.rejected_share[1]),
            pct(d.max_rejected_share),
            if ok { "" } else { ": see rejected.jsonl for examples and fix the export or the [columns] mapping" }
        ),
    ));
    if mode == Mode::Canary {
        let share = policy.analysis.expected_v2_share;
        let (stat, p) = chi_square_gof(&[q.v1_n, q.v2_n], &[1.0 - share, share]);
        let ok = p >= d.srm_min_p;
        let observed = q.v2_n as f64 / (q.v1_n + q.v2_n).max(1) as f64;
        let mut r = dq(
            "data.srm",
            "chi-square p-value of the traffic split",
            p,
            "at_least",
            d.srm_min_p,
            ok,
            "chi-square goodness of fit",
            format!(
                "V2 served {} of requests, expected {} (chi-square {:.2}, p = {}){}",
                pct(observed),
                pct(share),
                stat,
                p_fmt(p),
                if ok { "" } else { ": sample-ratio mismatch; the split or the logging is broken, so comparisons are biased" }
            ),
        );
        r.p_value = p;
        if q.pairing.pairs > 0 {
            r.message.push_str(&format!(
                ". {} correlation ids occur in both versions: in canary mode each request should be served by one version, so the split leaks",
                q.pairing.pairs
            ));
        }
        out.push(r);
    }
    out
}
