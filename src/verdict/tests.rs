//! The decision rule, the interval judgement at its boundaries, the recommendation and the
//! numbers in gate messages, tested directly (no files, no CLI): fast enough to run for every
//! mutant of this module (scripts/mutants.sh verdict).

use super::*;
use crate::stats::Interval;

fn gate(id: &str, severity: &'static str, status: Status) -> GateResult {
    GateResult {
        id: id.into(),
        severity,
        statistic: "x".into(),
        unit: "",
        status,
        estimate: f64::NAN,
        lower: f64::NAN,
        upper: f64::NAN,
        comparison: "at_most",
        threshold: 1.0,
        confidence: 0.95,
        test: String::new(),
        p_value: f64::NAN,
        message: format!("{id} says so"),
    }
}

#[test]
fn an_interval_passes_only_wholly_at_or_below_and_fails_only_wholly_above() {
    let iv = |lo: f64, hi: f64| Interval::new((lo + hi) / 2.0, lo, hi);
    assert_eq!(judge(iv(0.5, 0.9), 1.0), Status::Pass);
    // Touching the threshold from below is still at most the threshold.
    assert_eq!(judge(iv(0.5, 1.0), 1.0), Status::Pass);
    assert_eq!(judge(iv(0.5, 1.0 + 1e-12), 1.0), Status::Inconclusive);
    // A lower bound equal to the threshold is not above it.
    assert_eq!(judge(iv(1.0, 1.5), 1.0), Status::Inconclusive);
    assert_eq!(judge(iv(1.0 + 1e-12, 1.5), 1.0), Status::Fail);
    assert_eq!(judge(iv(0.9, 1.1), 1.0), Status::Inconclusive);
    assert_eq!(judge(iv(1.0, 1.0), 1.0), Status::Pass);
    assert_eq!(judge(iv(f64::NAN, 0.5), 1.0), Status::Inconclusive);
    assert_eq!(judge(iv(0.1, f64::NAN), 1.0), Status::Inconclusive);
    assert_eq!(judge(iv(2.0, f64::INFINITY), 1.0), Status::Fail);
    assert_eq!(judge(iv(f64::NEG_INFINITY, 0.5), 1.0), Status::Pass);
}

#[test]
fn the_worst_blocking_status_decides() {
    use Status::*;
    let d = |gs: &[(&'static str, Status)], strict: bool| {
        let gates: Vec<GateResult> = gs.iter().enumerate().map(|(i, (sev, st))| gate(&format!("g{i}"), sev, *st)).collect();
        decide(&gates, strict)
    };
    assert_eq!(d(&[], false), Decision::Go);
    assert_eq!(d(&[("blocking", Pass), ("rollback", Pass), ("warning", Pass)], false), Decision::Go);
    for sev in ["blocking", "rollback"] {
        assert_eq!(d(&[(sev, Fail)], false), Decision::NoGo, "{sev}");
        assert_eq!(d(&[(sev, Inconclusive)], false), Decision::Inconclusive, "{sev}");
        assert_eq!(d(&[(sev, Skipped)], false), Decision::Go, "{sev}");
        // A fail outranks an inconclusive wherever they are.
        assert_eq!(d(&[(sev, Inconclusive), ("blocking", Fail)], false), Decision::NoGo);
        assert_eq!(d(&[("blocking", Fail), (sev, Inconclusive)], false), Decision::NoGo);
    }
    // Warnings count only with --strict.
    assert_eq!(d(&[("warning", Fail)], false), Decision::Go);
    assert_eq!(d(&[("warning", Fail)], true), Decision::NoGo);
    assert_eq!(d(&[("warning", Inconclusive)], false), Decision::Go);
    assert_eq!(d(&[("warning", Inconclusive)], true), Decision::Inconclusive);
    // Data quality: a failed check is never GO, but never NO_GO either.
    assert_eq!(d(&[("data_quality", Fail)], false), Decision::Inconclusive);
    assert_eq!(d(&[("data_quality", Fail)], true), Decision::Inconclusive);
    assert_eq!(d(&[("data_quality", Inconclusive)], false), Decision::Go);
    assert_eq!(d(&[("data_quality", Fail), ("blocking", Fail)], false), Decision::NoGo);
    assert_eq!(d(&[("data_quality", Pass), ("blocking", Pass)], false), Decision::Go);
}

#[test]
fn exit_codes_and_names_are_the_documented_ones() {
    assert_eq!((Decision::Go.exit_code(), Decision::NoGo.exit_code(), Decision::Inconclusive.exit_code()), (0, 1, 3));
    assert_eq!((Decision::Go.as_str(), Decision::NoGo.as_str(), Decision::Inconclusive.as_str()), ("GO", "NO_GO", "INCONCLUSIVE"));
}

#[test]
fn go_promotes_to_the_next_stage_and_full_keeps_v2() {
    for (k, stage) in STAGES.iter().enumerate() {
        let r = recommend(Decision::Go, &[gate("a", "blocking", Status::Pass)], stage, false);
        assert_eq!(r.action, "promote");
        assert_eq!(r.stage, *stage);
        assert_eq!(r.next_stage.as_deref(), STAGES.get(k + 1).copied(), "{stage}");
        assert!(r.runbook.is_none());
        if *stage == "full" {
            assert!(r.summary.contains("full rollout"), "{}", r.summary);
        } else {
            assert!(r.summary.contains(STAGES[k + 1]), "{}", r.summary);
        }
    }
    // An unknown stage is taken as the first.
    assert_eq!(recommend(Decision::Go, &[], "nowhere", false).next_stage.as_deref(), Some("canary-1"));
}

#[test]
fn a_fired_rollback_trigger_rolls_back_except_in_shadow_mode() {
    let gates = [gate("trigger", "rollback", Status::Fail), gate("p95", "blocking", Status::Fail), gate("w", "warning", Status::Fail)];
    let r = recommend(Decision::NoGo, &gates, "progressive-25", false);
    assert_eq!(r.action, "rollback");
    assert!(r.next_stage.is_none());
    assert!(r.runbook.as_deref().is_some_and(|s| s.contains("VALIDATION_ORCHESTRATOR_V2=false")));
    // The reasons are the failing gates that block: the warning only with --strict.
    assert_eq!(r.reasons, vec!["trigger: trigger says so".to_string(), "p95: p95 says so".to_string()]);
    let strict = recommend(Decision::NoGo, &gates, "progressive-25", true);
    assert_eq!(strict.reasons.len(), 3);
    // Shadow mode serves no V2 traffic: nothing to roll back, hold and fix.
    let shadow = recommend(Decision::NoGo, &gates, "shadow", false);
    assert_eq!(shadow.action, "hold");
    assert!(shadow.runbook.is_none());
    assert!(shadow.summary.contains("shadow mode"), "{}", shadow.summary);
    // A blocking fail without a rollback trigger holds.
    let hold = recommend(Decision::NoGo, &[gate("p95", "blocking", Status::Fail), gate("r", "rollback", Status::Pass)], "canary-1", false);
    assert_eq!(hold.action, "hold");
    assert!(hold.summary.contains("canary-1"), "{}", hold.summary);
    assert_eq!(hold.reasons, vec!["p95: p95 says so".to_string()]);
}

#[test]
fn inconclusive_holds_and_lists_the_open_questions() {
    let gates = [
        gate("open", "blocking", Status::Inconclusive),
        gate("fine", "blocking", Status::Pass),
        gate("soft", "warning", Status::Inconclusive),
        gate("quality", "data_quality", Status::Fail),
        gate("quality_ok", "data_quality", Status::Pass),
    ];
    let r = recommend(Decision::Inconclusive, &gates, "canary-1", false);
    assert_eq!(r.action, "hold");
    assert!(r.next_stage.is_none());
    assert_eq!(r.reasons, vec!["open: open says so".to_string(), "quality: quality says so".to_string()]);
}

#[test]
fn message_numbers_keep_their_precision_and_sign() {
    assert_eq!(pct(0.123), "12.3%");
    assert_eq!(pct(0.1), "10.0%");
    assert_eq!(pct(0.0999), "9.99%");
    assert_eq!(pct(0.0057), "0.57%");
    assert_eq!(pct(0.001), "0.10%");
    assert_eq!(pct(0.00034), "0.034%");
    assert_eq!(pct(-0.25), "-25.0%");
    assert_eq!(pct(-0.005), "-0.50%");
    assert_eq!(pct(f64::INFINITY), "unbounded");
    assert_eq!(pct(f64::NAN), "unbounded");
    assert_eq!(signed_pct(0.05), "+5.00%");
    assert_eq!(signed_pct(0.0), "+0.000%");
    assert_eq!(signed_pct(-0.05), "-5.00%");
    assert_eq!(signed_pct(f64::NEG_INFINITY), "unbounded");
    assert_eq!(ms(250.4), "250 ms");
    assert_eq!(ms(100.0), "100 ms");
    assert_eq!(ms(99.94), "99.9 ms");
    assert_eq!(ms(f64::NAN), "unbounded");
    assert_eq!(p_fmt(0.0123), "0.012");
    assert_eq!(p_fmt(0.001), "0.001");
    assert_eq!(p_fmt(0.000999), "9.99e-4");
    assert_eq!(p_fmt(f64::NAN), "n/a");
    assert_eq!(pp(0.0123), "+1.23");
    assert_eq!(pp(-0.004), "-0.40");
    assert_eq!(pp(f64::INFINITY), "unbounded");
    assert_eq!(verdict_word(Status::Pass), "pass");
    assert_eq!(verdict_word(Status::Fail), "FAIL");
    assert!(verdict_word(Status::Inconclusive).starts_with("inconclusive"));
    assert_eq!(verdict_word(Status::Skipped), "skipped");
}

#[test]
fn statistics_have_their_units_and_descriptions() {
    for (name, unit, desc) in STATISTICS.iter() {
        assert_eq!(unit_of(name), *unit);
        assert_eq!(description(name), *desc);
    }
    assert!(STATISTICS.iter().any(|s| !s.1.is_empty()) && STATISTICS.iter().any(|s| !s.2.is_empty()));
    assert_eq!(unit_of("no.such.statistic"), "");
    assert_eq!(description("no.such.statistic"), "");
}

/// A small in-process run (3000 pairs, seed 3) with one default gate disabled, a disabled one
/// enabled and a gate of the policy's own; made once for the tests that need real metrics.
fn small_run() -> &'static crate::analyze::Verdict {
    use crate::generate::{generate, to_ingested, GenerateArgs};
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        g: GenerateArgs,
    }
    static RUN: std::sync::OnceLock<crate::analyze::Verdict> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let g = Cli::parse_from(["generate", "--out", "/unused", "--pairs", "3000", "--seed", "3"]).g;
        let (r1, r2) = generate(&g).expect("generate");
        let mut policy = crate::policy::Policy::default();
        policy.analysis.seed = 3;
        let gates = &mut policy.gates;
        gates.get_mut("latency.p95.warning").expect("a default gate").enabled = false;
        gates.get_mut("throughput.v2_peak").expect("a default gate").enabled = true;
        // Sorts before every default id: it must still come after them.
        let mut custom = gates["latency.p95"].clone();
        custom.statistic = "v2.latency.p50".into();
        gates.insert("aaa.custom".into(), custom);
        crate::analyze::run_ingested(to_ingested(&r1, &[]), to_ingested(&r2, &[]), &policy, "shadow", false, None, None)
            .expect("analysis")
            .verdict
    })
}

/// evaluate_gates on a real run: every enabled gate in the policy's order (the default gates in
/// their order, then the policy's own), none that is disabled, and each judged by its own family
/// (a statistic sent to the interval family would say "no data").
#[test]
fn every_enabled_gate_is_judged_in_policy_order_by_its_family() {
    let v = small_run();
    let policy = &v.policy;
    let judged: Vec<&GateResult> = v.gates.iter().filter(|g| g.severity != "data_quality").collect();
    let mut want: Vec<&str> = crate::policy::default_gates().iter().map(|(id, _, _)| *id).filter(|id| policy.gates[*id].enabled).collect();
    want.push("aaa.custom");
    assert_eq!(judged.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(), want);
    assert!(!want.contains(&"latency.p95.warning") && want.contains(&"throughput.v2_peak") && want.len() > 10);
    for g in &judged {
        assert_ne!(g.message, "no data for this statistic", "{} went to the wrong family", g.id);
        assert_eq!(g.statistic, policy.gates[&g.id].statistic);
    }
    let by_id = |id: &str| judged.iter().find(|g| g.id == id).expect("judged");
    assert!(by_id("errors.sustained").test.starts_with("sustained:"));
    assert!(by_id("latency.shift").test.starts_with("shift function"));
    assert!(by_id("throughput.v2_peak").test.starts_with("point comparison"));
    assert_eq!(by_id("aaa.custom").status, Status::Pass);
    assert!(by_id("aaa.custom").estimate.is_finite());
}

/// Judges gate `id` of the small run's policy with a changed threshold, windows and rollback.
fn judge_with(
    id: &str,
    threshold: f64,
    mode: Mode,
    windows: &WindowMetrics,
    rollback: Option<&crate::metrics::rollback::RollbackDrill>,
    f: fn(&Gate, &Context<'_>, &mut GateResult),
) -> GateResult {
    let v = small_run();
    let mut g = v.policy.gates[id].clone();
    g.threshold = threshold;
    let cx = Context { policy: &v.policy, metrics: &v.metrics, windows, mode, has_segments: false, host: None, rollback };
    let mut r = base(id, &g, 0.95);
    f(&g, &cx, &mut r);
    r
}

#[test]
fn the_rollback_drill_passes_at_exactly_its_limit_and_needs_the_drain_seen() {
    let v = small_run();
    let drill = |drain: f64, drained: bool| crate::metrics::rollback::RollbackDrill {
        flip: "2026-11-27T00:30:00Z".into(),
        flip_ms: 0,
        source: "--rollback-at".into(),
        v2_requests_after_flip: 3,
        last_v2_request: Some("2026-11-27T00:31:59Z".into()),
        drain_seconds: drain,
        logs_end: "2026-11-27T01:00:00Z".into(),
        observed_seconds: 1800.0,
        drained,
        per_second: Vec::new(),
    };
    let judge = |drain: f64, drained: bool| {
        let d = drill(drain, drained);
        judge_with("rollback.drill", 120.0, Mode::Shadow, &v.windows, Some(&d), rollback::judge)
    };
    let at_limit = judge(120.0, true);
    assert_eq!(at_limit.status, Status::Pass);
    assert_eq!((at_limit.estimate, at_limit.lower, at_limit.upper, at_limit.unit), (120.0, 120.0, 120.0, "s"));
    assert!(at_limit.message.contains("drained in 120 s, limit 120 s: pass"), "{}", at_limit.message);
    assert_eq!(judge(120.5, true).status, Status::Fail);
    assert_eq!(judge(40.0, false).status, Status::Inconclusive);
    assert!(judge(40.0, false).message.contains("do not show V2 drained"));
    // Past the limit it fails whether or not the drain was seen.
    assert_eq!(judge(150.0, false).status, Status::Fail);
    let none = judge_with("rollback.drill", 120.0, Mode::Shadow, &v.windows, None, rollback::judge);
    assert_eq!(none.status, Status::Skipped);
    assert!(none.message.starts_with("no rollback in this run"));
}

#[test]
fn throughput_passes_at_exactly_the_allowed_shortfall_and_only_in_shadow_mode() {
    let v = small_run();
    let with_share = |share: f64| {
        let mut w = v.windows.clone();
        w.throughput.v2_share_of_v1_peak = share;
        w
    };
    let judge = |share: f64, mode: Mode| judge_with("throughput.v2_peak", 0.25, mode, &with_share(share), None, throughput::judge);
    let exact = judge(0.75, Mode::Shadow);
    assert_eq!(exact.status, Status::Pass);
    assert_eq!(exact.estimate, 0.25);
    assert_eq!(judge(0.7499, Mode::Shadow).status, Status::Fail);
    assert_eq!(judge(1.2, Mode::Shadow).status, Status::Pass);
    assert!(judge(0.5, Mode::Shadow).message.contains("50.0% of V1's peak"), "{}", judge(0.5, Mode::Shadow).message);
    let canary = judge(0.01, Mode::Canary);
    assert_eq!(canary.status, Status::Skipped);
    assert!(canary.message.starts_with("canary mode"));
    let empty = judge(f64::NAN, Mode::Shadow);
    assert_eq!(empty.status, Status::Skipped);
    assert_eq!(empty.message, "no windows with requests");
}
