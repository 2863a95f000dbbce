//! Gates -> decision and recommendation (DESIGN.md section 4).
//!
//! Every gate compares a statistic's confidence interval with its threshold ("at most"):
//! `pass` when the whole interval is at or below it, `fail` when the whole interval is above it,
//! `inconclusive` when it straddles. Ratio gates against V1 are therefore non-inferiority tests on
//! the upper bound. Data-quality checks make the decision INCONCLUSIVE, never GO.
//!
//! Each gate family is one file that turns metrics into [`GateResult`]s; the decision rule
//! ([`decide`]: worst wins, INCONCLUSIVE on straddling intervals) is here, in one place.

mod availability;
mod host;
mod interval;
mod quality;
mod rollback;
mod segment;
mod shift;
mod sustained;
mod throughput;

pub use quality::{data_quality, QualityInputs};

use crate::metrics::{Metrics, WindowMetrics};
use crate::policy::{Gate, Mode, Policy, Severity, STATISTICS};
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

/// What the gate families read.
pub struct Context<'a> {
    pub policy: &'a Policy,
    pub metrics: &'a Metrics,
    pub windows: &'a WindowMetrics,
    pub mode: Mode,
    /// Results were broken down by at least one segment column.
    pub has_segments: bool,
    /// Host samples (`--resources`).
    pub host: Option<&'a crate::metrics::host::HostResources>,
    /// The rollback drill, when the run has a flip time.
    pub rollback: Option<&'a crate::metrics::rollback::RollbackDrill>,
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

/// Evaluates every enabled gate of the policy, in the policy's order (default gates first), each
/// by the family its statistic belongs to.
pub fn evaluate_gates(cx: &Context<'_>) -> Vec<GateResult> {
    let policy = cx.policy;
    let conf = policy.analysis.confidence;
    let defaults = crate::policy::default_gates();
    let order: Vec<&String> = defaults
        .iter()
        .filter_map(|(id, _, _)| policy.gates.get_key_value(*id).map(|(k, _)| k))
        .chain(policy.gates.keys().filter(|k| !defaults.iter().any(|(d, _, _)| d == k)))
        .collect();
    let mut out = Vec::new();
    for id in order {
        let g = &policy.gates[id];
        if !g.enabled {
            continue;
        }
        let mut r = base(id, g, conf);
        match g.statistic.as_str() {
            s if s.starts_with("window.") => sustained::judge(id, g, cx, &mut r),
            "segment.v2.failure_rate" => segment::judge(g, cx, &mut r),
            "throughput.v2_peak_shortfall" => throughput::judge(g, cx, &mut r),
            "resources.v2.cpu_pct" => host::judge(g, cx, &mut r),
            "shift.latency" => shift::judge(g, cx, &mut r),
            "availability.v2.window" => availability::judge(g, cx, &mut r),
            "rollback.drain_seconds" => rollback::judge(g, cx, &mut r),
            _ => interval::judge(g, cx, &mut r),
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

#[cfg(test)]
mod tests;
