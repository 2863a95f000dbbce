//! Issue 14: the rollout evidence no peer tool gives. The shift function (V2 against V1 at every
//! decile, p95 and p99 with a simultaneous band) and its `latency.shift` gate.

use crate::common::{gate, gen_args, simulate};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};
use rayon::prelude::*;
use shadowgate::policy::Mode;
use shadowgate::stats::shift::shift_function;
use shadowgate::verdict::Status;

/// Simultaneous coverage: with V2 drawn like V1 the band contains 1 at all eleven points at once in
/// about 95% of seeds, paired and unpaired (200 seeds each: a standard error of 1.5 points).
#[test]
fn the_shift_band_covers_all_eleven_points_at_once() {
    for paired in [true, false] {
        let covered = (0..200u64)
            .into_par_iter()
            .filter(|&seed| {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                let base = LogNormal::new(4.8, 0.5).unwrap();
                let noise = LogNormal::new(0.0, 0.15).unwrap();
                let n = 4000;
                let (mut v1, mut v2) = (Vec::with_capacity(n), Vec::with_capacity(n));
                for _ in 0..n {
                    let b1: f64 = base.sample(&mut rng);
                    let b2: f64 = if paired { b1 } else { base.sample(&mut rng) };
                    v1.push(b1 * noise.sample(&mut rng));
                    v2.push(b2 * noise.sample(&mut rng));
                }
                let (s1, s2) = (shadowgate::stats::sorted(&v1), shadowgate::stats::sorted(&v2));
                let sf = shift_function(&v1, &v2, &s1, &s2, paired, 0.95, seed);
                sf.points.iter().all(|p| p.ratio.lower <= 1.0 && 1.0 <= p.ratio.upper)
            })
            .count();
        let c = covered as f64 / 200.0;
        println!("shift band simultaneous coverage, paired={paired}, 4000 requests, 200 seeds: {c:.3}");
        assert!((0.91..=0.985).contains(&c), "paired={paired}: {c}");
    }
}

struct Outcome {
    shift_failed: usize,
    p50_p95_p99_failed: usize,
    runs: usize,
}

fn scenario(seeds: std::ops::Range<u64>, size: &[&str], extra: &[&str], mode: Mode) -> Outcome {
    let r: Vec<(bool, bool)> = seeds
        .into_par_iter()
        .map(|seed| {
            let s = seed.to_string();
            let mut a = vec!["--seed", &s];
            a.extend_from_slice(size);
            a.extend_from_slice(extra);
            let v = simulate(&gen_args(&a), mode);
            let classic =
                ["latency.p95.vs_v1", "latency.p99.vs_v1", "latency.p50.vs_v1"].iter().any(|id| gate(&v, id).status == Status::Fail);
            (gate(&v, "latency.shift").status == Status::Fail, classic)
        })
        .collect();
    Outcome { shift_failed: r.iter().filter(|x| x.0).count(), p50_p95_p99_failed: r.iter().filter(|x| x.1).count(), runs: r.len() }
}

const SIZES: [(&[&str], Mode); 2] =
    [(&["--pairs", "30000"], Mode::Shadow), (&["--pairs", "300000", "--canary-share", "0.1"], Mode::Canary)];

/// A slow mode in the middle: V2 requests between its 60th and 80th latency percentiles 30%
/// slower. p50, p95 and p99 do not move, so their gates cannot see it; the shift function does.
#[test]
fn the_shift_gate_catches_a_slow_middle_that_the_percentile_gates_miss() {
    for (size, mode) in SIZES {
        let o = scenario(0..10, size, &["--middle-shift", "0.6:0.8:1.3"], mode);
        println!(
            "slow middle, {mode:?}: latency.shift failed {}/{}, a p50/p95/p99 gate failed {}",
            o.shift_failed, o.runs, o.p50_p95_p99_failed
        );
        assert_eq!(o.shift_failed, o.runs, "{mode:?}");
        assert_eq!(o.p50_p95_p99_failed, 0, "{mode:?}: the scenario must be invisible to the percentile gates");
    }
}

/// A heavier tail: the slowest 2% twice as slow, median and p95 unchanged.
#[test]
fn the_shift_gate_catches_a_heavier_tail() {
    for (size, mode) in SIZES {
        let o = scenario(0..10, size, &["--tail-share", "0.02", "--tail-shift", "2"], mode);
        println!("heavier tail, {mode:?}: latency.shift failed {}/{}", o.shift_failed, o.runs);
        assert_eq!(o.shift_failed, o.runs, "{mode:?}");
    }
}

/// A/A: V2 like V1. The shift gate never fails, and at these sizes it passes.
#[test]
fn the_shift_gate_passes_a_v2_like_v1() {
    for (size, mode) in SIZES {
        let statuses: Vec<Status> = (100..140u64)
            .into_par_iter()
            .map(|seed| {
                let s = seed.to_string();
                let mut a = vec!["--seed", &s];
                a.extend_from_slice(size);
                gate(&simulate(&gen_args(&a), mode), "latency.shift").status
            })
            .collect();
        let fail = statuses.iter().filter(|s| **s == Status::Fail).count();
        let pass = statuses.iter().filter(|s| **s == Status::Pass).count();
        println!("A/A, {mode:?}: latency.shift pass {pass}/40, fail {fail}");
        assert_eq!(fail, 0, "{mode:?}");
        assert!(pass >= 36, "{mode:?}: only {pass} of 40 A/A runs passed");
    }
}

// ---- availability per minute ----

/// A 3-minute burst of V2 errors (5%) at ~500 requests a minute: those minutes fall below 99.9%
/// and V1 did not; the warning fails and verdict.json lists the minutes.
#[test]
fn minutes_where_v2_fell_below_the_availability_target_are_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let common = ["--pairs", "30000", "--seed", "41", "--v1-error-rate", "0", "--v2-error-rate", "0"];
    let mut a = common.to_vec();
    a.extend_from_slice(&["--v2-error-burst", "20:3:0.05"]);
    let (v1, v2) = crate::common::generate(tmp.path(), "parquet", &a);
    let run = crate::common::analyze(&v1, &v2, &tmp.path().join("out"), &[]);
    let g = run.gate("availability.minute");
    assert_eq!(g["status"], "fail", "{g}");
    assert_eq!(g["severity"], "warning");
    assert_eq!(g["comparison"], "at_least");
    let av = &run.verdict()["windows"]["availability"];
    let below = av["below"].as_array().unwrap();
    assert_eq!(below.len(), 3, "{av}");
    assert_eq!(below[0]["start"], "2026-11-27T00:20:00Z");
    assert!(below.iter().all(|b| b["v1_below"] == false && b["availability"]["upper"].as_f64().unwrap() < 0.999));
    assert_eq!(av["shared_with_v1"], 0);
    assert!(g["message"].as_str().unwrap().contains("3 minute(s) fell below"), "{g}");
    assert!(!run.verdict()["recommendation"]["reasons"].to_string().contains("availability.minute"), "a warning does not block");

    // The same burst in V1 too: the message points upstream.
    let tmp2 = tempfile::tempdir().unwrap();
    a.extend_from_slice(&["--v1-error-burst", "20:3:0.05"]);
    let (v1, v2) = crate::common::generate(tmp2.path(), "parquet", &a);
    let run = crate::common::analyze(&v1, &v2, &tmp2.path().join("out"), &[]);
    assert_eq!(run.verdict()["windows"]["availability"]["shared_with_v1"], 3);
    assert!(run.gate("availability.minute")["message"].as_str().unwrap().contains("cause may be upstream"));
}

/// No errors at all: every minute and the run are at or above 99.9% with confidence.
#[test]
fn a_v2_without_errors_passes_availability() {
    let v = simulate(&gen_args(&["--pairs", "30000", "--seed", "42", "--v1-error-rate", "0", "--v2-error-rate", "0"]), Mode::Shadow);
    let g = gate(&v, "availability.minute");
    assert_eq!(g.status, Status::Pass, "{}", g.message);
    let a = v.windows.availability.as_ref().unwrap();
    assert_eq!(a.eligible_windows, 60);
    assert!(a.below.is_empty());
}

/// Sparse minutes are skipped and counted: at ~8 requests a minute none is judged, and with no
/// error the run as a whole still cannot show 99.9% from 500 requests.
#[test]
fn sparse_minutes_are_skipped_and_counted() {
    let v = simulate(&gen_args(&["--pairs", "500", "--seed", "43", "--v1-error-rate", "0", "--v2-error-rate", "0"]), Mode::Shadow);
    let a = v.windows.availability.as_ref().unwrap();
    assert_eq!(a.eligible_windows, 0);
    assert_eq!(a.sparse_windows, 60);
    assert_eq!(gate(&v, "availability.minute").status, Status::Inconclusive);
}

// ---- the rollback drill ----

fn drill_run(drain: &str, extra_flags: &[&str]) -> (crate::common::Run, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = crate::common::generate(
        tmp.path(),
        "jsonl",
        &[
            "--pairs",
            "40000",
            "--minutes",
            "30",
            "--canary-share",
            "0.2",
            "--seed",
            "44",
            "--rollback-at-minute",
            "20",
            "--drain-seconds",
            drain,
        ],
    );
    let mut flags = vec!["--mode", "canary", "--expected-v2-share", "0.2", "--stage", "progressive-25"];
    flags.extend_from_slice(extra_flags);
    let run = crate::common::analyze(&v1, &v2, &tmp.path().join("out"), &flags);
    (run, tmp)
}

/// The flip at 00:20:00 and V2 drained over 40 s: the drill passes, measured from the logs.
#[test]
fn a_rollback_drained_in_40_seconds_passes_the_drill() {
    let (run, _tmp) = drill_run("40", &["--rollback-at", "2026-11-27T00:20:00Z"]);
    let g = run.gate("rollback.drill");
    assert_eq!(g["status"], "pass", "{g}");
    let s = g["estimate"].as_f64().unwrap();
    assert!((25.0..=40.0).contains(&s), "drain {s} s: {g}");
    let d = &run.verdict()["rollback"];
    assert_eq!(d["flip"], "2026-11-27T00:20:00Z");
    assert_eq!(d["drained"], true);
    assert!(d["v2_requests_after_flip"].as_u64().unwrap() > 0);
}

/// Drained over 150 s: V2 still served after 2 minutes, so the drill fails and blocks.
#[test]
fn a_rollback_drained_in_150_seconds_fails_the_drill() {
    let (run, _tmp) = drill_run("150", &["--rollback-at", "2026-11-27T00:20:00Z"]);
    let g = run.gate("rollback.drill");
    assert_eq!(g["status"], "fail", "{g}");
    assert_eq!(g["severity"], "blocking");
    let s = g["estimate"].as_f64().unwrap();
    assert!((121.0..=150.0).contains(&s), "drain {s} s: {g}");
    assert_eq!(run.code, 1, "{}", run.stdout);
}

/// Without a flip the drill is skipped; a flip that is not a time is a usage error.
#[test]
fn the_drill_needs_a_flip_time() {
    let (run, _tmp) = drill_run("40", &[]);
    assert_eq!(run.gate("rollback.drill")["status"], "skipped");
    assert!(run.verdict().get("rollback").is_none());
    let (run, _tmp) = drill_run("40", &["--rollback-at", "twenty past midnight"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--rollback-at") && run.stderr.contains("RFC 3339"), "{}", run.stderr);
}

/// The flip from a marker row named in the policy: `[rollback] marker_column = "event"`.
#[test]
fn the_flip_can_come_from_a_marker_row() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = crate::common::generate(
        tmp.path(),
        "jsonl",
        &[
            "--pairs",
            "20000",
            "--minutes",
            "30",
            "--canary-share",
            "0.2",
            "--seed",
            "45",
            "--rollback-at-minute",
            "20",
            "--drain-seconds",
            "40",
        ],
    );
    let mut text = std::fs::read_to_string(&v1).unwrap();
    text.push_str("{\"correlation_id\":\"flag-flip\",\"timestamp\":\"2026-11-27T00:20:00Z\",\"latency_ms\":0,\"status\":\"ok\",\"event\":\"rollback\"}\n");
    std::fs::write(&v1, text).unwrap();
    let policy = tmp.path().join("policy.toml");
    std::fs::write(&policy, "[rollback]\nmarker_column = \"event\"\n").unwrap();
    let flags = ["--mode", "canary", "--expected-v2-share", "0.2", "--policy", policy.to_str().unwrap()];
    let run = crate::common::analyze(&v1, &v2, &tmp.path().join("out"), &flags);
    let d = &run.verdict()["rollback"];
    assert_eq!(d["flip"], "2026-11-27T00:20:00Z", "{}", run.stderr);
    assert_eq!(d["source"], "marker column event = rollback");
    assert_eq!(run.gate("rollback.drill")["status"], "pass");
    // A marker value that no row has is an error that says what to set.
    std::fs::write(&policy, "[rollback]\nmarker_column = \"event\"\nmarker_value = \"flip\"\n").unwrap();
    let run = crate::common::analyze(&v1, &v2, &tmp.path().join("out2"), &flags);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("marker_value"), "{}", run.stderr);
}

// ---- nightly re-analysis without peeking bias ----

/// One A/A rollout re-analysed every night on its growing logs (V1 and V2 drawn alike, 2,000
/// requests each a night, 0.4% errors): whether any night's gate failed, with fixed-sample
/// intervals and with confidence sequences. The gates are the ones sequences cover, each judged
/// as shadowgate judges it (`verdict::judge` against the threshold), with canary (independent)
/// intervals: BCa for the V2/V1 percentiles, Newcombe for V2 - V1 errors.
struct Peeking {
    /// (fixed-sample, sequential) NO_GO at some night, per policy.
    default_policy: (bool, bool),
    p95_at_the_margin: (bool, bool),
    all_at_the_margin: (bool, bool),
    /// Width of the V2/V1 p95 interval on the last night: (fixed-sample, sequential).
    p95_width_last_night: (f64, f64),
}

fn rollout(seed: u64, nights: usize) -> Peeking {
    use shadowgate::stats::proportion::newcombe_unpaired;
    use shadowgate::stats::resample::quantile_ratios_sorted;
    use shadowgate::stats::sequential::{quantile_ratio_sequence, rate_difference_sequence, DEFAULT_TUNED_FOR};
    use shadowgate::verdict::judge;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let lat = LogNormal::new(120f64.ln(), 0.52).unwrap();
    let (mut s1, mut s2): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    let (mut e1, mut e2) = (0u64, 0u64);
    let mut out = Peeking {
        default_policy: (false, false),
        p95_at_the_margin: (false, false),
        all_at_the_margin: (false, false),
        p95_width_last_night: (f64::NAN, f64::NAN),
    };
    let qs = [0.5, 0.95, 0.99];
    for night in 0..nights {
        for (s, e) in [(&mut s1, &mut e1), (&mut s2, &mut e2)] {
            let mut new: Vec<f64> = (0..2000).map(|_| lat.sample(&mut rng)).collect();
            *e += (0..2000).filter(|_| rand::Rng::gen::<f64>(&mut rng) < 0.004).count() as u64;
            shadowgate::stats::sort_in_place(&mut new);
            let mut merged = Vec::with_capacity(s.len() + new.len());
            let (mut i, mut j) = (0, 0);
            while i < s.len() || j < new.len() {
                if j == new.len() || (i < s.len() && s[i] <= new[j]) {
                    merged.push(s[i]);
                    i += 1;
                } else {
                    merged.push(new[j]);
                    j += 1;
                }
            }
            *s = merged;
        }
        let n = s1.len() as u64;
        let fixed_ratio = quantile_ratios_sorted(&s1, &s2, &s1, &s2, &qs, false, 0.95, seed + night as u64);
        let fixed_diff = newcombe_unpaired(e2, n, e1, n, 0.95);
        let seq_ratio: Vec<_> = qs.iter().map(|&q| quantile_ratio_sequence(&s1, &s2, q, 0.05, DEFAULT_TUNED_FOR)).collect();
        let seq_diff = rate_difference_sequence(e1, n, e2, n, 0.05, DEFAULT_TUNED_FOR);
        out.p95_width_last_night = (fixed_ratio[1].interval.upper - fixed_ratio[1].interval.lower, seq_ratio[1].upper - seq_ratio[1].lower);
        for (k, (ratios, diff)) in
            [(fixed_ratio.iter().map(|r| r.interval).collect::<Vec<_>>(), fixed_diff), (seq_ratio, seq_diff)].into_iter().enumerate()
        {
            let fails = |iv, t| judge(iv, t) == Status::Fail;
            // Default margins: p50 (warning, not counted), p95 1.05, p99 1.10, errors +0.5 points.
            let default = fails(ratios[1], 1.05) || fails(ratios[2], 1.10) || fails(diff, 0.005);
            // Zero margins: V2 must not be slower or fail more at all, the equality test of
            // Netflix's A/A study, where every fail is a false alarm.
            let p95 = fails(ratios[1], 1.0);
            let all = p95 || fails(ratios[0], 1.0) || fails(ratios[2], 1.0) || fails(diff, 0.0);
            let slot = |p: &mut (bool, bool), v: bool| if k == 0 { p.0 |= v } else { p.1 |= v };
            slot(&mut out.default_policy, default);
            slot(&mut out.p95_at_the_margin, p95);
            slot(&mut out.all_at_the_margin, all);
        }
    }
    out
}

/// Issue 14's calibration: 200 simulated A/A rollouts of 30 nights, analysed every night. With
/// confidence sequences the share of rollouts that ever say NO_GO stays at or below 5% for the
/// default margins and for a zero margin on p95 (where each fixed-sample look alone is a 2.5%
/// test); the fixed-sample rates beside them show the peeking bias (docs/statistics.md).
#[test]
fn sequential_intervals_keep_nightly_peeking_at_five_percent() {
    let runs: Vec<Peeking> = (0..200u64).into_par_iter().map(|seed| rollout(9000 + seed, 30)).collect();
    let rate = |f: &dyn Fn(&Peeking) -> bool| runs.iter().filter(|r| f(r)).count() as f64 / runs.len() as f64;
    let report = [
        ("default margins", rate(&|r| r.default_policy.0), rate(&|r| r.default_policy.1)),
        ("p95 margin 1.0", rate(&|r| r.p95_at_the_margin.0), rate(&|r| r.p95_at_the_margin.1)),
        ("p50/p95/p99 margin 1.0 and errors margin 0", rate(&|r| r.all_at_the_margin.0), rate(&|r| r.all_at_the_margin.1)),
    ];
    for (name, fixed, seq) in report {
        println!(
            "A/A, 200 rollouts x 30 nights x 2,000 requests, {name}: NO_GO at some night, fixed-sample {fixed:.3}, sequential {seq:.3}"
        );
    }
    let mean = |f: &dyn Fn(&Peeking) -> f64| runs.iter().map(f).sum::<f64>() / runs.len() as f64;
    println!(
        "V2/V1 p95 interval width after 30 nights (60,000 requests per version): fixed-sample {:.4}, sequential {:.4}",
        mean(&|r| r.p95_width_last_night.0),
        mean(&|r| r.p95_width_last_night.1)
    );
    assert!(report[0].2 <= 0.05 && report[1].2 <= 0.05, "{report:?}");
    assert!(report[1].1 > 2.0 * report[1].2.max(0.025), "peeking must visibly hurt the fixed-sample intervals: {report:?}");
}
