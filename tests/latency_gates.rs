//! The V2-vs-V1 latency gates beyond p95 (issue 18): a regression confined to the slowest 1-2% of
//! requests, or one that moves only the mean, must be NO_GO even when p50 and p95 are unchanged,
//! in shadow mode and in canary mode at the sizes a 1-5% canary produces in a night.

use crate::common::{analyze, bin, gate, gen_args, generate, simulate};
use rayon::prelude::*;
use shadowgate::policy::Mode;
use shadowgate::verdict::{Decision, Status};

/// The slowest 2% of requests (by request complexity) 2.5 times slower; p50 and p95 unchanged.
const TAIL_ONLY: [&str; 4] = ["--tail-share", "0.02", "--tail-shift", "2.5"];
/// The slowest 0.5% of requests 10 times slower: the mean rises by ~17%, p50/p95/p99 stay put.
const MEAN_ONLY: [&str; 4] = ["--tail-share", "0.005", "--tail-shift", "10"];

struct Tally {
    runs: usize,
    no_go: usize,
    /// Runs where the named gate failed.
    gate_failed: usize,
    /// Runs where latency.p95.vs_v1 failed (it should not: p95 did not move).
    p95_failed: usize,
}

fn tally(seeds: std::ops::Range<u64>, size: &[&str], scenario: &[&str], mode: Mode, gate_id: &str) -> Tally {
    let results: Vec<(bool, bool, bool)> = seeds
        .into_par_iter()
        .map(|seed| {
            let s = seed.to_string();
            let mut a = vec!["--seed", &s];
            a.extend_from_slice(size);
            a.extend_from_slice(scenario);
            let v = simulate(&gen_args(&a), mode);
            (v.decision == Decision::NoGo, gate(&v, gate_id).status == Status::Fail, gate(&v, "latency.p95.vs_v1").status == Status::Fail)
        })
        .collect();
    Tally {
        runs: results.len(),
        no_go: results.iter().filter(|r| r.0).count(),
        gate_failed: results.iter().filter(|r| r.1).count(),
        p95_failed: results.iter().filter(|r| r.2).count(),
    }
}

fn check(name: &str, t: &Tally, gate_id: &str) {
    println!(
        "{name}: NO_GO in {}/{} runs, {gate_id} failed in {}, latency.p95.vs_v1 failed in {}",
        t.no_go, t.runs, t.gate_failed, t.p95_failed
    );
    assert_eq!(t.no_go, t.runs, "{name}: every run must be NO_GO");
    assert_eq!(t.gate_failed, t.runs, "{name}: {gate_id} must fail in every run");
    assert_eq!(t.p95_failed, 0, "{name}: p95 did not move, so latency.p95.vs_v1 must not fail (else the scenario tests nothing new)");
}

#[test]
fn a_tail_only_regression_is_no_go_in_shadow_mode() {
    let t = tally(0..40, &["--pairs", "30000"], &TAIL_ONLY, Mode::Shadow, "latency.p99.vs_v1");
    check("tail-only, shadow, 30,000 pairs", &t, "latency.p99.vs_v1");
}

#[test]
fn a_tail_only_regression_is_no_go_in_canary_mode() {
    // A 5% canary of 200,000 requests: ~10,000 V2 requests against ~190,000 V1.
    let t = tally(0..40, &["--pairs", "200000", "--canary-share", "0.05"], &TAIL_ONLY, Mode::Canary, "latency.p99.vs_v1");
    check("tail-only, canary, ~10,000 V2 requests", &t, "latency.p99.vs_v1");
}

#[test]
fn a_mean_only_shift_is_no_go_in_both_modes() {
    let t = tally(0..20, &["--pairs", "30000"], &MEAN_ONLY, Mode::Shadow, "latency.mean.vs_v1");
    check("mean-only, shadow, 30,000 pairs", &t, "latency.mean.vs_v1");
    let t = tally(0..20, &["--pairs", "200000", "--canary-share", "0.05"], &MEAN_ONLY, Mode::Canary, "latency.mean.vs_v1");
    check("mean-only, canary, ~10,000 V2 requests", &t, "latency.mean.vs_v1");
}

#[test]
fn the_tail_gates_pass_on_a_v2_like_v1() {
    // The counterpart of the detection tests: with nothing changed, p99 and the mean pass at the
    // same sizes (so the new gates do not turn healthy runs INCONCLUSIVE either).
    for (size, mode) in [(&["--pairs", "30000"][..], Mode::Shadow), (&["--pairs", "200000", "--canary-share", "0.05"][..], Mode::Canary)] {
        for seed in 0..4u64 {
            let s = seed.to_string();
            let mut a = vec!["--seed", &s];
            a.extend_from_slice(size);
            let v = simulate(&gen_args(&a), mode);
            for id in ["latency.p99.vs_v1", "latency.mean.vs_v1", "latency.p50.vs_v1"] {
                assert_eq!(gate(&v, id).status, Status::Pass, "{id} in {mode:?}, seed {seed}: {}", gate(&v, id).message);
            }
        }
    }
}

#[test]
fn the_cli_reports_a_tail_regression_as_no_go() {
    let tmp = tempfile::tempdir().unwrap();
    let mut args = vec!["--pairs", "20000", "--seed", "3"];
    args.extend_from_slice(&TAIL_ONLY);
    let (v1, v2) = generate(tmp.path(), "parquet", &args);
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let g = run.gate("latency.p99.vs_v1");
    assert_eq!(g["status"], "fail", "{g}");
    assert_eq!(g["severity"], "blocking");
    assert!(g["lower"].as_f64().unwrap() > 2.0, "{g}");
    assert!(run.stdout.contains("latency.p99.vs_v1"), "the terminal summary names the failing gate: {}", run.stdout);
    assert_ne!(run.gate("latency.p95.vs_v1")["status"], "fail");
}

#[test]
fn the_policy_lists_the_new_gates_with_their_defaults() {
    let out = bin().arg("policy").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for (id, statistic, threshold, severity) in [
        ("latency.p99.vs_v1", "ratio.latency.p99", "1.1", "blocking"),
        ("latency.mean.vs_v1", "ratio.latency.mean", "1.05", "blocking"),
        ("latency.p50.vs_v1", "ratio.latency.p50", "1.05", "warning"),
        ("cpu.vs_v1", "ratio.cpu_ms", "1.2", "warning"),
        ("network.vs_v1", "ratio.net_bytes", "1.2", "warning"),
    ] {
        let block = format!("[gates.\"{id}\"]\nstatistic = \"{statistic}\"\nthreshold = {threshold}\nseverity = \"{severity}\"");
        assert!(text.contains(&block), "missing {block}\n{text}");
    }
}

#[test]
fn generate_rejects_a_tail_share_outside_zero_to_one() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin().arg("generate").arg("--out").arg(tmp.path()).args(["--tail-share", "1.5"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tail-share"));
}

/// Decisions of A/A runs with and without the gates issue 18 added, at the sizes of small nights
/// (docs/statistics.md, "The latency gates against V1"). A minute or two:
/// `cargo test --release -- --ignored latency_gates::aa_cost --nocapture`.
#[test]
#[ignore = "a study for docs/statistics.md"]
fn aa_cost_of_the_tail_gates_by_size() {
    const NEW: [&str; 5] = ["latency.p99.vs_v1", "latency.mean.vs_v1", "latency.p50.vs_v1", "cpu.vs_v1", "network.vs_v1"];
    // Issue 14's gates: the shift function blocks; availability is a warning, the drill skipped.
    const SHIFT: [&str; 1] = ["latency.shift"];
    let cases: [(&str, &[&str], Mode); 7] = [
        ("shadow, 5,000 pairs", &["--pairs", "5000"], Mode::Shadow),
        ("shadow, 10,000 pairs", &["--pairs", "10000"], Mode::Shadow),
        ("shadow, 30,000 pairs", &["--pairs", "30000"], Mode::Shadow),
        ("canary, ~5,000 V2 of 100,000", &["--pairs", "100000", "--canary-share", "0.05"], Mode::Canary),
        ("canary, ~10,000 V2 of 200,000", &["--pairs", "200000", "--canary-share", "0.05"], Mode::Canary),
        ("canary, ~20,000 V2 of 400,000", &["--pairs", "400000", "--canary-share", "0.05"], Mode::Canary),
        ("canary, ~2,000 V2 of 200,000", &["--pairs", "200000", "--canary-share", "0.01"], Mode::Canary),
    ];
    for (name, size, mode) in cases {
        let runs: Vec<(Decision, Decision, Decision)> = (5000..5100u64)
            .into_par_iter()
            .map(|seed| {
                let s = seed.to_string();
                let mut a = vec!["--seed", &s];
                a.extend_from_slice(size);
                let v = simulate(&gen_args(&a), mode);
                let without = |ids: &[&str]| {
                    let kept: Vec<_> = v.gates.iter().filter(|g| !ids.contains(&g.id.as_str())).cloned().collect();
                    shadowgate::verdict::decide(&kept, false)
                };
                (v.decision, without(&[&NEW[..], &SHIFT[..]].concat()), without(&SHIFT))
            })
            .collect();
        let share = |f: &dyn Fn(&(Decision, Decision, Decision)) -> bool| runs.iter().filter(|r| f(r)).count();
        println!(
            "A/A {name}, 100 seeds: NO_GO {}, GO before issue 18 {} / with its gates {} / with the shift gate too {}",
            share(&|r| r.0 == Decision::NoGo),
            share(&|r| r.1 == Decision::Go),
            share(&|r| r.2 == Decision::Go),
            share(&|r| r.0 == Decision::Go)
        );
        assert_eq!(share(&|r| r.0 == Decision::NoGo), 0, "{name}: an A/A run said NO_GO");
    }
    let t = tally(0..40, &["--pairs", "200000", "--canary-share", "0.01"], &TAIL_ONLY, Mode::Canary, "latency.p99.vs_v1");
    println!("tail-only, canary, ~2,000 V2 requests: NO_GO in {}/{} runs", t.no_go, t.runs);
}

/// 3% errors, a third of them timeouts: 1% of requests sit in a cluster at 3 s and more, whose edge
/// is exactly p99. Each version's sample p99 lands on either side of the gap by chance, and the
/// resampling interval around it was tight enough to fail 14 of 40 A/A runs. A fail now needs the
/// distribution-free interval to agree, so these runs are inconclusive and say why.
#[test]
fn a_percentile_at_the_edge_of_a_timeout_cluster_does_not_fail_an_aa_run() {
    let statuses: Vec<(Status, String)> = (0..16u64)
        .into_par_iter()
        .map(|seed| {
            let s = seed.to_string();
            let v = simulate(
                &gen_args(&["--seed", &s, "--pairs", "40000", "--v1-error-rate", "0.03", "--v2-error-rate", "0.03"]),
                Mode::Shadow,
            );
            let g = gate(&v, "latency.p99.vs_v1");
            (g.status, g.message.clone())
        })
        .collect();
    assert!(statuses.iter().all(|(s, _)| *s != Status::Fail), "{statuses:?}");
    let explained = statuses.iter().filter(|(_, m)| m.contains("gap or cluster")).count();
    assert!(explained >= 2, "the unconfirmed fails say why: {statuses:?}");
    // The shift function's p99 point too, also where its covariance comes from batch means.
    for pairs in ["40000", "200000"] {
        let shift: Vec<Status> = (0..6u64)
            .into_par_iter()
            .map(|seed| {
                let s = seed.to_string();
                let a = ["--seed", &s, "--pairs", pairs, "--v1-error-rate", "0.03", "--v2-error-rate", "0.03"];
                gate(&simulate(&gen_args(&a), Mode::Shadow), "latency.shift").status
            })
            .collect();
        assert!(shift.iter().all(|s| *s != Status::Fail), "{pairs} pairs: {shift:?}");
    }
}
