//! Out of core (`--memory-limit`, `--out-of-core`, `--spill-partitions`): the ids go to spill
//! files and pairing runs one partition at a time, and everything the run writes is the same
//! as in memory, apart from verdict.json's `memory` section.

use crate::common::{analyze, bin, generate};
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;

/// verdict.json without `memory` (how the run used memory is the one thing that differs).
fn verdict_without_memory(out: &Path) -> (Value, Value) {
    let text = std::fs::read_to_string(out.join("verdict.json")).expect("verdict.json");
    let mut v: Value = serde_json::from_str(&text).expect("parses");
    let memory = v.as_object_mut().and_then(|o| o.remove("memory")).expect("verdict.json has memory");
    (v, memory)
}

/// Every leaf where two JSON documents differ (exactly: numbers compared by their text), at
/// most 20.
fn differences(a: &Value, b: &Value) -> Vec<String> {
    fn leaves(v: &Value, path: String, out: &mut Vec<(String, String)>) {
        match v {
            Value::Object(o) => o.iter().for_each(|(k, x)| leaves(x, format!("{path}.{k}"), out)),
            Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| leaves(x, format!("{path}[{i}]"), out)),
            other => out.push((path, other.to_string())),
        }
    }
    let (mut x, mut y) = (Vec::new(), Vec::new());
    leaves(a, String::new(), &mut x);
    leaves(b, String::new(), &mut y);
    let (xs, ys): (HashSet<_>, HashSet<_>) = (x.iter().collect(), y.iter().collect());
    let mut out: Vec<String> = x.iter().filter(|l| !ys.contains(l)).map(|(p, v)| format!("{p} = {v}")).collect();
    out.extend(y.iter().filter(|l| !xs.contains(l)).map(|(p, v)| format!("{p} = {v} (in memory)")));
    out.truncate(20);
    out
}

#[test]
fn out_of_core_gives_the_in_memory_verdict_and_outputs() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Duplicates (the earliest row of an id wins), orphans on both sides, differing results in
    // one segment: everything pairing decides, and the ids the discrepancy examples name.
    for format in ["jsonl", "parquet"] {
        let data = dir.path().join(format);
        let (v1, v2) = generate(
            &data,
            format,
            &[
                "--pairs",
                "6000",
                "--seed",
                "11",
                "--duplicates",
                "300",
                "--orphans",
                "200",
                "--discrepancy-rate",
                "0.02",
                "--discrepancy-segment",
                "address",
            ],
        );
        let base = ["--quiet", "--segment-by", "region", "--segment-by", "validation_type", "--seed", "3"];
        let mem = analyze(&v1, &v2, &dir.path().join(format!("{format}-mem")), &base);
        assert!(matches!(mem.code, 0 | 1 | 3), "{}", mem.stderr);
        let (want, m) = verdict_without_memory(&mem.out);
        assert_eq!(m["out_of_core"], false);
        assert_eq!(m["partitions"], 0);
        assert!(m["limit_bytes"].as_u64().is_some_and(|b| b > 0), "{m}");
        assert!(want["pairing"]["pairs"].as_u64().is_some_and(|p| p > 5000), "{}", want["pairing"]);
        assert!(want["metrics"]["discrepancy"]["mismatches"].as_u64().is_some_and(|n| n > 0));
        for parts in ["1", "4", "64"] {
            let out = dir.path().join(format!("{format}-ooc-{parts}"));
            let spill = dir.path().join(format!("spill-{format}-{parts}"));
            std::fs::create_dir_all(&spill).expect("spill dir");
            let args = [&base[..], &["--spill-partitions", parts, "--spill-dir", spill.to_str().expect("utf-8")]].concat();
            let ooc = analyze(&v1, &v2, &out, &args);
            assert_eq!(ooc.code, mem.code, "{format}, {parts} partitions: {}", ooc.stderr);
            let (got, m) = verdict_without_memory(&out);
            assert_eq!(m["out_of_core"], true, "{m}");
            assert_eq!(m["partitions"].as_u64(), parts.parse().ok(), "{m}");
            assert!(m["spill_bytes"].as_u64().is_some_and(|b| b > 0), "{m}");
            // Byte for byte apart from memory: the same pairs in the same order, the same
            // resampled intervals, the same examples.
            let diff = differences(&got, &want);
            assert!(diff.is_empty(), "{format}, {parts} partitions: verdict.json differs at\n{}", diff.join("\n"));
            for file in ["discrepancies.parquet", "summary.md", "junit.xml", "rejected.jsonl"] {
                assert_eq!(
                    std::fs::read(out.join(file)).ok(),
                    std::fs::read(mem.out.join(file)).ok(),
                    "{format}, {parts} partitions: {file}"
                );
            }
            // The spill folder is gone once the run ends.
            assert_eq!(std::fs::read_dir(&spill).expect("spill dir").count(), 0, "spill files left in {}", spill.display());
        }
    }
}

/// Runs `args` in memory and with `--spill-partitions parts` into `dir`, checks the exit codes
/// and verdict.json (apart from `memory`) are the same, and returns the in-memory verdict.
fn same_out_of_core(v1: &Path, v2: &Path, dir: &Path, args: &[&str], parts: &str) -> Value {
    let mem = analyze(v1, v2, &dir.join("mem"), args);
    assert!(matches!(mem.code, 0 | 1 | 3), "{}", mem.stderr);
    let ooc = analyze(v1, v2, &dir.join("ooc"), &[args, &["--spill-partitions", parts]].concat());
    assert_eq!(ooc.code, mem.code, "{}", ooc.stderr);
    let ((want, _), (got, m)) = (verdict_without_memory(&mem.out), verdict_without_memory(&ooc.out));
    assert_eq!(m["out_of_core"], true);
    let diff = differences(&got, &want);
    assert!(diff.is_empty(), "{args:?}: verdict.json differs at\n{}", diff.join("\n"));
    want
}

#[test]
fn a_v1_replay_out_of_core_gives_the_in_memory_noise_baseline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v1, v2) = generate(
        &dir.path().join("run"),
        "jsonl",
        &["--pairs", "8000", "--seed", "21", "--discrepancy-rate", "0.03", "--duplicates", "100"],
    );
    // A second V1 run of the same requests with its own noise: the same ids, other results.
    let (replay, _) = generate(&dir.path().join("replay"), "jsonl", &["--pairs", "8000", "--seed", "21", "--discrepancy-rate", "0.01"]);
    let replay = replay.to_str().expect("utf-8").to_string();
    let want = same_out_of_core(&v1, &v2, dir.path(), &["--quiet", "--v1-replay", replay.as_str()], "8");
    let noise = &want["metrics"]["discrepancy"]["noise"];
    assert!(noise["replay_comparable_pairs"].as_u64() > Some(7000), "{noise}");
}

#[test]
fn a_canary_run_out_of_core_gives_the_in_memory_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v1, v2) = generate(dir.path(), "parquet", &["--pairs", "30000", "--canary-share", "0.1", "--duplicates", "50", "--seed", "4"]);
    let want =
        same_out_of_core(&v1, &v2, dir.path(), &["--quiet", "--mode", "canary", "--expected-v2-share", "0.1", "--stage", "canary-1"], "16");
    assert_eq!(want["mode"], "canary");
}

#[test]
fn the_memory_limit_decides_and_is_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v1, v2) = generate(dir.path(), "parquet", &["--pairs", "20000", "--seed", "2"]);
    // 40,000 rows with 20-character ids (the Parquet footers give their size): 3.8 MB in memory
    // by the estimate, ~3.1 MB out of core.
    let spilled = analyze(&v1, &v2, &dir.path().join("a"), &["--memory-limit", "3.5M"]);
    assert!(matches!(spilled.code, 0 | 1 | 3), "{}", spilled.stderr);
    assert!(
        spilled.stdout.contains("memory: out of core (limit 3.5 MB, --memory-limit 3.5M): ids spilled to 8 partitions"),
        "{}",
        spilled.stdout
    );
    let (_, m) = verdict_without_memory(&spilled.out);
    assert_eq!(m["out_of_core"], true, "{m}");
    assert_eq!(m["limit_bytes"], 7 << 19);
    assert_eq!(m["limit_source"], "--memory-limit 3.5M");
    assert_eq!(m["estimated_rows"], 40_000, "Parquet row counts come from the footers");
    assert_eq!(m["estimated_bytes"], 40_000 * (75 + 20), "75 bytes a row and the ids' 20 bytes");
    let roomy = analyze(&v1, &v2, &dir.path().join("b"), &["--quiet", "--memory-limit", "1G"]);
    let (_, m) = verdict_without_memory(&roomy.out);
    assert_eq!(m["out_of_core"], false, "{m}");
}

#[test]
fn a_limit_too_small_even_out_of_core_stops_before_reading_and_names_a_sample_rate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v1, v2) = generate(dir.path(), "parquet", &["--pairs", "20000", "--seed", "2"]);
    let run = analyze(&v1, &v2, &dir.path().join("out"), &["--memory-limit", "2M"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    for needle in ["40000 rows", "even out of core", "memory limit of 2.0 MB", "--memory-limit 2M", "--sample-rate 0."] {
        assert!(run.stderr.contains(needle), "missing {needle:?} in: {}", run.stderr);
    }
    assert!(!dir.path().join("out").exists(), "no report for a run that did not start");
    // The rate it names fits.
    let rate = run.stderr.split("--sample-rate ").nth(1).and_then(|s| s.split_whitespace().next()).expect("a rate");
    let sampled = analyze(&v1, &v2, &dir.path().join("sampled"), &["--quiet", "--memory-limit", "2M", "--sample-rate", rate]);
    assert!(matches!(sampled.code, 0 | 1 | 3), "--sample-rate {rate}: {}", sampled.stderr);
}

#[test]
fn out_of_core_flags_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v1, v2) = generate(dir.path(), "jsonl", &["--pairs", "200", "--seed", "2"]);
    for (args, needle) in [
        (&["--spill-partitions", "3"][..], "--spill-partitions 3: must be a power of two"),
        (&["--spill-partitions", "512"][..], "--spill-partitions 512"),
        (&["--memory-limit", "8X"][..], "--memory-limit 8X: not a size"),
    ] {
        let run = analyze(&v1, &v2, &dir.path().join("out"), args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
    let o = bin().args(["analyze", "--help"]).output().expect("runs");
    let help = String::from_utf8_lossy(&o.stdout);
    for flag in ["--memory-limit", "--out-of-core", "--spill-dir", "--spill-partitions"] {
        assert!(help.contains(flag), "{flag} in --help");
    }
}
