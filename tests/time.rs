//! Time: sustained-breach rules, stage-aware recommendations, throughput and nightly history.

use crate::common::{analyze, bin, generate};

#[test]
fn a_burst_in_both_versions_is_reported_as_shared() {
    let tmp = tempfile::tempdir().unwrap();
    let burst = ["--v2-error-burst", "30:6:0.12", "--v1-error-burst", "30:6:0.12"];
    let mut args = vec!["--pairs", "30000", "--seed", "41"];
    args.extend_from_slice(&burst);
    let (v1, v2) = generate(tmp.path(), "jsonl", &args);
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &["--stage", "progressive-10"]);
    let g = run.gate("errors.sustained");
    assert_eq!(g["status"], "fail", "the rule still fires");
    assert!(g["message"].as_str().unwrap().contains("upstream"), "{g}");
    let v = run.verdict();
    let b = v["windows"]["breaches"].as_array().unwrap().iter().find(|b| b["fired"] == true).cloned().unwrap();
    assert_eq!(b["shared_with_v1"], true);
    assert_eq!(b["start"], "2026-11-27T00:30:00Z");
    assert_eq!(b["windows"], 6);
}

#[test]
fn sparse_minutes_neither_breach_nor_count() {
    let tmp = tempfile::tempdir().unwrap();
    // ~8 requests a minute, every one of them failing in minutes 10-40: below min_window_requests.
    let (v1, v2) = generate(tmp.path(), "jsonl", &["--pairs", "1200", "--minutes", "150", "--v2-error-burst", "10:30:1.0", "--seed", "42"]);
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &[]);
    let g = run.gate("errors.sustained");
    assert_eq!(g["status"], "skipped", "{g}");
    assert!(run.verdict()["windows"]["breaches"].as_array().unwrap().is_empty());
    // The overall error rate still catches the failures.
    assert_eq!(run.gate("errors.rate")["status"], "fail");
}

#[test]
fn each_stage_recommends_the_next_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = generate(tmp.path(), "parquet", &["--pairs", "20000", "--seed", "21"]);
    for (stage, next) in [
        ("shadow", Some("canary-1")),
        ("canary-1", Some("progressive-10")),
        ("progressive-10", Some("progressive-25")),
        ("progressive-25", Some("progressive-50")),
        ("progressive-50", Some("full")),
        ("full", None),
    ] {
        let run = analyze(&v1, &v2, &tmp.path().join(stage), &["--stage", stage]);
        assert_eq!(run.code, 0, "{stage}: {}", run.stdout);
        let r = &run.verdict()["recommendation"];
        assert_eq!(r["action"], "promote");
        assert_eq!(r["next_stage"], next.map_or(serde_json::Value::Null, serde_json::Value::from), "{stage}");
    }
    let run = analyze(&v1, &v2, &tmp.path().join("bad"), &["--stage", "canary-7"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("canary-7") && run.stderr.contains("progressive-10"), "{}", run.stderr);
}

#[test]
fn throughput_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = generate(tmp.path(), "jsonl", &["--pairs", "6000", "--minutes", "60", "--seed", "43"]);
    let v = analyze(&v1, &v2, &tmp.path().join("out"), &[]).verdict();
    let t = &v["throughput"];
    let mean = t["v1"]["mean_per_minute"].as_f64().unwrap();
    assert!((mean - 100.0).abs() < 2.0, "{t}");
    assert!(t["v1"]["peak_per_minute"].as_f64().unwrap() >= mean);
    assert!((t["v2_share_of_v1_peak"].as_f64().unwrap() - 1.0).abs() < 0.05, "{t}");
}

#[test]
fn history_compares_with_the_last_run_and_survives_a_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let hist = tmp.path().join("history");
    let h = hist.to_str().unwrap();
    let (a1, a2) = generate(&tmp.path().join("a"), "parquet", &["--pairs", "20000", "--seed", "44"]);
    let (b1, b2) = generate(&tmp.path().join("b"), "parquet", &["--pairs", "20000", "--seed", "45", "--latency-shift", "1.3"]);
    let first = analyze(&a1, &a2, &tmp.path().join("o1"), &["--history", h]);
    let v = first.verdict();
    assert_eq!(v["history"]["previous_runs"], 0);
    assert!(v["history"]["previous"].is_null());
    let second = analyze(&b1, &b2, &tmp.path().join("o2"), &["--history", h]);
    let v = second.verdict();
    assert_eq!(v["history"]["previous_runs"], 1);
    let worse: Vec<&str> = v["history"]["worse"].as_array().unwrap().iter().filter_map(|x| x.as_str()).collect();
    assert!(worse.contains(&"latency.p95.vs_v1") && worse.contains(&"latency.p95"), "{worse:?}");
    assert!(second.stdout.contains("significantly worse"), "{}", second.stdout);
    let file = hist.join("history.jsonl");
    let before = std::fs::read_to_string(&file).unwrap();
    assert_eq!(before.lines().count(), 2);
    // A crash after the new history is written to its temp file but before the rename.
    let crashed = bin()
        .env("SHADOWGATE_FAULT", "history-before-rename")
        .args(["analyze", "--v1", a1.to_str().unwrap(), "--v2", a2.to_str().unwrap(), "--history", h, "--quiet", "--out"])
        .arg(tmp.path().join("o3"))
        .output()
        .unwrap();
    assert!(!crashed.status.success());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before, "the previous history is intact");
    let third = analyze(&a1, &a2, &tmp.path().join("o4"), &["--history", h]);
    assert_eq!(third.verdict()["history"]["previous_runs"], 2);
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 3);
    for line in std::fs::read_to_string(&file).unwrap().lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("every history line is JSON");
    }
}

#[test]
fn host_resource_samples_drive_the_cpu_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = generate(tmp.path(), "parquet", &["--pairs", "20000", "--seed", "46", "--host-samples", "--cpu-factor", "2.5"]);
    let res = tmp.path().join("resources.jsonl");
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &["--resources", res.to_str().unwrap()]);
    let g = run.gate("cpu.utilization.warning");
    assert_eq!(g["status"], "fail", "{g}");
    assert_eq!(run.code, 0, "a warning does not block: {}", run.stdout);
    let v = run.verdict();
    let r = &v["resources"];
    assert_eq!(r["inputs"]["v2_samples"], 3 * 6 * 60);
    let ratio = r["ratios"]["cpu_pct"]["estimate"].as_f64().unwrap();
    assert!((ratio - 2.5).abs() < 0.05, "{ratio}");
    assert!(r["ratios"]["cpu_pct"]["lower"].as_f64().unwrap() > 2.4);
    let strict = analyze(&v1, &v2, &tmp.path().join("strict"), &["--resources", res.to_str().unwrap(), "--strict"]);
    assert_eq!(strict.code, 1);
    // Without samples the gate is skipped and says how to enable it.
    let plain = analyze(&v1, &v2, &tmp.path().join("plain"), &[]);
    assert_eq!(plain.gate("cpu.utilization.warning")["status"], "skipped");
    assert!(plain.gate("cpu.utilization.warning")["message"].as_str().unwrap().contains("--resources"));
}

#[test]
fn custom_sustained_rule_on_memory_and_the_optional_throughput_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = generate(tmp.path(), "jsonl", &["--pairs", "20000", "--seed", "47", "--memory-factor", "1.6"]);
    let policy = tmp.path().join("p.toml");
    std::fs::write(
        &policy,
        "[gates.\"memory.sustained\"]\nstatistic = \"window.v2.memory_mean\"\nthreshold = 300.0\nseverity = \"rollback\"\nfor_windows = 15\n\n[gates.\"throughput.v2_peak\"]\nenabled = true\n",
    )
    .unwrap();
    let run = analyze(&v1, &v2, &tmp.path().join("out"), &["--policy", policy.to_str().unwrap(), "--stage", "canary-1"]);
    let g = run.gate("memory.sustained");
    assert_eq!(g["status"], "fail", "{g}");
    assert_eq!(run.verdict()["recommendation"]["action"], "rollback");
    assert_eq!(run.gate("throughput.v2_peak")["status"], "pass");
    let w = &run.verdict()["windows"]["v2"][0];
    assert!(w["memory_mean"].as_f64().unwrap() > 280.0, "{w}");
}

/// The window series (dense buckets, or a sorted map when timestamps are years apart) against a
/// per-window computation written the obvious way.
#[test]
fn window_series_match_a_naive_grouping() {
    use shadowgate::metrics::windows::{series, SeriesInput};
    use shadowgate::stats::quantile::quantile_sorted;
    let width = 60_000;
    for stray in [false, true] {
        let n = 5_000usize;
        let mut ts: Vec<i64> = (0..n as i64).map(|i| 1_700_000_000_000 + (i * 7_919) % 3_600_000).collect();
        if stray {
            // Two rows decades away force the sparse path.
            ts[10] = 1_000;
            ts[20] = 4_000_000_000_000;
        }
        let latency: Vec<f64> = (0..n).map(|i| ((i * 37) % 1000) as f64 / 3.0).collect();
        let ok: Vec<bool> = (0..n).map(|i| i % 13 != 0).collect();
        let cpu: Vec<f64> = (0..n).map(|i| if i % 5 == 0 { f64::NAN } else { i as f64 }).collect();
        let memory: Vec<f64> = vec![f64::NAN; n];
        let rows: Vec<u32> = (0..n as u32).filter(|i| i % 4 != 1).collect();
        let (cpu_col, memory_col) = (cpu.iter().copied().collect(), memory.iter().copied().collect());
        let input = SeriesInput { ts_ms: &ts, latency: &latency, ok: &ok, cpu: &cpu_col, memory: &memory_col };
        let got = series(&input, &rows, width);
        let mut keys: Vec<i64> = rows.iter().map(|&i| ts[i as usize].div_euclid(width)).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(got.keys().copied().collect::<Vec<_>>(), keys, "stray={stray}");
        for k in keys {
            let in_w: Vec<usize> = rows.iter().map(|&i| i as usize).filter(|&i| ts[i].div_euclid(width) == k).collect();
            let w = &got[&k];
            let mut lat: Vec<f64> = in_w.iter().map(|&i| latency[i]).collect();
            assert_eq!(w.requests, in_w.len() as u64);
            assert_eq!(w.errors, in_w.iter().filter(|&&i| !ok[i]).count() as u64);
            assert_eq!(w.start_ms, k * width);
            assert_eq!(w.latency_mean, lat.iter().sum::<f64>() / lat.len() as f64);
            lat.sort_by(f64::total_cmp);
            assert_eq!(w.latency_p95, quantile_sorted(&lat, 0.95));
            let c: Vec<f64> = in_w.iter().map(|&i| cpu[i]).filter(|v| v.is_finite()).collect();
            let want = if c.is_empty() { f64::NAN } else { c.iter().sum::<f64>() / c.len() as f64 };
            assert!(w.cpu_mean == want || (w.cpu_mean.is_nan() && want.is_nan()));
            assert!(w.memory_mean.is_nan());
        }
    }
}
