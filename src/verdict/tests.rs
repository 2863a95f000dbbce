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

/// The small run's metrics and windows, to be edited into the case a test needs, and judged by
/// one gate family with the small run's policy.
struct Scene {
    metrics: crate::metrics::Metrics,
    windows: WindowMetrics,
    mode: Mode,
    has_segments: bool,
    host: Option<crate::metrics::host::HostResources>,
    rollback: Option<crate::metrics::rollback::RollbackDrill>,
}

impl Scene {
    fn new() -> Self {
        let v = small_run();
        Scene {
            metrics: v.metrics.clone(),
            windows: v.windows.clone(),
            mode: Mode::Shadow,
            has_segments: false,
            host: None,
            rollback: None,
        }
    }

    fn judge(&self, g: &Gate, f: impl FnOnce(&Gate, &Context<'_>, &mut GateResult)) -> GateResult {
        let v = small_run();
        let cx = Context {
            policy: &v.policy,
            metrics: &self.metrics,
            windows: &self.windows,
            mode: self.mode,
            has_segments: self.has_segments,
            host: self.host.as_ref(),
            rollback: self.rollback.as_ref(),
        };
        let mut r = base("under.test", g, 0.95);
        f(g, &cx, &mut r);
        r
    }
}

fn default_gate(id: &str) -> Gate {
    crate::policy::default_gates().into_iter().find(|(i, _, _)| *i == id).map(|(_, g, _)| g).expect("a default gate")
}

fn iv(estimate: f64, lower: f64, upper: f64) -> Interval {
    Interval::new(estimate, lower, upper)
}

#[test]
fn the_rollback_drill_passes_at_exactly_its_limit_and_needs_the_drain_seen() {
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
    let g = Gate { threshold: 120.0, ..default_gate("rollback.drill") };
    let judge = |drain: f64, drained: bool| {
        let mut s = Scene::new();
        s.rollback = Some(drill(drain, drained));
        s.judge(&g, rollback::judge)
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
    let none = Scene::new().judge(&g, rollback::judge);
    assert_eq!(none.status, Status::Skipped);
    assert!(none.message.starts_with("no rollback in this run"));
}

#[test]
fn throughput_passes_at_exactly_the_allowed_shortfall_and_only_in_shadow_mode() {
    let g = Gate { threshold: 0.25, ..default_gate("throughput.v2_peak") };
    let judge = |share: f64, mode: Mode| {
        let mut s = Scene::new();
        s.windows.throughput.v2_share_of_v1_peak = share;
        s.mode = mode;
        s.judge(&g, throughput::judge)
    };
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

#[test]
fn a_sustained_rule_fails_only_on_a_fired_breach_and_needs_an_eligible_window() {
    use crate::metrics::windows::{Breach, RuleOutcome};
    let g = default_gate("errors.sustained");
    let breach = |windows: u32, fired: bool, shared_with_v1: bool| Breach {
        rule: "errors.sustained".into(),
        statistic: g.statistic.clone(),
        threshold: 0.05,
        start_ms: 0,
        end_ms: 300_000,
        start: "2026-11-27T00:10:00Z".into(),
        end: "2026-11-27T00:15:00Z".into(),
        windows,
        minutes: f64::from(windows),
        peak: 0.2,
        fired,
        shared_with_v1,
    };
    let judge = |eligible_windows: u64, longest_streak: u32, breaches: Vec<Breach>| {
        let mut s = Scene::new();
        s.windows.rules.insert("errors.sustained".into(), RuleOutcome { eligible_windows, longest_streak, breaches });
        s.judge(&g, |g, cx, r| sustained::judge("errors.sustained", g, cx, r))
    };
    // Four windows above the threshold: one short of firing.
    let four = judge(30, 4, vec![breach(4, false, false)]);
    assert_eq!(four.status, Status::Pass);
    assert_eq!(
        (four.estimate, four.lower, four.upper, four.threshold, four.unit, four.comparison),
        (4.0, 4.0, 4.0, 4.0, "windows", "at_most")
    );
    assert!(four.message.ends_with("longest run above 0.05 was 4 window(s) of 30 eligible; fires at 5: pass"), "{}", four.message);
    assert!(four.test.starts_with("sustained: window.v2.error_rate > 0.05 in 5 consecutive 1-minute windows"), "{}", four.test);
    // Five: fired, and the message names the first fired breach.
    let five = judge(30, 5, vec![breach(4, false, false), breach(5, true, true)]);
    assert_eq!(five.status, Status::Fail);
    assert!(
        five.message.ends_with(
            "above 0.05 for 5 consecutive windows from 2026-11-27T00:10:00Z to 2026-11-27T00:15:00Z (peak 0.2000); V1 breached in the same windows, so the cause may be upstream: FAIL"
        ),
        "{}",
        five.message
    );
    assert!(!judge(30, 5, vec![breach(5, true, false)]).message.contains("V1 breached"));
    // One eligible window is enough to judge; none, or no outcome, is not.
    assert_eq!(judge(1, 0, vec![]).status, Status::Pass);
    let none = judge(0, 0, vec![]);
    assert_eq!(none.status, Status::Skipped);
    assert!(none.message.starts_with("no 1-minute window had at least"), "{}", none.message);
    let mut s = Scene::new();
    s.windows.rules.clear();
    assert_eq!(s.judge(&g, |g, cx, r| sustained::judge("errors.sustained", g, cx, r)).status, Status::Skipped);
}

#[test]
fn availability_fails_on_a_minute_below_or_the_run_below_and_passes_only_wholly_at_or_above() {
    use crate::metrics::availability::MinuteBelow;
    let g = default_gate("availability.minute");
    let minute = MinuteBelow {
        start: "2026-11-27T00:07:00Z".into(),
        start_ms: 0,
        requests: 200,
        failures: 9,
        availability: iv(0.955, 0.90, 0.99),
        v1_availability: 1.0,
        v1_below: false,
    };
    let judge = |run: Interval, below: Vec<MinuteBelow>, shared: u64| {
        let mut s = Scene::new();
        let a = s.windows.availability.as_mut().expect("the small run has the availability series");
        a.v2 = run;
        a.below = below;
        a.shared_with_v1 = shared;
        s.judge(&g, availability::judge)
    };
    let pass = judge(iv(0.9995, 0.999, 0.9999), vec![], 0);
    assert_eq!((pass.status, pass.comparison, pass.lower, pass.upper), (Status::Pass, "at_least", 0.999, 0.9999));
    assert!(pass.message.contains("target 99.9%; no minute fell below: pass"), "{}", pass.message);
    // The run's interval straddles the target: open. Its upper bound at the target is not below it.
    assert_eq!(judge(iv(0.9995, 0.998, 0.9999), vec![], 0).status, Status::Inconclusive);
    assert_eq!(judge(iv(0.9985, 0.998, 0.999), vec![], 0).status, Status::Inconclusive);
    assert_eq!(judge(iv(0.9985, 0.998, 0.9989), vec![], 0).status, Status::Fail);
    // One minute below fails the gate even when the whole run is above the target.
    let one = judge(iv(0.9995, 0.999, 0.9999), vec![minute.clone()], 0);
    assert_eq!(one.status, Status::Fail);
    assert!(
        one.message
            .contains("1 minute(s) fell below (first 2026-11-27T00:07:00Z: 95.5% on 200 requests); V1 did not fall below in those minutes"),
        "{}",
        one.message
    );
    assert!(judge(iv(0.9995, 0.999, 0.9999), vec![minute.clone()], 1).message.contains("V1 fell below in the same minutes"));
    assert!(judge(iv(0.9995, 0.999, 0.9999), vec![minute.clone(), minute], 1).message.contains("V1 fell below in 1 of them"));
    let mut s = Scene::new();
    s.windows.availability.as_mut().expect("series").v2_requests = 0;
    let empty = s.judge(&g, availability::judge);
    assert_eq!((empty.status, empty.message.as_str()), (Status::Skipped, "no V2 requests"));
    s.windows.availability = None;
    assert!(s.judge(&g, availability::judge).message.starts_with("no availability series"));
}

#[test]
fn host_cpu_is_judged_on_its_interval_and_says_what_is_missing() {
    use crate::metrics::host::{HostResources, Usage, VersionHost};
    let g = default_gate("cpu.utilization.warning");
    let host = |usage: Option<Usage>| HostResources {
        inputs: Default::default(),
        v1: VersionHost { samples: 0, usage: Default::default() },
        v2: VersionHost { samples: 10, usage: usage.into_iter().map(|u| ("cpu_pct", u)).collect() },
        ratios: Default::default(),
    };
    let mut s = Scene::new();
    s.host = Some(host(Some(Usage { mean: iv(70.0, 60.0, 80.0), peak: 95.0, windows: 12 })));
    let r = s.judge(&g, host::judge);
    assert_eq!((r.status, r.estimate, r.lower, r.upper), (Status::Pass, 70.0, 60.0, 80.0));
    assert_eq!(r.test, "t interval over 12 per-window means of host samples");
    assert_eq!(r.message, "V2 host CPU utilisation averages 70.0% (95% CI 60.0% to 80.0%, peak 95.0%), limit 80.0%: pass");
    s.host = Some(host(None));
    assert_eq!(s.judge(&g, host::judge).message, "the --resources samples have no V2 cpu_pct values");
    s.host = None;
    assert_eq!(s.judge(&g, host::judge).message, "needs host resource samples: pass --resources PATH");
}

#[test]
fn a_segment_fails_on_its_bonferroni_interval_and_the_worst_is_named() {
    use crate::metrics::discrepancy::SegmentRow;
    let g = default_gate("functionality.segment");
    let row = |value: &str, pairs: u64, v2_failures: u64| SegmentRow {
        column: "country".into(),
        value: value.into(),
        pairs,
        comparable: pairs,
        mismatches: 0,
        rate: iv(0.0, 0.0, 0.0),
        p_value: f64::NAN,
        q_value: f64::NAN,
        v2_failures,
        failure_rate: iv(0.0, 0.0, 0.0),
        examples: Vec::new(),
    };
    let judge = |rows: Vec<SegmentRow>, has_segments: bool, mode: Mode| {
        let mut s = Scene::new();
        s.metrics.discrepancy.by_segment = rows;
        s.has_segments = has_segments;
        s.mode = mode;
        s.judge(&g, segment::judge)
    };
    // Two eligible segments (one exactly at min_requests), one too small to judge.
    let rows = || vec![row("DE", 100, 10), row("FR", 400, 20), row("LU", 99, 99)];
    let pass = judge(rows(), true, Mode::Shadow);
    assert_eq!(pass.status, Status::Pass);
    assert_eq!(pass.test, "per-segment rate intervals, Bonferroni-adjusted over 2 segments (confidence 0.9750)");
    let (want, _) = crate::stats::proportion::rate_interval(10, 100, 0.975);
    assert_eq!((pass.estimate, pass.lower, pass.upper), (want.estimate, want.lower, want.upper));
    assert!(pass.message.starts_with("worst segment country=DE: V2 failed or disagreed on 10 of 100 requests (10.0%"), "{}", pass.message);
    // A segment wholly above the critical level fails; one that straddles it is open.
    let fail = judge(vec![row("DE", 100, 90), row("FR", 400, 20), row("NL", 100, 50)], true, Mode::Shadow);
    assert_eq!(fail.status, Status::Fail);
    assert!(fail.message.ends_with("critical level 50.0%: FAIL: critical validation functionality failure"), "{}", fail.message);
    let open = judge(vec![row("DE", 100, 10), row("NL", 100, 50)], true, Mode::Shadow);
    assert_eq!(open.status, Status::Inconclusive);
    assert!(open.message.starts_with("worst segment country=NL"), "{}", open.message);
    // Of two equally bad segments the first is named.
    assert!(judge(vec![row("DE", 100, 10), row("AT", 100, 10)], true, Mode::Shadow).message.starts_with("worst segment country=DE"));
    let small = judge(vec![row("LU", 99, 99)], true, Mode::Shadow);
    assert_eq!((small.status, small.message.as_str()), (Status::Skipped, "no segment has at least 100 requests"));
    for (has_segments, mode) in [(false, Mode::Shadow), (true, Mode::Canary)] {
        let r = judge(rows(), has_segments, mode);
        assert_eq!(r.status, Status::Skipped);
        assert!(r.message.starts_with("needs --segment-by"), "{}", r.message);
    }
}

/// Eleven shift-function points at the small run's quantiles, each V2/V1 = 1.00 (band 0.98 to
/// 1.02, distribution-free 0.95 to 1.05), with `edit` applied to the named ones.
fn shift_points(edit: &[(f64, Interval, Interval)]) -> Vec<crate::stats::shift::ShiftPoint> {
    crate::stats::shift::SHIFT_QUANTILES
        .iter()
        .map(|&q| {
            let (ratio, free) = edit.iter().find(|e| e.0 == q).map_or((iv(1.0, 0.98, 1.02), iv(1.0, 0.95, 1.05)), |e| (e.1, e.2));
            crate::stats::shift::ShiftPoint {
                q,
                v1_ms: 100.0,
                v2_ms: 100.0 * ratio.estimate,
                diff_ms: iv(100.0 * (ratio.estimate - 1.0), 100.0 * (ratio.lower - 1.0), 100.0 * (ratio.upper - 1.0)),
                ratio,
                ratio_distribution_free: free,
            }
        })
        .collect()
}

fn judge_shift(edit: &[(f64, Interval, Interval)]) -> GateResult {
    let mut s = Scene::new();
    s.metrics.latency_ms.shift.points = shift_points(edit);
    s.judge(&default_gate("latency.shift"), shift::judge)
}

#[test]
fn the_shift_gate_fails_on_a_confirmed_band_above_its_margin_at_any_point() {
    // All deciles equally close to the margin: the last is named.
    let pass = judge_shift(&[]);
    assert_eq!(pass.status, Status::Pass);
    assert!(
        pass.test.starts_with("shift function: harrell-davis quantiles at p10..p90, p95, p99; bootstrap-paired covariance (200 resamples)"),
        "{}",
        pass.test
    );
    assert!(pass.message.starts_with("V2/V1 latency within the margin at every decile, and not above it at p95 or p99 (closest decile: p90 +0.000% (band -2.00% to +2.00%, +0.0 ms; margin there +5.00%)): pass"), "{}", pass.message);
    // p50 above its margin of +5%, confirmed: fail. At exactly the margin, neither bound counts.
    let slow_middle = judge_shift(&[(0.5, iv(1.10, 1.07, 1.13), iv(1.10, 1.06, 1.15))]);
    assert_eq!((slow_middle.status, slow_middle.threshold, slow_middle.lower), (Status::Fail, 1.05, 1.07));
    assert_eq!(
        slow_middle.message,
        "V2 is slower than V1 beyond the margin at p50 (most at p50 +10.0% (band +7.00% to +13.0%, +10.0 ms; margin there +5.00%)): FAIL"
    );
    assert_eq!(judge_shift(&[(0.5, iv(1.10, 1.05, 1.13), iv(1.10, 1.06, 1.15))]).status, Status::Inconclusive);
    assert_eq!(judge_shift(&[(0.5, iv(1.10, 1.07, 1.13), iv(1.10, 1.05, 1.15))]).status, Status::Inconclusive);
    assert_eq!(judge_shift(&[(0.5, iv(1.04, 1.0, 1.05), iv(1.0, 0.95, 1.05))]).status, Status::Pass);
    // p99 has the tail margin (+10%): +8% there passes, +12% confirmed fails.
    assert_eq!(judge_shift(&[(0.99, iv(1.08, 1.06, 1.09), iv(1.08, 1.06, 1.2))]).status, Status::Pass);
    let tail = judge_shift(&[(0.99, iv(1.15, 1.12, 1.18), iv(1.15, 1.11, 1.2))]);
    assert_eq!((tail.status, tail.threshold), (Status::Fail, 1.10));
    assert!(tail.message.contains("beyond the margin at p99 (most at p99"), "{}", tail.message);
}

#[test]
fn only_a_straddling_decile_leaves_the_shift_gate_open() {
    // p95 and p99 straddling their margins are the percentile gates' business, not this one's.
    let tails = judge_shift(&[(0.95, iv(1.02, 0.99, 1.08), iv(1.02, 0.9, 1.1)), (0.99, iv(1.02, 0.95, 1.15), iv(1.02, 0.9, 1.2))]);
    assert_eq!(tails.status, Status::Pass);
    let p90 = judge_shift(&[(0.9, iv(1.03, 0.99, 1.08), iv(1.03, 0.97, 1.09))]);
    assert_eq!(p90.status, Status::Inconclusive);
    assert!(
        p90.message.starts_with("V2/V1 latency: the band reaches above the margin at p90 (closest: p90 +3.00% (band -1.00% to +8.00%"),
        "{}",
        p90.message
    );
    assert!(!p90.message.contains("distribution-free"), "{}", p90.message);
    // A band above the margin that the distribution-free interval does not confirm: open at a
    // decile, and named as such; at p99 it neither fails nor holds the gate.
    let gap = judge_shift(&[(0.8, iv(1.10, 1.07, 1.13), iv(1.10, 1.0, 1.2))]);
    assert_eq!(gap.status, Status::Inconclusive);
    assert!(
        gap.message.contains("; at p80 the band lies above it but the distribution-free interval does not confirm it"),
        "{}",
        gap.message
    );
    assert_eq!(judge_shift(&[(0.99, iv(1.2, 1.15, 1.25), iv(1.2, 1.05, 1.3))]).status, Status::Pass);
}

#[test]
fn the_shift_gate_names_the_point_furthest_past_its_own_margin() {
    // Fail: the largest lower bound relative to each point's margin (p50: 1.09 / 1.05 = 1.038,
    // p99: 1.12 / 1.10 = 1.018), not the largest lower bound.
    let two = judge_shift(&[(0.5, iv(1.12, 1.09, 1.15), iv(1.12, 1.08, 1.16)), (0.99, iv(1.15, 1.12, 1.18), iv(1.15, 1.11, 1.2))]);
    assert_eq!(two.status, Status::Fail);
    assert!(two.message.contains("beyond the margin at p50, p99 (most at p50 +12.0%"), "{}", two.message);
    // p50 2.12 / 1.05 = 2.02 against p99 1.15 / 1.10 = 1.05 (a remainder would rank them the other way).
    let far = judge_shift(&[(0.5, iv(2.2, 2.12, 2.3), iv(2.2, 2.1, 2.3)), (0.99, iv(1.2, 1.15, 1.25), iv(1.2, 1.14, 1.3))]);
    assert!(far.message.contains("(most at p50"), "{}", far.message);
    // Lower bounds rank a fail, not upper ones: p99 (1.16 / 1.10) over p50 (1.07 / 1.05), though
    // p50's band reaches higher.
    let wide = judge_shift(&[(0.5, iv(1.15, 1.07, 1.30), iv(1.15, 1.06, 1.31)), (0.99, iv(1.18, 1.16, 1.20), iv(1.18, 1.15, 1.21))]);
    assert!(wide.message.contains("(most at p99"), "{}", wide.message);
    // Otherwise the decile whose upper bound comes closest to its margin; p99 is not named.
    // (p30's lower bound is the highest, p70's upper bound.)
    let close = judge_shift(&[
        (0.3, iv(1.0, 0.995, 1.03), iv(1.0, 0.95, 1.05)),
        (0.7, iv(1.01, 0.99, 1.04), iv(1.0, 0.95, 1.05)),
        (0.99, iv(1.05, 1.0, 1.09), iv(1.0, 0.95, 1.1)),
    ]);
    assert_eq!(close.status, Status::Pass);
    assert!(
        close.message.contains("(closest decile: p70 +1.00% (band -1.00% to +4.00%, +1.0 ms; margin there +5.00%))"),
        "{}",
        close.message
    );
    assert_eq!((close.estimate, close.lower, close.upper, close.threshold), (1.01, 0.99, 1.04, 1.05));
    // A point whose band is not finite on both sides is left out; all left out skips the gate.
    assert_eq!(judge_shift(&[(0.5, iv(1.3, 1.2, f64::INFINITY), iv(1.3, 1.2, f64::INFINITY))]).status, Status::Pass);
    let nan = iv(f64::NAN, f64::NAN, f64::NAN);
    let all: Vec<_> = crate::stats::shift::SHIFT_QUANTILES.iter().map(|&q| (q, nan, nan)).collect();
    let none = judge_shift(&all);
    assert_eq!((none.status, none.message.as_str()), (Status::Skipped, "the shift function needs at least 20 requests per version"));
}

fn judge_interval(statistic: &str, threshold: f64, edit: impl FnOnce(&mut Scene)) -> GateResult {
    let mut s = Scene::new();
    edit(&mut s);
    let g = Gate { statistic: statistic.into(), threshold, ..default_gate("latency.p95") };
    s.judge(&g, interval::judge)
}

fn ratio(interval: Interval) -> crate::stats::resample::RatioInterval {
    crate::stats::resample::RatioInterval { interval, method: "bootstrap-percentile", resamples: 2000 }
}

#[test]
fn interval_gates_read_their_statistic_and_say_it_in_its_unit() {
    let p95 = judge_interval("v2.latency.p95", 5000.0, |s| s.metrics.latency_ms.v2.p95 = iv(4000.0, 3900.0, 5000.0));
    assert_eq!((p95.status, p95.estimate, p95.lower, p95.upper), (Status::Pass, 4000.0, 3900.0, 5000.0));
    assert_eq!(p95.test, "order-statistic-interval");
    assert_eq!(p95.message, "V2 95th percentile latency is 4000 ms (95% CI 3900 ms to 5000 ms), limit 5000 ms: pass");
    assert_eq!(judge_interval("v2.latency.mean", 5000.0, |_| ()).test, "normal-mean-interval");
    let rate = judge_interval("v2.error_rate", 0.01, |s| s.metrics.errors.v2.rate = iv(0.004, 0.002, 0.012));
    assert_eq!(rate.status, Status::Inconclusive);
    assert_eq!(rate.test, small_run().metrics.errors.v2.method);
    assert_eq!(
        rate.message,
        "V2 error rate is 0.40% (95% CI 0.20% to 1.20%), limit 1.00%: inconclusive: the interval straddles the threshold"
    );
    let diff = judge_interval("diff.error_rate", 0.005, |s| {
        s.metrics.errors.diff.diff = iv(0.001, -0.002, 0.004);
        s.metrics.errors.diff.p_value = 0.25;
    });
    assert_eq!((diff.status, diff.p_value), (Status::Pass, 0.25));
    assert!(diff.test.ends_with(" (H0: equal rates)") && diff.test.contains(" interval; "), "{}", diff.test);
    assert_eq!(diff.message, "V2 minus V1 error rate is +0.10 percentage points (95% CI -0.20 to +0.40), margin +0.50: pass");
    let with_memory = |r: Interval| {
        move |s: &mut Scene| {
            let m = crate::metrics::resources::ResourceMetric { v1_n: 10, v2_n: 10, v1_mean: 100.0, v2_mean: 103.0, ratio: ratio(r) };
            s.metrics.resources.insert("memory_mb", m);
        }
    };
    let memory = judge_interval("ratio.memory_mb", 1.2, with_memory(iv(1.03, 0.99, 1.08)));
    assert_eq!(memory.status, Status::Pass);
    assert_eq!(memory.test, "ratio of means, bootstrap-percentile");
    assert_eq!(memory.message, "V2/V1 mean memory per request: V2 is 3.00% higher than V1 (95% CI -1.00% to +8.00%), margin +20.0%: pass");
    let lower = judge_interval("ratio.memory_mb", 1.2, with_memory(iv(0.97, 0.85, 1.0)));
    assert!(lower.message.contains("V2 is 3.00% lower than V1 (95% CI -15.0% to +0.000%)"), "{}", lower.message);
    assert!(judge_interval("ratio.memory_mb", 1.2, with_memory(iv(1.0, 0.9, 1.1))).message.contains("V2 is 0.000% higher"));
    let missing = judge_interval("ratio.memory_mb", 1.2, |s| {
        s.metrics.resources.remove("memory_mb");
    });
    assert_eq!((missing.status, missing.message.as_str()), (Status::Skipped, "no `memory_mb` values in one or both versions"));
    let unknown = judge_interval("v2.latency.p42", 1.0, |_| ());
    assert_eq!((unknown.status, unknown.message.as_str()), (Status::Skipped, "no data for this statistic"));
}

#[test]
fn the_discrepancy_gate_needs_results_and_the_same_requests() {
    let judged = judge_interval("discrepancy.rate", 0.001, |s| {
        s.metrics.discrepancy.applicable = true;
        s.metrics.discrepancy.rate = iv(0.0, 0.0, 0.0005);
    });
    assert_eq!((judged.status, judged.test.as_str()), (Status::Pass, small_run().metrics.discrepancy.method));
    let no_result = judge_interval("discrepancy.rate", 0.001, |s| s.metrics.discrepancy.applicable = false);
    assert_eq!(
        (no_result.status, no_result.message.as_str()),
        (Status::Skipped, "no result column in one or both versions ([columns] result)")
    );
    let canary = judge_interval("discrepancy.rate", 0.001, |s| {
        s.metrics.discrepancy.applicable = false;
        s.mode = Mode::Canary;
    });
    assert!(canary.message.starts_with("canary mode: V1 and V2 served different requests"), "{}", canary.message);
}

/// A percentile ratio fails only when each version's distribution-free interval confirms it; the
/// mean and a confidence sequence are not second-guessed.
#[test]
fn a_percentile_ratio_fail_needs_the_distribution_free_intervals_to_agree() {
    let case = |stat: &str, r: Interval, wide: bool, sequential: bool| {
        let q = &stat["ratio.latency.".len()..];
        judge_interval(stat, 1.05, |s| {
            let l = &mut s.metrics.latency_ms;
            l.comparison.ratios.insert(if q == "mean" { "mean" } else { "p95" }, ratio(r));
            // Overlapping intervals (MOVER lower bound below 1.05) or well separated ones.
            let (i1, i2) =
                if wide { (iv(100.0, 95.0, 105.0), iv(110.0, 100.0, 120.0)) } else { (iv(100.0, 99.0, 101.0), iv(120.0, 119.0, 121.0)) };
            if q == "mean" {
                (l.v1.mean, l.v2.mean) = (i1, i2);
            } else {
                (l.v1.p95, l.v2.p95) = (i1, i2);
            }
            if sequential {
                s.metrics.sequential = Some(crate::metrics::sequential::SequentialIntervals {
                    reason: "--sequential".into(),
                    tuned_for: 100_000,
                    earlier_runs: 0,
                    intervals: [("ratio.latency.p95", iv(1.1, 1.06, 1.16))].into_iter().collect(),
                });
            }
        })
    };
    let above = iv(1.10, 1.07, 1.13);
    let unconfirmed = case("ratio.latency.p95", above, true, false);
    assert_eq!(unconfirmed.status, Status::Inconclusive);
    assert!(unconfirmed.test.ends_with("; fail not confirmed by the distribution-free order-statistic intervals"), "{}", unconfirmed.test);
    assert!(unconfirmed.message.contains("reaches down to -1.2%: V1 p95 is 95-105 ms, V2 100-120 ms"), "{}", unconfirmed.message);
    assert_eq!(case("ratio.latency.p95", above, false, false).status, Status::Fail);
    // A pass is never re-examined, and the mean has no order-statistic interval to ask.
    assert_eq!(case("ratio.latency.p95", iv(1.0, 0.97, 1.03), true, false).status, Status::Pass);
    assert_eq!(case("ratio.latency.mean", above, true, false).status, Status::Fail);
    // On a confidence sequence the gate uses the sequence's bounds and keeps its fail.
    let seq = case("ratio.latency.p95", iv(1.10, 1.07, f64::INFINITY), true, true);
    assert_eq!((seq.status, seq.lower, seq.upper), (Status::Fail, 1.06, 1.16));
    assert!(seq.test.starts_with("anytime-valid confidence sequence (beta-binomial mixture, Howard et al. 2021; each version at alpha/2), tuned for 100000 requests, --sequential; the fixed-sample interval was 1.070000 to unbounded ("), "{}", seq.test);
}

#[test]
fn data_quality_checks_hold_at_exactly_their_limits() {
    use crate::pair::Pairing;
    let policy = crate::policy::Policy::default();
    const MINUTE: i64 = 60_000;
    const T0: i64 = 1_764_201_600_000; // 2025-11-27T00:00:00Z
    fn inputs(pairing: &Pairing) -> QualityInputs<'_> {
        QualityInputs {
            pairing,
            v1_n: 1200,
            v2_n: 1000,
            rejected_share: [0.01, 0.002],
            v1_range: (T0, T0 + 100 * MINUTE),
            v2_range: (T0, T0 + 100 * MINUTE),
        }
    }
    let pairing = |pairs: u64, coverage: f64, v2_coverage: f64| Pairing { pairs, coverage, v2_coverage, ..Default::default() };
    let by_id = |r: &[GateResult], id: &str| r.iter().find(|g| g.id == id).cloned().unwrap_or_else(|| panic!("{id}"));
    // Shadow mode: pairs count, coverage both ways at exactly the minimum, no SRM.
    let shadow = data_quality(&policy, &inputs(&pairing(1000, 0.995, 0.99)), Mode::Shadow);
    assert_eq!(
        shadow.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(),
        ["data.min_pairs", "data.coverage", "data.time_overlap", "data.rejected"]
    );
    assert!(shadow.iter().all(|g| g.status == Status::Pass && g.severity == "data_quality"), "{shadow:?}");
    let pairs = by_id(&shadow, "data.min_pairs");
    assert_eq!((pairs.statistic.as_str(), pairs.estimate, pairs.threshold, pairs.comparison), ("pairs", 1000.0, 1000.0, "at_least"));
    assert_eq!(by_id(&shadow, "data.coverage").estimate, 0.99);
    assert_eq!(by_id(&shadow, "data.rejected").estimate, 0.01);
    let short = data_quality(&policy, &inputs(&pairing(999, 0.985, 1.0)), Mode::Shadow);
    assert_eq!(by_id(&short, "data.min_pairs").status, Status::Fail);
    assert!(by_id(&short, "data.min_pairs")
        .message
        .ends_with("too few to decide; collect more traffic (a longer window or a later stage)"));
    assert_eq!(by_id(&short, "data.coverage").status, Status::Fail);
    // Canary mode: the smaller version counts, no coverage, and the traffic split is tested.
    let canary = data_quality(&policy, &inputs(&pairing(0, 0.0, 0.0)), Mode::Canary);
    assert_eq!(
        canary.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(),
        ["data.min_pairs", "data.time_overlap", "data.rejected", "data.srm"]
    );
    let pairs = by_id(&canary, "data.min_pairs");
    assert_eq!((pairs.statistic.as_str(), pairs.estimate, pairs.status), ("min(v1_requests, v2_requests)", 1000.0, Status::Pass));
    // 1200 vs 1000 against 50/50: chi-square (100^2 / 1100) * 2 = 18.18, p = 2.00787e-5 (SciPy's chisquare).
    let srm = by_id(&canary, "data.srm");
    assert_eq!(srm.status, Status::Fail);
    assert!((srm.p_value - 2.007865612426481e-5).abs() < 1e-15 && srm.estimate == srm.p_value, "{}", srm.p_value);
    assert!(
        srm.message.starts_with("V2 served 45.5% of requests, expected 50.0% (chi-square 18.18, p = 2.01e-5): sample-ratio mismatch"),
        "{}",
        srm.message
    );
    assert!(!srm.message.contains("correlation ids occur in both versions"));
    let leak = data_quality(&policy, &inputs(&pairing(1, 0.0, 0.0)), Mode::Canary);
    assert!(by_id(&leak, "data.srm").message.ends_with(
        ". 1 correlation ids occur in both versions: in canary mode each request should be served by one version, so the split leaks"
    ));
    let mut share = policy.clone();
    share.analysis.expected_v2_share = 1000.0 / 2200.0;
    let fits = by_id(&data_quality(&share, &inputs(&pairing(0, 0.0, 0.0)), Mode::Canary), "data.srm");
    assert!(fits.status == Status::Pass && fits.p_value > 0.999, "{}", fits.p_value);
    // Time overlap: V2 starts 10 minutes late and ends 10 late: 90 of 110 minutes.
    let full = pairing(1000, 1.0, 1.0);
    let mut late = inputs(&full);
    late.v2_range = (T0 + 10 * MINUTE, T0 + 110 * MINUTE);
    let overlap = by_id(&data_quality(&policy, &late, Mode::Shadow), "data.time_overlap");
    assert_eq!((overlap.estimate, overlap.status), (90.0 / 110.0, Status::Fail));
    assert!(
        overlap.message.starts_with(
            "V1 spans 2025-11-27T00:00:00Z to 2025-11-27T01:40:00Z, V2 2025-11-27T00:10:00Z to 2025-11-27T01:50:00Z: they overlap on 81.8% of the combined span (minimum 90.0%): one log starts late"
        ),
        "{}",
        overlap.message
    );
    // At exactly the minimum (90%), and within one minute whatever the overlap.
    late.v2_range = (T0 + 10 * MINUTE, T0 + 100 * MINUTE);
    assert_eq!(by_id(&data_quality(&policy, &late, Mode::Shadow), "data.time_overlap").status, Status::Pass);
    late.v1_range = (T0, T0 + 30_000);
    late.v2_range = (T0 + 40_000, T0 + 60_000);
    assert_eq!(by_id(&data_quality(&policy, &late, Mode::Shadow), "data.time_overlap").estimate, 1.0);
    late.rejected_share = [0.002, 0.0101];
    let rejected = by_id(&data_quality(&policy, &late, Mode::Shadow), "data.rejected");
    assert_eq!((rejected.estimate, rejected.status), (0.0101, Status::Fail));
}
