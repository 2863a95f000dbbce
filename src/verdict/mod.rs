//! Gates -> decision and recommendation (DESIGN.md section 4).
//!
//! Every gate compares a statistic's confidence interval with its threshold ("at most"):
//! `pass` when the whole interval is at or below it, `fail` when the whole interval is above it,
//! `inconclusive` when it straddles. Ratio gates against V1 are therefore non-inferiority tests on
//! the upper bound. Data-quality checks make the decision INCONCLUSIVE, never GO.

use crate::metrics::{Metrics, WindowMetrics};
use crate::pair::Pairing;
use crate::policy::{Gate, Mode, Policy, Severity, STATISTICS};
use crate::stats::proportion::rate_interval;
use crate::stats::srm::chi_square_gof;
use crate::stats::{finite_or_null, Interval};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    Inconclusive,
    /// The gate's data is absent (e.g. no memory column); it does not affect the decision.
    Skipped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Decision {
    Go,
    NoGo,
    Inconclusive,
}

impl Decision {
    /// 0 GO, 1 NO_GO, 3 INCONCLUSIVE (2 is reserved for usage and input errors).
    pub fn exit_code(self) -> i32 {
        match self {
            Decision::Go => 0,
            Decision::NoGo => 1,
            Decision::Inconclusive => 3,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Go => "GO",
            Decision::NoGo => "NO_GO",
            Decision::Inconclusive => "INCONCLUSIVE",
        }
    }
}

/// One evaluated gate or data-quality check.
#[derive(Debug, Clone, Serialize)]
pub struct GateResult {
    pub id: String,
    /// warning, blocking, rollback or data_quality.
    pub severity: &'static str,
    pub statistic: String,
    pub unit: &'static str,
    pub status: Status,
    #[serde(serialize_with = "finite_or_null")]
    pub estimate: f64,
    #[serde(serialize_with = "finite_or_null")]
    pub lower: f64,
    #[serde(serialize_with = "finite_or_null")]
    pub upper: f64,
    /// "at_most" or "at_least".
    pub comparison: &'static str,
    pub threshold: f64,
    pub confidence: f64,
    /// How the interval (and p-value) were obtained.
    pub test: String,
    #[serde(serialize_with = "finite_or_null")]
    pub p_value: f64,
    pub message: String,
}

/// The stages of the rollout plan, in order.
pub const STAGES: [&str; 6] = ["shadow", "canary-1", "progressive-10", "progressive-25", "progressive-50", "full"];

#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    /// promote, hold or rollback.
    pub action: &'static str,
    pub stage: String,
    pub next_stage: Option<String>,
    pub summary: String,
    pub reasons: Vec<String>,
    /// The runbook step for a rollback.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
}

fn unit_of(statistic: &str) -> &'static str {
    STATISTICS.iter().find(|s| s.0 == statistic).map_or("", |s| s.1)
}

fn description(statistic: &str) -> &'static str {
    STATISTICS.iter().find(|s| s.0 == statistic).map_or("", |s| s.2)
}

/// pass / fail / inconclusive for "statistic at most threshold".
pub fn judge(iv: Interval, threshold: f64) -> Status {
    if iv.lower.is_nan() || iv.upper.is_nan() {
        Status::Inconclusive
    } else if iv.upper <= threshold {
        Status::Pass
    } else if iv.lower > threshold {
        Status::Fail
    } else {
        Status::Inconclusive
    }
}

/// A share as a percentage with precision that suits its size ("12.3%", "0.57%", "0.034%").
pub fn pct(v: f64) -> String {
    if !v.is_finite() {
        return "unbounded".into();
    }
    let p = v * 100.0;
    if p.abs() >= 10.0 {
        format!("{p:.1}%")
    } else if p.abs() >= 0.1 {
        format!("{p:.2}%")
    } else {
        format!("{p:.3}%")
    }
}

fn signed_pct(v: f64) -> String {
    if !v.is_finite() {
        return "unbounded".into();
    }
    let s = pct(v);
    if v >= 0.0 {
        format!("+{s}")
    } else {
        s
    }
}

fn ms(v: f64) -> String {
    if !v.is_finite() {
        "unbounded".into()
    } else if v >= 100.0 {
        format!("{v:.0} ms")
    } else {
        format!("{v:.1} ms")
    }
}

fn verdict_word(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail => "FAIL",
        Status::Inconclusive => "inconclusive: the interval straddles the threshold",
        Status::Skipped => "skipped",
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

/// A p-value for messages: 3 significant digits, scientific below 0.001.
pub fn p_fmt(p: f64) -> String {
    if !p.is_finite() {
        "n/a".into()
    } else if p < 1e-3 {
        format!("{p:.2e}")
    } else {
        format!("{p:.3}")
    }
}

fn pp(v: f64) -> String {
    if !v.is_finite() {
        return "unbounded".into();
    }
    format!("{:+.2}", v * 100.0)
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
            p_fmt(lat.comparison.test.p_value)
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

fn base(id: &str, g: &Gate, conf: f64) -> GateResult {
    GateResult {
        id: id.to_string(),
        severity: g.severity.as_str(),
        statistic: g.statistic.clone(),
        unit: unit_of(&g.statistic),
        status: Status::Skipped,
        estimate: f64::NAN,
        lower: f64::NAN,
        upper: f64::NAN,
        comparison: "at_most",
        threshold: g.threshold,
        confidence: conf,
        test: String::new(),
        p_value: f64::NAN,
        message: String::new(),
    }
}

/// Evaluates every enabled gate of the policy.
pub fn evaluate_gates(
    policy: &Policy,
    m: &Metrics,
    w: &WindowMetrics,
    mode: Mode,
    has_segments: bool,
    host: Option<&crate::metrics::host::HostResources>,
) -> Vec<GateResult> {
    let conf = policy.analysis.confidence;
    let order: Vec<String> = crate::policy::default_gates()
        .iter()
        .map(|(id, _, _)| id.to_string())
        .filter(|id| policy.gates.contains_key(id))
        .chain(policy.gates.keys().filter(|k| !crate::policy::default_gates().iter().any(|(d, _, _)| d == k)).cloned())
        .collect();
    let mut out = Vec::new();
    for id in order {
        let g = &policy.gates[&id];
        if !g.enabled {
            continue;
        }
        let mut r = base(&id, g, conf);
        if g.statistic.starts_with("window.") {
            let fw = g.for_windows.unwrap_or(1);
            r.comparison = "at_most";
            r.unit = "windows";
            r.threshold = f64::from(fw.saturating_sub(1));
            r.test = format!(
                "sustained: {} > {} in {fw} consecutive {}-minute windows (>= {} requests each)",
                g.statistic, g.threshold, w.width_minutes, w.min_requests
            );
            match w.rules.get(&id) {
                Some(o) if o.eligible_windows > 0 => {
                    let streak = f64::from(o.longest_streak);
                    r.estimate = streak;
                    r.lower = streak;
                    r.upper = streak;
                    let fired: Vec<_> = o.breaches.iter().filter(|b| b.fired).collect();
                    if fired.is_empty() {
                        r.status = Status::Pass;
                        r.message = format!(
                            "{}: longest run above {} was {} window(s) of {} eligible; fires at {fw}: pass",
                            description(&g.statistic),
                            g.threshold,
                            o.longest_streak,
                            o.eligible_windows
                        );
                    } else {
                        r.status = Status::Fail;
                        let b = fired[0];
                        r.message = format!(
                            "{}: above {} for {} consecutive windows from {} to {} (peak {:.4}){}: FAIL",
                            description(&g.statistic),
                            g.threshold,
                            b.windows,
                            b.start,
                            b.end,
                            b.peak,
                            if b.shared_with_v1 { "; V1 breached in the same windows, so the cause may be upstream" } else { "" }
                        );
                    }
                }
                _ => {
                    r.message = format!(
                        "no {}-minute window had at least {} V2 requests, so the rule cannot be evaluated",
                        w.width_minutes, w.min_requests
                    );
                }
            }
        } else if g.statistic == "segment.v2.failure_rate" {
            let min = g.min_requests.unwrap_or(100);
            let eligible: Vec<_> = m.discrepancy.by_segment.iter().filter(|s| s.pairs >= min).collect();
            if !has_segments || mode == Mode::Canary {
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
                    match judge(iv, g.threshold) {
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
                    r.test =
                        format!("per-segment rate intervals, Bonferroni-adjusted over {} segments (confidence {:.4})", eligible.len(), adj);
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
        } else if g.statistic == "throughput.v2_peak_shortfall" {
            let t = &w.throughput;
            let shortfall = 1.0 - t.v2_share_of_v1_peak;
            if mode == Mode::Canary {
                r.message = "canary mode: V2 serves only its share of the traffic, so its peak is not comparable with V1's".into();
            } else if shortfall.is_finite() {
                r.estimate = shortfall;
                r.lower = shortfall;
                r.upper = shortfall;
                r.status = if shortfall <= g.threshold { Status::Pass } else { Status::Fail };
                r.test = "point comparison of peak requests per window".into();
                r.message = format!(
                    "V2 peaked at {:.1} requests/min against V1's {:.1} ({} of V1's peak), allowed shortfall {}: {}",
                    t.v2.peak_per_minute,
                    t.v1.peak_per_minute,
                    pct(t.v2_share_of_v1_peak),
                    pct(g.threshold),
                    verdict_word(r.status)
                );
            } else {
                r.message = "no windows with requests".into();
            }
        } else if g.statistic == "resources.v2.cpu_pct" {
            match host.and_then(|h| h.v2.usage.get("cpu_pct")) {
                Some(u) => {
                    r.estimate = u.mean.estimate;
                    r.lower = u.mean.lower;
                    r.upper = u.mean.upper;
                    r.status = judge(u.mean, g.threshold);
                    r.test = format!("t interval over {} per-window means of host samples", u.windows);
                    r.message = format!(
                        "V2 host CPU utilisation averages {:.1}% ({:.0}% CI {:.1}% to {:.1}%, peak {:.1}%), limit {:.1}%: {}",
                        u.mean.estimate,
                        conf * 100.0,
                        u.mean.lower,
                        u.mean.upper,
                        u.peak,
                        g.threshold,
                        verdict_word(r.status)
                    );
                }
                None if host.is_some() => r.message = "the --resources samples have no V2 cpu_pct values".into(),
                None => r.message = "needs host resource samples: pass --resources PATH".into(),
            }
        } else {
            match interval_statistic(&g.statistic, m, mode) {
                Some(f) => {
                    r.estimate = f.iv.estimate;
                    r.lower = f.iv.lower;
                    r.upper = f.iv.upper;
                    r.status = judge(f.iv, g.threshold);
                    r.test = f.test;
                    r.p_value = f.p;
                    r.message = message(&g.statistic, f.iv, g.threshold, r.status, conf);
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
        out.push(r);
    }
    out
}

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

/// NO_GO if any blocking or rollback gate (or, with `strict`, warning) fails; else INCONCLUSIVE if a
/// data-quality check fails or a blocking/rollback gate is inconclusive; else GO.
pub fn decide(gates: &[GateResult], strict: bool) -> Decision {
    let blocks = |g: &GateResult| matches!(g.severity, "blocking" | "rollback") || (strict && g.severity == "warning");
    if gates.iter().any(|g| g.status == Status::Fail && blocks(g)) {
        Decision::NoGo
    } else if gates
        .iter()
        .any(|g| (g.severity == "data_quality" && g.status == Status::Fail) || (blocks(g) && g.status == Status::Inconclusive))
    {
        Decision::Inconclusive
    } else {
        Decision::Go
    }
}

/// What to do next, given the decision and the current stage.
pub fn recommend(decision: Decision, gates: &[GateResult], stage: &str, strict: bool) -> Recommendation {
    let idx = STAGES.iter().position(|s| *s == stage).unwrap_or(0);
    let next = STAGES.get(idx + 1).map(|s| s.to_string());
    let rollback_failed: Vec<&GateResult> =
        gates.iter().filter(|g| g.status == Status::Fail && g.severity == Severity::Rollback.as_str()).collect();
    let failing: Vec<String> = gates
        .iter()
        .filter(|g| g.status == Status::Fail && (g.severity != "warning" || strict))
        .map(|g| format!("{}: {}", g.id, g.message))
        .collect();
    let open: Vec<String> = gates
        .iter()
        .filter(|g| g.status == Status::Inconclusive && g.severity != "warning" || g.severity == "data_quality" && g.status == Status::Fail)
        .map(|g| format!("{}: {}", g.id, g.message))
        .collect();
    match decision {
        Decision::Go => Recommendation {
            action: "promote",
            stage: stage.into(),
            next_stage: next.clone(),
            summary: match &next {
                Some(n) => format!("Promote V2 from {stage} to {n}."),
                None => "V2 is at full rollout and healthy: keep it; V1 can be decommissioned.".into(),
            },
            reasons: vec!["every blocking and rollback gate passed with its whole confidence interval on the good side".into()],
            runbook: None,
        },
        Decision::NoGo if !rollback_failed.is_empty() && stage != "shadow" => Recommendation {
            action: "rollback",
            stage: stage.into(),
            next_stage: None,
            summary: format!("Roll back V2 at {stage}: a rollback trigger fired."),
            reasons: failing,
            runbook: Some(
                "Set VALIDATION_ORCHESTRATOR_V2=false to route all traffic to V1, then confirm V1's error rate and latency recover.".into(),
            ),
        },
        Decision::NoGo => Recommendation {
            action: "hold",
            stage: stage.into(),
            next_stage: None,
            summary: if stage == "shadow" {
                "Do not promote: V2 regressed in shadow mode; fix it and re-run shadow analysis.".into()
            } else {
                format!("Hold V2 at {stage} and fix the failing gates before promoting.")
            },
            reasons: failing,
            runbook: None,
        },
        Decision::Inconclusive => Recommendation {
            action: "hold",
            stage: stage.into(),
            next_stage: None,
            summary: format!("Hold at {stage}: the evidence is not yet strong enough either way."),
            reasons: open,
            runbook: None,
        },
    }
}
